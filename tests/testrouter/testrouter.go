// Package testrouter starts a real Switchboard router for cross-package
// tests: an Application on a given backend serving realm "realm1" over a
// loopback WebSocket, with the application procedures the end-to-end and
// interop scenarios call:
//
//   - com.example.go.add [a, b] → [a+b] (integers; invalid_argument otherwise)
//   - com.example.go.echo args, kwargs → the same args and kwargs
//   - com.example.go.publish [topic, value] → publishes EVENT [value] to topic from Go
//   - com.example.go.fail → a plain Go error (answered as wamp.error.runtime_error)
//   - com.example.go.panic → a panic (answered as wamp.error.runtime_error)
//
// and, as a route set (core.Routes) of typed, progressive and pattern
// procedures:
//
//   - com.example.go.typed.add (a, b int64) → [a+b], by position or by
//     kwargs "a" and "b" (core.Func2; invalid_argument naming the argument)
//   - com.example.go.typed.greet {name (required), punctuation} →
//     kwargs {greeting: "Hello, <name><punctuation or !>"} (core.Bind)
//   - com.example.go.progress [n] → progress reports [1] … [n], then ["done"]
//     (core.Progressive; only the final result without receive_progress)
//   - com.example.go.whoami → kwargs {session, authrole} of the calling
//     session (core.SessionFrom)
//   - com.example.go.item.<digits> (regular-expression route) → kwargs {id}
//   - com.example.go.relay [procedure, args...] → the result of calling
//     procedure with args from Go (core.Blocking, Realm.Call)
package testrouter

import (
	"context"
	"errors"
	"testing"

	"github.com/switchboard-wamp/switchboard/core"
	"github.com/switchboard-wamp/switchboard/core/wamp"
	"github.com/switchboard-wamp/switchboard/scheduler"
)

// Start starts a router on as (which it closes at cleanup) serving realm
// "realm1" on every transport (see Serve) and registers the procedures
// listed in the package doc. Everything stops at t's cleanup.
func Start(t testing.TB, as scheduler.AsyncSupport) *Router {
	t.Helper()
	return StartRealm(t, as, core.RealmConfig{URI: "realm1"})
}

// StartRealm is Start with realm "realm1" configured as rc (whose URI must
// be "realm1"), e.g. with other limits.
func StartRealm(t testing.TB, as scheduler.AsyncSupport, rc core.RealmConfig) *Router {
	t.Helper()
	r := Serve(t, as, core.Config{Realms: []core.RealmConfig{rc}})
	realm := r.Realm
	for uri, h := range procedures(realm) {
		if _, err := realm.Register(context.Background(), uri, h, nil); err != nil {
			t.Fatalf("register %s: %v", uri, err)
		}
	}
	if err := realm.AddRoutes(context.Background(), routes(realm)); err != nil {
		t.Fatalf("add routes: %v", err)
	}
	return r
}

func procedures(realm *core.Realm) map[wamp.URI]core.Handler {
	return map[wamp.URI]core.Handler{
		"com.example.go.add": func(_ context.Context, inv *core.Invocation) (*core.Result, error) {
			if len(inv.Args) != 2 {
				return nil, &core.Error{URI: wamp.ErrInvalidArgument, Args: wamp.List{"add takes two numbers"}}
			}
			a, okA := wamp.ToInt(inv.Args[0])
			b, okB := wamp.ToInt(inv.Args[1])
			if !okA || !okB {
				return nil, &core.Error{URI: wamp.ErrInvalidArgument, Args: wamp.List{"add takes two integers"}}
			}
			return &core.Result{Args: wamp.List{a + b}}, nil
		},
		"com.example.go.echo": func(_ context.Context, inv *core.Invocation) (*core.Result, error) {
			return &core.Result{Args: inv.Args, Kwargs: inv.Kwargs}, nil
		},
		// Blocking: it waits for the broker's acknowledgement.
		"com.example.go.publish": core.Blocking(func(ctx context.Context, inv *core.Invocation) (*core.Result, error) {
			if len(inv.Args) != 2 {
				return nil, &core.Error{URI: wamp.ErrInvalidArgument, Args: wamp.List{"publish takes [topic, value]"}}
			}
			topic, _ := inv.Args[0].(string)
			err := realm.Publish(ctx, wamp.URI(topic), wamp.List{inv.Args[1]}, nil, &core.PublishOptions{Acknowledge: true})
			return &core.Result{}, err
		}),
		"com.example.go.fail": func(context.Context, *core.Invocation) (*core.Result, error) {
			return nil, errors.New("secret internal detail")
		},
		"com.example.go.panic": func(context.Context, *core.Invocation) (*core.Result, error) {
			panic("boom")
		},
	}
}
