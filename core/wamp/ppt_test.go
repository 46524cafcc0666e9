package wamp

import (
	"errors"
	"strings"
	"testing"
)

// TestValidatePPT checks the payload passthru option rules of
// ValidateOptions on every message type that carries them.
func TestValidatePPT(t *testing.T) {
	payload := List{[]byte{0xa1, 0x61, 0x78}}
	msgs := func(d Dict) []Message {
		return []Message{
			&Call{Request: 1, Options: d, Procedure: "com.p", Args: payload},
			&Invocation{Request: 1, Registration: 2, Details: d, Args: payload},
			&Yield{Request: 1, Options: d, Args: payload},
			&Result{Request: 1, Details: d, Args: payload},
			&Publish{Request: 1, Options: d, Topic: "com.t", Args: payload},
			&Event{Subscription: 1, Publication: 2, Details: d, Args: payload},
			&Error{RequestType: CALL, Request: 1, Details: d, Error: "com.e", Args: payload},
		}
	}
	cases := []struct {
		d    Dict
		want string // "" = valid
	}{
		{Dict{}, ""},
		{Dict{"ppt_scheme": "wamp", "ppt_serializer": "cbor", "ppt_cipher": "xsalsa20poly1305", "ppt_keyid": "k1"}, ""},
		{Dict{"ppt_scheme": "wamp", "ppt_serializer": "flatbuffers"}, ""},
		{Dict{"ppt_scheme": "mqtt"}, ""},
		{Dict{"ppt_scheme": "mqtt", "ppt_serializer": "native"}, ""},
		{Dict{"ppt_scheme": "x_custom", "ppt_serializer": "anything"}, ""},
		{Dict{"ppt_scheme": 1}, "ppt_scheme: not a string"},
		{Dict{"ppt_scheme": "x_a", "ppt_keyid": true}, "ppt_keyid: not a string"},
		{Dict{"ppt_serializer": "cbor"}, "ppt_scheme is required"},
		{Dict{"ppt_scheme": "", "ppt_serializer": "cbor"}, "ppt_scheme is required"},
		{Dict{"ppt_scheme": "wamp"}, "must be cbor or flatbuffers"},
		{Dict{"ppt_scheme": "wamp", "ppt_serializer": "json"}, "must be cbor or flatbuffers"},
		{Dict{"ppt_scheme": "mqtt", "ppt_serializer": "xml"}, "must be native, json, msgpack or cbor"},
	}
	for _, c := range cases {
		for _, m := range msgs(c.d) {
			err := ValidateOptions(m)
			switch {
			case c.want == "" && err != nil:
				t.Errorf("%s %v: %v, want valid", m.Type(), c.d, err)
			case c.want != "" && (err == nil || !strings.Contains(err.Error(), c.want) || !errors.Is(err, ErrProtocolViolation)):
				t.Errorf("%s %v: %v, want a protocol violation with %q", m.Type(), c.d, err, c.want)
			}
		}
		if IsPPT(c.d) != (len(c.d) > 0) {
			t.Errorf("IsPPT(%v) = %v", c.d, IsPPT(c.d))
		}
	}
	// Message types without payload passthru ignore ppt_* keys.
	if err := ValidateOptions(&Subscribe{Request: 1, Options: Dict{"ppt_serializer": "cbor"}, Topic: "com.t"}); err != nil {
		t.Errorf("SUBSCRIBE with a ppt_* key: %v", err)
	}
	to := Dict{"x": 1}
	CopyPPT(to, Dict{"ppt_scheme": "mqtt", "ppt_keyid": "k", "other": 2})
	if len(to) != 3 || to["ppt_scheme"] != "mqtt" || to["ppt_keyid"] != "k" {
		t.Errorf("CopyPPT = %v", to)
	}
}
