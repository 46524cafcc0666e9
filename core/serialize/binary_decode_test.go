package serialize

import (
	"math"
	"reflect"
	"testing"

	"github.com/switchboard-wamp/switchboard/core/wamp"
)

// TestBinaryDecodeValues: every wire representation of a value decodes to
// the package's one Go representation (int64, uint64 only above MaxInt64,
// float64, string, []byte, []any, map[string]any).
func TestBinaryDecodeValues(t *testing.T) {
	tests := []struct {
		name string
		s    Serializer
		args string // hex of the Arguments list, appended to RESULT [50, 1, {}]
		want wamp.List
	}{
		{"msgpack ints", MsgPack,
			"9c 05 ccc8 cd0100 ce00010000 cf0000000000000007 cf7fffffffffffffff cf8000000000000000 ff d0fb d1ff00 d2ffff0000 d38000000000000000",
			wamp.List{int64(5), int64(200), int64(256), int64(65536), int64(7), int64(math.MaxInt64), uint64(1 << 63),
				int64(-1), int64(-5), int64(-256), int64(-65536), int64(math.MinInt64)}},
		{"msgpack floats", MsgPack, "93 ca3fc00000 cb4037800000000000 cb7ff8000000000001",
			wamp.List{1.5, 23.5, math.Float64frombits(0x7ff8000000000001)}},
		{"msgpack strings and binary", MsgPack, "95 a0 d90568656c6c6f da000161 db0000000162 c6000000020001",
			wamp.List{"", "hello", "a", "b", []byte{0, 1}}},
		{"msgpack containers", MsgPack, "94 dc0001c0 dd00000001c3 de0001a161c2 df00000001a16290",
			wamp.List{wamp.List{nil}, wamp.List{true}, wamp.Dict{"a": false}, wamp.Dict{"b": wamp.List{}}}},
		{"msgpack duplicate key keeps the last", MsgPack, "91 82 a16101 a16102", wamp.List{wamp.Dict{"a": int64(2)}}},
		{"cbor ints", CBOR,
			"8a 05 18c8 190100 1a00010000 1b0000000000000007 1b7fffffffffffffff 20 24 3affffffff 3b7fffffffffffffff",
			wamp.List{int64(5), int64(200), int64(256), int64(65536), int64(7), int64(math.MaxInt64),
				int64(-1), int64(-5), int64(-4294967296), int64(math.MinInt64)}},
		{"cbor floats", CBOR, "85 f93e00 f97c00 fa41bc0000 fb4037800000000000 f98000",
			wamp.List{1.5, math.Inf(1), 23.5, 23.5, math.Copysign(0, -1)}},
		{"cbor simple values", CBOR, "84 f4 f5 f6 f7", wamp.List{false, true, nil, nil}},
		{"cbor indefinite lengths", CBOR, "9f 5f 4161 4162 ff 7f 6161 6162 ff 9f 01 ff bf 6161 01 7f6162ff 80 ff 5fff ff",
			wamp.List{[]byte("ab"), "ab", wamp.List{int64(1)}, wamp.Dict{"a": int64(1), "b": wamp.List{}}, []byte{}}},
		{"cbor duplicate key keeps the last", CBOR, "81 a2 616101 616102", wamp.List{wamp.Dict{"a": int64(2)}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			frame := unhex(t, "943201 80"+tt.args)
			if tt.s == CBOR {
				frame = unhex(t, "841832 01 a0"+tt.args)
			}
			m, err := tt.s.Decode(frame)
			if err != nil {
				t.Fatal(err)
			}
			got := m.(*wamp.Result).Args
			if !equalBits(got, tt.want) {
				t.Errorf("Args = %#v, want %#v", got, tt.want)
			}
		})
	}
}

// equalBits is reflect.DeepEqual, except that floats compare by their bits
// (so NaN payloads and -0 are checked).
func equalBits(a, b any) bool {
	switch x := a.(type) {
	case float64:
		y, ok := b.(float64)
		return ok && math.Float64bits(x) == math.Float64bits(y)
	case []any:
		y, ok := b.([]any)
		if !ok || len(x) != len(y) {
			return false
		}
		for i := range x {
			if !equalBits(x[i], y[i]) {
				return false
			}
		}
		return true
	case map[string]any:
		y, ok := b.(map[string]any)
		if !ok || len(x) != len(y) {
			return false
		}
		for k, v := range x {
			w, ok := y[k]
			if !ok || !equalBits(v, w) {
				return false
			}
		}
		return true
	}
	return reflect.DeepEqual(a, b)
}

// TestRealClientBytes decodes byte shapes that real clients send
// (DEPENDENCIES.md §2), for autobahn-js 26.3.1 serializing
// [36, 5512315355, 2^53-1, {}, ["Hello", 23.5, true], {count: 42}]:
// msgpack5 writes IDs above 2^32 as uint64 (0xcf) and floats as float64;
// cbor@9 writes major type 0 integers and 23.5 as a float32 (0xfa).
func TestRealClientBytes(t *testing.T) {
	want := &wamp.Event{Subscription: 5512315355, Publication: wamp.MaxID - 1, Details: wamp.Dict{},
		Args: wamp.List{"Hello", 23.5, true}, Kwargs: wamp.Dict{"count": int64(42)}}
	tests := []struct {
		name string
		s    Serializer
		hex  string
	}{
		{"msgpack5", MsgPack, "96 24 cf00000001488f41db cf001fffffffffffff 80 93 a548656c6c6f cb4037800000000000 c3 81 a5636f756e74 2a"},
		{"cbor@9", CBOR, "86 1824 1b00000001488f41db 1b001fffffffffffff a0 83 6548656c6c6f fa41bc0000 f5 a1 65636f756e74 182a"},
		// Other float widths a CBOR peer may choose for 23.5.
		{"cbor float64", CBOR, "86 1824 1b00000001488f41db 1b001fffffffffffff a0 83 6548656c6c6f fb4037800000000000 f5 a1 65636f756e74 182a"},
		{"cbor float16", CBOR, "86 1824 1b00000001488f41db 1b001fffffffffffff a0 83 6548656c6c6f f94de0 f5 a1 65636f756e74 182a"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := tt.s.Decode(unhex(t, tt.hex))
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, want) {
				t.Fatalf("got %#v\nwant %#v", got, want)
			}
		})
	}
}
