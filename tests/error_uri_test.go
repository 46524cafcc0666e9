package tests

import (
	"context"
	"strings"
	"testing"

	"github.com/switchboard-wamp/switchboard/core"
	"github.com/switchboard-wamp/switchboard/core/serialize"
	"github.com/switchboard-wamp/switchboard/core/wamp"
)

// An ERROR with an empty or invalid URI is never forwarded to a caller, on
// every backend: an application handler's *Error without a valid URI goes
// out as wamp.error.runtime_error; a remote callee sending such an ERROR
// gets ABORT wamp.error.protocol_violation and its caller ERROR
// wamp.error.canceled (the callee left).
func TestInvalidErrorURINeverForwarded(t *testing.T) {
	forEachBackend(t, func(t *testing.T, b backend) {
		r := startRouter(t, b)
		if _, err := r.Realm.Register(context.Background(), "com.example.nouri", func(context.Context, *core.Invocation) (*core.Result, error) {
			return nil, &core.Error{Args: wamp.List{"no URI"}}
		}, nil); err != nil {
			t.Fatal(err)
		}
		caller := dialVia(t, b, r.URL, serialize.MsgPack)

		// The application's handler.
		_, err := caller.Call(guardCtx(t), "com.example.nouri", nil, nil, nil)
		wantErrorURI(t, err, wamp.ErrRuntimeError)

		// A remote callee at the frame level.
		for _, uri := range []string{"", "com..bad", "com.bad uri"} {
			callee := dialWire(t, r.URL, "wamp.2.json")
			callee.join("realm1")
			callee.send(`[64,1,{},"com.example.remote"]`)
			callee.want(65, 1)
			done := make(chan error, 1)
			go func() {
				_, err := caller.Call(guardCtx(t), "com.example.remote", nil, nil, nil)
				done <- err
			}()
			inv := callee.want(68)
			callee.send(`[8,68,` + jsonText(inv[1]) + `,{},` + jsonText(uri) + `,["leaked?"]]`)
			l := callee.want(3, nil, string(wamp.ErrProtocolViolationURI))
			if !strings.Contains(jsonText(l[1]), "invalid error URI") {
				t.Fatalf("ABORT %v does not name the invalid error URI", l)
			}
			callee.wantClosed()
			wantErrorURI(t, <-done, wamp.ErrCanceled)
		}

		// A valid one is forwarded as it is.
		callee := dialWire(t, r.URL, "wamp.2.json")
		callee.join("realm1")
		callee.send(`[64,1,{},"com.example.remote"]`)
		callee.want(65, 1)
		done := make(chan error, 1)
		go func() {
			_, err := caller.Call(guardCtx(t), "com.example.remote", nil, nil, nil)
			done <- err
		}()
		inv := callee.want(68)
		callee.send(`[8,68,` + jsonText(inv[1]) + `,{},"com.example.error.mine",["ok"]]`)
		wantErrorURI(t, <-done, "com.example.error.mine")
	})
}
