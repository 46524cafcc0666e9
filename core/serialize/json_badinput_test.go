package serialize

import (
	"errors"
	"strings"
	"testing"

	"github.com/switchboard-wamp/switchboard/core/wamp"
)

func TestJSONDecodeBadInput(t *testing.T) {
	const (
		syntax   = 1 // ErrDecode only
		protocol = 2 // ErrDecode and wamp.ErrProtocolViolation
	)
	tests := []struct {
		name  string
		in    string
		class int
		want  string
	}{
		{"empty", ``, syntax, "invalid JSON"},
		{"whitespace", "  \n ", syntax, "invalid JSON"},
		{"garbage", `hello`, syntax, "invalid JSON"},
		{"truncated", `[48,1,{},"p"`, syntax, "invalid JSON"},
		{"trailing comma", `[48,1,{},"p",]`, syntax, "invalid JSON"},
		{"trailing data", `[48,1,{},"p"] [1]`, syntax, "trailing data"},
		{"unterminated string", `[48,1,{},"p]`, syntax, "invalid JSON"},
		{"leading zero", `[048,1,{},"p"]`, syntax, "invalid JSON"},
		{"number overflow", `[50,1,{},[1e400]]`, syntax, "invalid JSON"},
		{"bad escape", `[48,1,{},"\x"]`, syntax, "invalid JSON"},
		{"object frame", `{"type":48}`, protocol, "frame is a JSON object, not an array"},
		{"string frame", `"[48]"`, protocol, "frame is a JSON string"},
		{"number frame", `48`, protocol, "frame is a JSON number"},
		{"null frame", `null`, protocol, "frame is a JSON null"},
		{"bool frame", `true`, protocol, "frame is a JSON boolean"},
		{"empty array", `[]`, protocol, "empty message list"},
		{"type not int", `["CALL",1,{},"p"]`, protocol, "element 0 (message type): not an integer"},
		{"float type", `[48.5,1,{},"p"]`, protocol, "not an integer"},
		{"unknown type", `[7]`, protocol, "unknown message type 7"},
		{"event received", `[337,5512315355]`, protocol, "unknown message type 337"},
		{"too few", `[48,1,{}]`, protocol, "CALL: too few elements"},
		{"too many", `[48,1,{},"p",[],{},1]`, protocol, "CALL: too many elements"},
		{"id zero", `[48,0,{},"p"]`, protocol, "ID out of range"},
		{"id 2^53+1", `[48,9007199254740993,{},"p"]`, protocol, "ID out of range"},
		{"id negative", `[48,-5,{},"p"]`, protocol, "ID out of range"},
		{"id float", `[48,1.5,{},"p"]`, protocol, "not an integer"},
		{"id huge", `[48,18446744073709551616,{},"p"]`, protocol, "ID out of range"},
		{"id string", `[48,"1",{},"p"]`, protocol, "not an integer"},
		{"id 1.0", `[48,1.0,{},"p"]`, protocol, "CALL: element 1: integer written as a JSON number with a fraction or exponent (1)"},
		{"id 1e0", `[48,1e0,{},"p"]`, protocol, "fraction or exponent"},
		{"id 2^53+1 as float", `[48,9007199254740993.0,{},"p"]`, protocol, "ID out of range for a float"},
		{"type 48.0", `[48.0,1,{},"p"]`, protocol, "element 0: integer written as a JSON number"},
		{"exclude 2.0", `[16,1,{"exclude":[2.0]},"t"]`, protocol, "PUBLISH: exclude: ID written as a JSON number with a fraction or exponent"},
		{"options list", `[48,1,[],"p"]`, protocol, "(Options): not a dict"},
		{"procedure int", `[48,1,{},5]`, protocol, "(Procedure): not a string"},
		{"procedure binary", `[48,1,{},"\u0000aGk="]`, protocol, "(Procedure): not a string: binary"},
		{"kwargs without args", `[48,1,{},"p",{"a":1}]`, protocol, "(Arguments): not a list"},
		{"args null", `[48,1,{},"p",null]`, protocol, "(Arguments): not a list"},
		{"ppt payload", `[16,1,{},"t","\u0000aGk="]`, protocol, "payload passthru"},
		{"error bad request type", `[8,17,1,{},"e"]`, protocol, "REQUEST.Type"},
		{"bad base64", `[48,1,{},"p",["\u0000!!!"]]`, syntax, "not valid base64"},
		{"too deep", `[48,1,{},"p",` + strings.Repeat("[", 64) + strings.Repeat("]", 64) + `]`, syntax, "nesting deeper than 64"},
		{"very deep", strings.Repeat("[", 1<<20) + strings.Repeat("]", 1<<20), syntax, "nesting deeper"},
		{"very deep unbalanced", strings.Repeat(`{"a":`, 1<<20), syntax, "nesting deeper"},
		{"brackets in strings do not count", `[48,1,{},"` + strings.Repeat("[", 100) + `"]`, 0, ""},
		{"escaped quote in string", `[48,1,{},"a\"[[[["]`, 0, ""},
		{"escaped backslash before quote", `[48,1,{},"a\\",[` + strings.Repeat("[", 62) + strings.Repeat("]", 62) + `]]`, 0, ""},
		{"max depth", `[48,1,{},"p",` + strings.Repeat("[", 63) + strings.Repeat("]", 63) + `]`, 0, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, err := JSON.Decode([]byte(tt.in))
			if tt.class == 0 {
				if err != nil {
					t.Fatalf("unexpected error %v", err)
				}
				return
			}
			if err == nil {
				t.Fatalf("Decode(%.80q) = %#v, want error", tt.in, m)
			}
			if m != nil {
				t.Errorf("message %#v returned with error", m)
			}
			if !errors.Is(err, ErrDecode) {
				t.Errorf("error %v does not wrap ErrDecode", err)
			}
			if got := errors.Is(err, wamp.ErrProtocolViolation); got != (tt.class == protocol) {
				t.Errorf("errors.Is(%v, ErrProtocolViolation) = %v", err, got)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %q does not contain %q", err, tt.want)
			}
		})
	}
}

