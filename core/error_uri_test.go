package core_test

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/switchboard-wamp/switchboard/core"
	"github.com/switchboard-wamp/switchboard/core/wamp"
	"github.com/switchboard-wamp/switchboard/transport"
)

// An application's *Error without a URI, or with an invalid one, never
// makes the router send an invalid ERROR: the caller gets
// wamp.error.runtime_error with the error's args and kwargs, and the
// application's session is not aborted (its procedures keep working).
func TestApplicationErrorWithInvalidURI(t *testing.T) {
	for _, uri := range []wamp.URI{"", "com.error bad", "com..error", "com.error#1"} {
		t.Run(fmt.Sprintf("%q", uri), func(t *testing.T) {
			app := newApp(t, core.Config{})
			realm, _ := app.Realm("realm1")
			_, err := realm.Register(context.Background(), "com.example.fail", func(context.Context, *core.Invocation) (*core.Result, error) {
				return nil, fmt.Errorf("wrapped: %w", &core.Error{URI: uri, Args: wamp.List{"why"}, Kwargs: wamp.Dict{"k": "v"}})
			}, nil)
			if err != nil {
				t.Fatal(err)
			}
			_, err = realm.Register(context.Background(), "com.example.ok", func(context.Context, *core.Invocation) (*core.Result, error) {
				return &core.Result{Args: wamp.List{"fine"}}, nil
			}, nil)
			if err != nil {
				t.Fatal(err)
			}
			p := dialPeer(t, app, transport.Info{})
			p.join("realm1", withRoles("caller"))
			p.send(&wamp.Call{Request: 9, Options: wamp.Dict{}, Procedure: "com.example.fail"})
			e, ok := p.recv().(*wamp.Error)
			if !ok || e.RequestType != wamp.CALL || e.Request != 9 || e.Error != wamp.ErrRuntimeError ||
				len(e.Args) != 1 || e.Args[0] != "why" || e.Kwargs["k"] != "v" {
				t.Fatalf("got %#v, want ERROR CALL 9 wamp.error.runtime_error [\"why\"] {\"k\":\"v\"}", e)
			}
			// The application's session is still there.
			p.send(&wamp.Call{Request: 10, Options: wamp.Dict{}, Procedure: "com.example.ok"})
			if res, ok := p.recv().(*wamp.Result); !ok || res.Request != 10 {
				t.Fatalf("got %#v, want RESULT 10", res)
			}
			// The application calling its own procedure sees the same.
			_, err = realm.Call(ctxT(t), "com.example.fail", nil, nil, nil)
			var we *core.Error
			if !errors.As(err, &we) || we.URI != wamp.ErrRuntimeError {
				t.Fatalf("Realm.Call err = %v, want %s", err, wamp.ErrRuntimeError)
			}
			// A topic handler refusing with such an *Error: the same.
			err = realm.HandleTopic("com.private", func(context.Context, *core.TopicSubscription) (func(context.Context), error) {
				return nil, &core.Error{URI: uri}
			}, nil)
			if err != nil {
				t.Fatal(err)
			}
			p2 := dialPeer(t, app, transport.Info{})
			p2.join("realm1", withRoles("subscriber"))
			m := p2.subscribe(4, "com.private", nil)
			if e, ok := m.(*wamp.Error); !ok || e.RequestType != wamp.SUBSCRIBE || e.Error != wamp.ErrRuntimeError {
				t.Fatalf("got %#v, want ERROR SUBSCRIBE 4 wamp.error.runtime_error", m)
			}
		})
	}
}
