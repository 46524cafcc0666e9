package tests

import (
	"strings"
	"testing"
)

// Bad input from the network gets the spec's answer: ERROR for a
// request-scoped problem (the session goes on), ABORT
// wamp.error.protocol_violation for a session-fatal one (the connection is
// closed). Whatever happens, the router keeps serving other sessions.
func TestBadInput(t *testing.T) {
	const (
		abortCode = 3
		errorCode = 8
		pv        = "wamp.error.protocol_violation"
	)
	type step struct {
		send string
		// want: message type code and the elements to check (nil = any).
		code  int
		elems []any
	}
	cases := []struct {
		name   string
		joined bool // HELLO first
		steps  []step
		closed bool // the router must close the connection afterwards
	}{
		{name: "malformed JSON before HELLO", steps: []step{{`[1,"realm1"`, abortCode, []any{nil, pv}}}, closed: true},
		{name: "object frame", steps: []step{{`{"hello":1}`, abortCode, []any{nil, pv}}}, closed: true},
		{name: "string frame", steps: []step{{`"HELLO"`, abortCode, []any{nil, pv}}}, closed: true},
		{name: "empty list", steps: []step{{`[]`, abortCode, []any{nil, pv}}}, closed: true},
		{name: "message before HELLO", steps: []step{{`[48,1,{},"com.example.go.add",[1,2]]`, abortCode, []any{nil, pv}}}, closed: true},
		{name: "unknown realm", steps: []step{{`[1,"nosuch",{"roles":{"caller":{}}}]`, abortCode, []any{nil, "wamp.error.no_such_realm"}}}, closed: true},
		{name: "HELLO without roles", steps: []step{{`[1,"realm1",{}]`, abortCode, []any{nil, pv}}}, closed: true},
		{name: "HELLO wrong arity", steps: []step{{`[1,"realm1"]`, abortCode, []any{nil, pv}}}, closed: true},
		{name: "HELLO over 64 KiB", steps: []step{{`[1,"realm1",{"roles":{"caller":{}},"authextra":{"x":"` + strings.Repeat("x", 70<<10) + `"}}]`, abortCode, []any{nil, pv}}}, closed: true},
		{name: "unsupported auth method", steps: []step{{`[1,"realm1",{"roles":{"caller":{}},"authmethods":["ticket"]}]`, abortCode, []any{nil, "wamp.error.no_matching_auth_method"}}}, closed: true},
		{name: "malformed JSON after join", joined: true, steps: []step{{`[48,1,{},`, abortCode, []any{nil, pv}}}, closed: true},
		{name: "second HELLO", joined: true, steps: []step{{`[1,"realm1",{"roles":{"caller":{}}}]`, abortCode, []any{nil, pv}}}, closed: true},
		{name: "unknown message type", joined: true, steps: []step{{`[999,1,{}]`, abortCode, []any{nil, pv}}}, closed: true},
		{name: "router-only message from client", joined: true, steps: []step{{`[2,1,{}]`, abortCode, []any{nil, pv}}}, closed: true},
		{name: "CALL wrong arity", joined: true, steps: []step{{`[48,1,{}]`, abortCode, []any{nil, pv}}}, closed: true},
		{name: "CALL args not a list", joined: true, steps: []step{{`[48,1,{},"com.example.go.add",{"a":1}]`, abortCode, []any{nil, pv}}}, closed: true},
		{name: "ID out of range", joined: true, steps: []step{{`[48,9007199254740993,{},"com.example.go.add",[1,2]]`, abortCode, []any{nil, pv}}}, closed: true},
		{name: "ID zero", joined: true, steps: []step{{`[48,0,{},"com.example.go.add",[1,2]]`, abortCode, []any{nil, pv}}}, closed: true},
		{name: "bad procedure URI", joined: true, steps: []step{
			{`[48,7,{},"com..example",[1,2]]`, errorCode, []any{48, 7, nil, "wamp.error.invalid_uri"}},
			{`[48,8,{},"com.example.go.add",[1,2]]`, 50, []any{8, nil, []any{3}}},
		}},
		{name: "bad topic URI", joined: true, steps: []step{{`[32,7,{},"a b"]`, errorCode, []any{32, 7, nil, "wamp.error.invalid_uri"}}}},
		{name: "unknown procedure", joined: true, steps: []step{{`[48,7,{},"com.example.nothing"]`, errorCode, []any{48, 7, nil, "wamp.error.no_such_procedure"}}}},
		{name: "duplicate registration", joined: true, steps: []step{{`[64,7,{},"com.example.go.add"]`, errorCode, []any{64, 7, nil, "wamp.error.procedure_already_exists"}}}},
		{name: "unknown subscription", joined: true, steps: []step{{`[34,7,12345]`, errorCode, []any{34, 7, nil, "wamp.error.no_such_subscription"}}}},
		{name: "unknown registration", joined: true, steps: []step{{`[66,7,12345]`, errorCode, []any{66, 7, nil, "wamp.error.no_such_registration"}}}},
		{name: "handler error does not leak", joined: true, steps: []step{{`[48,7,{},"com.example.go.fail"]`, errorCode, []any{48, 7, nil, "wamp.error.runtime_error", nil}}}},
		{name: "handler panic", joined: true, steps: []step{
			{`[48,7,{},"com.example.go.panic"]`, errorCode, []any{48, 7, nil, "wamp.error.runtime_error"}},
			{`[48,8,{},"com.example.go.add",[2,2]]`, 50, []any{8, nil, []any{4}}},
		}},
	}
	forEachBackend(t, func(t *testing.T, b backend) {
		r := startRouter(t, b)
		for _, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				p := dialWire(t, r.URL, "wamp.2.json")
				if tc.joined {
					p.join("realm1")
				}
				for _, s := range tc.steps {
					p.send(s.send)
					l := p.want(s.code, s.elems...)
					if tc.name == "handler error does not leak" && len(l) > 5 {
						t.Fatalf("runtime error carries arguments %v: internals leak to the caller", l[5:])
					}
				}
				if tc.closed {
					p.wantClosed()
				}
				// Whatever that peer did, another session is served normally.
				q := dialWire(t, r.URL, "wamp.2.json")
				q.join("realm1")
				q.send(`[48,1,{},"com.example.go.add",[20,22]]`)
				q.want(50, 1, nil, []any{42})
			})
		}
	})
}
