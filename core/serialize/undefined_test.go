package serialize

import (
	"errors"
	"reflect"
	"strings"
	"testing"

	"github.com/switchboard-wamp/switchboard/core/wamp"
)

// JavaScript's undefined, as wampy 8 writes it through msgpackr (fixext 1
// of type 0 holding 0: d4 00 00) and cbor-x (simple value 23: f7), counts
// as absent: a map entry holding it is dropped, trailing ones in the
// message array are dropped (no Arguments, no ArgumentsKw), and anywhere
// else in an array it is nil.
var undefinedCases = []struct {
	name         string
	msgpack, cbr string // hex
	want         wamp.List
}{
	{
		name:    "SUBSCRIBE option undefined",
		msgpack: "94 20 01 81 a56d61746368 d40000 a5636f6d2e78",
		cbr:     "84 1820 01 a1 656d61746368 f7 65636f6d2e78",
		want:    wamp.List{int64(32), int64(1), wamp.Dict{}, "com.x"},
	},
	{
		name:    "SUBSCRIBE option undefined beside a defined one",
		msgpack: "94 20 01 82 a56d61746368 d40000 a161 01 a5636f6d2e78",
		cbr:     "84 1820 01 a2 656d61746368 f7 6161 01 65636f6d2e78",
		want:    wamp.List{int64(32), int64(1), wamp.Dict{"a": int64(1)}, "com.x"},
	},
	{
		name:    "YIELD undefined Arguments and ArgumentsKw",
		msgpack: "95 46 01 80 d40000 d40000",
		cbr:     "85 1846 01 a0 f7 f7",
		want:    wamp.List{int64(70), int64(1), wamp.Dict{}},
	},
	{
		name:    "YIELD undefined ArgumentsKw",
		msgpack: "95 46 01 80 91 01 d40000",
		cbr:     "85 1846 01 a0 81 01 f7",
		want:    wamp.List{int64(70), int64(1), wamp.Dict{}, wamp.List{int64(1)}},
	},
	{
		name:    "YIELD undefined in a list and a nested dict",
		msgpack: "95 46 01 80 92 01 d40000 82 a161 d40000 a162 81 a163 d40000",
		cbr:     "85 1846 01 a0 82 01 f7 a2 6161 f7 6162 a1 6163 f7",
		want:    wamp.List{int64(70), int64(1), wamp.Dict{}, wamp.List{int64(1), nil}, wamp.Dict{"b": wamp.Dict{}}},
	},
	{
		name:    "repeated key, last undefined",
		msgpack: "94 20 01 82 a161 01 a161 d40000 a5636f6d2e78",
		cbr:     "84 1820 01 a2 6161 01 6161 f7 65636f6d2e78",
		want:    wamp.List{int64(32), int64(1), wamp.Dict{}, "com.x"},
	},
	{
		name: "CBOR indefinite-length map",
		cbr:  "84 1820 01 bf 656d61746368 f7 ff 65636f6d2e78",
		want: wamp.List{int64(32), int64(1), wamp.Dict{}, "com.x"},
	},
}

func TestDecodeUndefinedIsAbsent(t *testing.T) {
	for _, tt := range undefinedCases {
		for _, c := range []struct {
			s  Serializer
			in string
		}{{MsgPack, tt.msgpack}, {CBOR, tt.cbr}} {
			if c.in == "" {
				continue
			}
			t.Run(tt.name+"/"+c.s.Name(), func(t *testing.T) {
				m, err := c.s.Decode(unhex(t, c.in))
				if err != nil {
					t.Fatalf("Decode: %v", err)
				}
				if got := wamp.ToList(m); !reflect.DeepEqual(got, tt.want) {
					t.Fatalf("got %#v\nwant %#v", got, tt.want)
				}
			})
		}
	}
}

// Only that one encoding of undefined is taken: other ext types and
// values, other simple values and tags are still refused, and undefined is
// neither a map key nor a frame, nor an Arguments followed by ArgumentsKw.
var undefinedBadInputs = []struct {
	s     Serializer
	name  string
	in    string
	class int
	want  string
}{
	{MsgPack, "fixext1 type 0 data 1", mpCallArg + "91 d40001", syntaxErr, "extension type (code 0xd4)"},
	{MsgPack, "fixext1 type 1 data 0", mpCallArg + "91 d40100", syntaxErr, "extension type (code 0xd4)"},
	{MsgPack, "fixext1 type -1 (timestamp)", mpCallArg + "91 d4ff00", syntaxErr, "extension type (code 0xd4)"},
	{MsgPack, "ext8 length 1 type 0", mpCallArg + "91 c7010000", syntaxErr, "extension type (code 0xc7)"},
	{MsgPack, "fixext2 type 0", mpCallArg + "91 d5000000", syntaxErr, "extension type (code 0xd5)"},
	{MsgPack, "truncated undefined", mpCallArg + "91 d400", syntaxErr, "extension type (code 0xd4)"},
	{MsgPack, "undefined map key", "94 30 01 81 d40000 01 a170", protocolErr, "map key is not a str"},
	{MsgPack, "undefined frame", "d40000", protocolErr, "frame is a msgpack undefined"},
	{MsgPack, "undefined Arguments before ArgumentsKw", "95 46 01 80 d40000 80", protocolErr, "(Arguments): not a list"},
	{MsgPack, "undefined procedure", "94 30 01 80 d40000", protocolErr, "CALL: too few elements"},
	{CBOR, "simple value 16 (the internal marker)", cbCallArg + "81 f0", syntaxErr, "simple value"},
	{CBOR, "simple value 0", cbCallArg + "81 e0", syntaxErr, "simple value"},
	{CBOR, "8-bit simple value", cbCallArg + "81 f820", syntaxErr, "simple value"},
	{CBOR, "tag on undefined", cbCallArg + "81 c1f7", syntaxErr, "tags are not supported"},
	{CBOR, "undefined map key", cbCallArg + "81 a1 f7 01", protocolErr, "map key is not a text string"},
	{CBOR, "undefined frame", "f7", protocolErr, "frame is a CBOR undefined"},
	{CBOR, "undefined Arguments before ArgumentsKw", "85 1846 01 a0 f7 a0", protocolErr, "(Arguments): not a list"},
}

func TestDecodeUndefinedBadInputs(t *testing.T) {
	for _, tt := range undefinedBadInputs {
		t.Run(tt.s.Name()+"/"+tt.name, func(t *testing.T) {
			_, err := tt.s.Decode(unhex(t, tt.in))
			if err == nil {
				t.Fatal("decoded, want an error")
			}
			if !errors.Is(err, ErrDecode) || errors.Is(err, wamp.ErrProtocolViolation) != (tt.class == protocolErr) {
				t.Fatalf("error %v: wrong class (want %d)", err, tt.class)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("error %q does not contain %q", err, tt.want)
			}
		})
	}
}

// undefinedSeeds adds the frames above to a fuzz target of s.
func undefinedSeeds(f *testing.F, s Serializer) {
	for _, tt := range undefinedCases {
		in := tt.msgpack
		if s == CBOR {
			in = tt.cbr
		}
		if in != "" {
			f.Add(unhex(f, in))
		}
	}
	for _, tt := range undefinedBadInputs {
		if tt.s == s {
			f.Add(unhex(f, tt.in))
		}
	}
}