func TestJSONDecodeHugeInput(t *testing.T) {
	// A 16 MiB frame (the largest RawSocket allows): one big string argument
	// and a long list of numbers.
	big := strings.Repeat("x", 8<<20)
	var sb strings.Builder
	sb.WriteString(`[50,1,{},["` + big + `",[`)
	n := 0
	for sb.Len() < 16<<20 {
		if n > 0 {
			sb.WriteByte(',')
		}
		sb.WriteString("123456789")
		n++
	}
	sb.WriteString("]]]")
	m, err := JSON.Decode([]byte(sb.String()))
	if err != nil {
		t.Fatal(err)
	}
	args := m.(*wamp.Result).Args
	if args[0] != big || len(args[1].([]any)) != n {
		t.Fatalf("huge frame decoded wrongly: %d elements", len(args[1].([]any)))
	}
}

// TestJSONDecodeEveryPrefix: no strict prefix of a valid frame decodes, and
// none panics.
func TestJSONDecodeEveryPrefix(t *testing.T) {
	msgs := []wamp.Message{benchCall, benchEvent,
		&wamp.Hello{Realm: "realm1", Details: wamp.Dict{"roles": wamp.Dict{"caller": wamp.Dict{}}}},
		&wamp.Result{Request: 1, Args: wamp.List{[]byte("bin"), "s\"q", 1.5}}}
	for _, m := range msgs {
		frame, err := JSON.Append(nil, m)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := JSON.Decode(frame); err != nil {
			t.Fatalf("full frame %s: %v", frame, err)
		}
		for n := 0; n < len(frame); n++ {
			if got, err := JSON.Decode(frame[:n]); err == nil || !errors.Is(err, ErrDecode) {
				t.Fatalf("prefix %q decoded to %#v, %v", frame[:n], got, err)
			}
		}
	}
}
