package serialize

import (
	"strconv"
	"strings"
	"testing"

	"github.com/switchboard-wamp/switchboard/core/wamp"
)

// BenchmarkRoutedCallCodec is the codec work of one call the router routes
// to a remote callee: decode CALL, encode INVOCATION, decode YIELD, encode
// RESULT, with no arguments, or one string argument of 64 bytes or 4 KiB
// (the payloads of `switchboard bench -payload`). The difference from
// "none" is what the arguments cost; instruction counts under callgrind
// (-benchtime Nx at two N) do not depend on the machine's load.
func BenchmarkRoutedCallCodec(b *testing.B) {
	for _, s := range []Serializer{JSON, MsgPack, CBOR} {
		for _, n := range []int{-1, 64, 4096} {
			var args wamp.List
			name := "none"
			if n >= 0 {
				args, name = wamp.List{strings.Repeat("x", n)}, strconv.Itoa(n)
			}
			call, err := s.Append(nil, &wamp.Call{Request: 1234, Options: wamp.Dict{}, Procedure: "bench.echo", Args: args})
			if err != nil {
				b.Fatal(err)
			}
			yield, err := s.Append(nil, &wamp.Yield{Request: 5678, Options: wamp.Dict{}, Args: args})
			if err != nil {
				b.Fatal(err)
			}
			b.Run(s.Name()+"/"+name, func(b *testing.B) { benchRoutedCall(b, s, call, yield) })
		}
	}
}

func benchRoutedCall(b *testing.B, s Serializer, call, yield []byte) {
	buf := make([]byte, 0, 8192)
	b.ReportAllocs()
	for b.Loop() {
		m, err := s.Decode(call)
		if err != nil {
			b.Fatal(err)
		}
		c := m.(*wamp.Call)
		if buf, err = s.Append(buf[:0], &wamp.Invocation{Request: 5678, Registration: 99999, Details: wamp.Dict{}, Args: c.Args, Kwargs: c.Kwargs}); err != nil {
			b.Fatal(err)
		}
		if m, err = s.Decode(yield); err != nil {
			b.Fatal(err)
		}
		y := m.(*wamp.Yield)
		if buf, err = s.Append(buf[:0], &wamp.Result{Request: 1234, Details: wamp.Dict{}, Args: y.Args, Kwargs: y.Kwargs}); err != nil {
			b.Fatal(err)
		}
	}
}
