package serialize

import (
	"errors"
	"reflect"
	"testing"

	"github.com/switchboard-wamp/switchboard/core/wamp"
)

// encodeBinaryList encodes a raw message list (any values, floats where
// IDs go included), as a peer's msgpack or CBOR library would.
func encodeBinaryList(t *testing.T, f binFormat, l []any) []byte {
	t.Helper()
	e := binEncoder{format: f}
	e.listValue(l, 1)
	if e.err != nil {
		t.Fatal(e.err)
	}
	return e.b
}

// TestFloatIDs: a float is never rounded into an ID. msgpack and CBOR accept
// an ID sent as an integral float64 strictly below 2^53 (JavaScript encoders
// such as msgpackr write integers above 2^32 that way; below 2^53 a float64
// is exact); JSON refuses any ID written with a fraction or exponent, at the
// top level and in ID-valued options, since its decimal text may have been
// rounded by parsing. Non-integral floats and floats from 2^53 up are
// refused by every serializer. "Accepted" means Decode and
// wamp.ValidateOptions both pass, as the router requires.
func TestFloatIDs(t *testing.T) {
	const below53 = float64(1<<53 - 1)
	tests := []struct {
		name     string
		json     string // the frame as a JSON peer would write it
		list     []any  // the same frame for msgpack and CBOR
		jsonOK   bool
		binaryOK bool
		want     wamp.Message // when accepted
	}{
		{"integer request", `[48,7,{},"p"]`, []any{int64(48), int64(7), map[string]any{}, "p"}, true, true,
			&wamp.Call{Request: 7, Options: wamp.Dict{}, Procedure: "p"}},
		{"request 1.0", `[48,1.0,{},"p"]`, []any{int64(48), 1.0, map[string]any{}, "p"}, false, true,
			&wamp.Call{Request: 1, Options: wamp.Dict{}, Procedure: "p"}},
		{"request 2^32+1 as float", `[48,4294967297.0,{},"p"]`, []any{int64(48), 4294967297.0, map[string]any{}, "p"}, false, true,
			&wamp.Call{Request: 4294967297, Options: wamp.Dict{}, Procedure: "p"}},
		{"request 2^53-1 as float", `[48,9007199254740991e0,{},"p"]`, []any{int64(48), below53, map[string]any{}, "p"}, false, true,
			&wamp.Call{Request: 1<<53 - 1, Options: wamp.Dict{}, Procedure: "p"}},
		{"request 2^53 as float", `[48,9007199254740992.0,{},"p"]`, []any{int64(48), float64(1 << 53), map[string]any{}, "p"}, false, false, nil},
		{"request 2^53+1 rounded", `[48,9007199254740993.0,{},"p"]`, []any{int64(48), float64(1<<53 + 2), map[string]any{}, "p"}, false, false, nil},
		{"request 1.5", `[48,1.5,{},"p"]`, []any{int64(48), 1.5, map[string]any{}, "p"}, false, false, nil},
		{"request rounds to 1", `[48,1.0000000000000001,{},"p"]`, []any{int64(48), 1.0000000000000002, map[string]any{}, "p"}, false, false, nil},
		{"type code 48.0", `[48.0,1,{},"p"]`, []any{48.0, int64(1), map[string]any{}, "p"}, false, true,
			&wamp.Call{Request: 1, Options: wamp.Dict{}, Procedure: "p"}},
		{"error request type 48.0", `[8,48.0,1,{},"e"]`, []any{int64(8), 48.0, int64(1), map[string]any{}, "e"}, false, true,
			&wamp.Error{RequestType: wamp.CALL, Request: 1, Details: wamp.Dict{}, Error: "e"}},
		{"subscription id 5e0", `[34,1,5e0]`, []any{int64(34), int64(1), 5.0}, false, true,
			&wamp.Unsubscribe{Request: 1, Subscription: 5}},
		{"exclude 2.0", `[16,1,{"exclude":[3,2.0]},"t"]`, []any{int64(16), int64(1), map[string]any{"exclude": []any{int64(3), 2.0}}, "t"}, false, true,
			&wamp.Publish{Request: 1, Options: wamp.Dict{"exclude": []any{int64(3), 2.0}}, Topic: "t"}},
		{"eligible 2^53 as float", `[16,1,{"eligible":[9007199254740992.0]},"t"]`, []any{int64(16), int64(1), map[string]any{"eligible": []any{float64(1 << 53)}}, "t"}, false, false, nil},
		{"eligible 2.5", `[16,1,{"eligible":[2.5]},"t"]`, []any{int64(16), int64(1), map[string]any{"eligible": []any{2.5}}, "t"}, false, false, nil},
		{"publisher 3.0", `[36,1,2,{"publisher":3.0}]`, []any{int64(36), int64(1), int64(2), map[string]any{"publisher": 3.0}}, false, true,
			&wamp.Event{Subscription: 1, Publication: 2, Details: wamp.Dict{"publisher": 3.0}}},
		// Floats elsewhere are values, not IDs.
		{"float arguments", `[48,1,{},"p",[1.0,2.5]]`, []any{int64(48), int64(1), map[string]any{}, "p", []any{1.0, 2.5}}, true, true,
			&wamp.Call{Request: 1, Options: wamp.Dict{}, Procedure: "p", Args: wamp.List{1.0, 2.5}}},
		{"float timeout", `[48,1,{"timeout":1000.0},"p"]`, []any{int64(48), int64(1), map[string]any{"timeout": 1000.0}, "p"}, true, true,
			&wamp.Call{Request: 1, Options: wamp.Dict{"timeout": 1000.0}, Procedure: "p"}},
		{"float in unknown option", `[16,1,{"x_ids":[1.0]},"t"]`, []any{int64(16), int64(1), map[string]any{"x_ids": []any{1.0}}, "t"}, true, true,
			&wamp.Publish{Request: 1, Options: wamp.Dict{"x_ids": []any{1.0}}, Topic: "t"}},
	}
	decode := func(s Serializer, b []byte) (wamp.Message, error) {
		m, err := s.Decode(b)
		if err == nil {
			err = wamp.ValidateOptions(m)
		}
		return m, err
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			frames := map[Serializer][]byte{
				JSON:    []byte(tt.json),
				MsgPack: encodeBinaryList(t, formatMsgpack, tt.list),
				CBOR:    encodeBinaryList(t, formatCBOR, tt.list),
			}
			for s, frame := range frames {
				wantOK := tt.binaryOK
				if s == JSON {
					wantOK = tt.jsonOK
				}
				m, err := decode(s, frame)
				switch {
				case wantOK && err != nil:
					t.Errorf("%s: refused: %v", s.Name(), err)
				case wantOK && !reflect.DeepEqual(m, tt.want):
					t.Errorf("%s: decoded %#v, want %#v", s.Name(), m, tt.want)
				case !wantOK && err == nil:
					t.Errorf("%s: accepted as %#v, want a protocol violation", s.Name(), m)
				case !wantOK && !errors.Is(err, wamp.ErrProtocolViolation):
					t.Errorf("%s: error %v, want a protocol violation", s.Name(), err)
				}
			}
		})
	}
}
