package wamp_test

import (
	"strings"
	"testing"

	"github.com/switchboard-wamp/switchboard/core/serialize"
	"github.com/switchboard-wamp/switchboard/core/wamp"
)

// SizeHint is what the byte budgets count: it must grow with the payload a
// peer controls and stay within a small factor of its encoding, whatever
// the shape (long strings, many small elements, deep nesting, big maps).
func TestSizeHintTracksEncodedSize(t *testing.T) {
	deep := wamp.List{"x"}
	for range 50 {
		deep = wamp.List{deep}
	}
	many := make(wamp.List, 10000)
	for i := range many {
		many[i] = i
	}
	wide := wamp.Dict{}
	for i := range 2000 {
		wide[strings.Repeat("k", 8)+string(rune('a'+i%26))+strings.Repeat("z", i%7)+string(rune(i))] = "v"
	}
	payloads := map[string]wamp.Message{
		"empty event":  &wamp.Event{Subscription: 1, Publication: 2},
		"1 MiB string": &wamp.Publish{Request: 1, Topic: "t", Args: wamp.List{strings.Repeat("a", 1<<20)}},
		"1 MiB bytes":  &wamp.Call{Request: 1, Procedure: "p", Args: wamp.List{make([]byte, 1<<20)}},
		"10k ints":     &wamp.Yield{Request: 1, Args: many},
		"deep":         &wamp.Result{Request: 1, Args: deep},
		"wide kwargs":  &wamp.Invocation{Request: 1, Registration: 2, Kwargs: wide},
		"options":      &wamp.Subscribe{Request: 1, Options: wamp.Dict{"match": "prefix"}, Topic: "com.example"},
	}
	for name, m := range payloads {
		hint := wamp.SizeHint(m)
		if hint <= 0 {
			t.Errorf("%s: SizeHint %d, want > 0", name, hint)
		}
		for _, s := range []serialize.Serializer{serialize.JSON, serialize.MsgPack, serialize.CBOR} {
			b, err := s.Append(nil, m)
			if err != nil {
				t.Fatalf("%s %s: %v", name, s.Name(), err)
			}
			// Never far below the encoding (a budget must not be fooled)
			// nor absurdly above it (a budget must not close honest peers).
			if hint < len(b)/2 || hint > 40*len(b)+64 {
				t.Errorf("%s %s: SizeHint %d for %d encoded bytes", name, s.Name(), hint, len(b))
			}
		}
	}
}

func BenchmarkSizeHintSmallEvent(b *testing.B) {
	m := &wamp.Event{Subscription: 1, Publication: 2, Args: wamp.List{strings.Repeat("a", 64)}}
	for b.Loop() {
		_ = wamp.SizeHint(m)
	}
}
