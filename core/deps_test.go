package core_test

import (
	"context"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/switchboard-wamp/switchboard/core"
	"github.com/switchboard-wamp/switchboard/core/wamp"
	"github.com/switchboard-wamp/switchboard/transport"
)

type greeter interface{ Greet() string }

type plainGreeter string

func (g plainGreeter) Greet() string { return string(g) }

type counter struct{ n atomic.Int64 }

// TestDependenciesReachEveryHandler: procedures, topic handlers, session
// hooks and their close parts all read the same dependencies; a realm's
// value overrides the application's; factories run per lookup.
func TestDependenciesReachEveryHandler(t *testing.T) {
	cfg := core.Config{Realms: []core.RealmConfig{{URI: "realm1"}, {URI: "realm2"}}}
	forEachBackendApp(t, cfg, func(t *testing.T, app *core.Application) {
		metrics := &counter{}
		core.Provide(app, metrics)
		core.Provide[greeter](app, plainGreeter("hello from the app"))
		realm2, _ := app.Realm("realm2")
		core.Provide[greeter](realm2, plainGreeter("hello from realm2"))
		var made atomic.Int64
		core.ProvideFunc(app, func(ctx context.Context) string {
			made.Add(1)
			if s, ok := core.SessionFrom(ctx); ok {
				return "made for " + s.AuthRole
			}
			return "made without a session"
		})
		seen := make(chan string, 16)
		app.OnSession(func(ctx context.Context, s *core.Session) (func(context.Context), error) {
			core.MustDep[*counter](ctx).n.Add(1)
			seen <- "hook: " + core.MustDep[greeter](ctx).Greet()
			return func(ctx context.Context) {
				core.MustDep[*counter](ctx).n.Add(-1)
				seen <- "close: " + core.MustDep[string](ctx)
			}, nil
		})
		err := app.HandleTopic("com.t", func(ctx context.Context, _ *core.TopicSubscription) (func(context.Context), error) {
			seen <- "topic: " + core.MustDep[greeter](ctx).Greet()
			return nil, nil
		}, nil)
		if err != nil {
			t.Fatal(err)
		}
		for _, name := range []wamp.URI{"realm1", "realm2"} {
			r, _ := app.Realm(name)
			_, err := r.Register(ctxT(t), "com.dep", func(ctx context.Context, _ *core.Invocation) (*core.Result, error) {
				rf, _ := core.RealmFrom(ctx)
				return &core.Result{Args: wamp.List{core.MustDep[greeter](ctx).Greet(), core.MustDep[string](ctx), string(rf.URI())}}, nil
			}, nil)
			if err != nil {
				t.Fatal(err)
			}
		}
		for _, tc := range []struct {
			realm wamp.URI
			greet string
		}{{"realm1", "hello from the app"}, {"realm2", "hello from realm2"}} {
			p := dialPeer(t, app, transport.Info{})
			p.join(tc.realm, nil)
			if got := waitFor(t, seen, "hook"); got != "hook: "+tc.greet {
				t.Errorf("%s hook saw %q", tc.realm, got)
			}
			p.send(&wamp.Call{Request: 1, Options: wamp.Dict{}, Procedure: "com.dep"})
			res, ok := p.recv().(*wamp.Result)
			if !ok || len(res.Args) != 3 || res.Args[0] != tc.greet || res.Args[1] != "made for anonymous" || res.Args[2] != string(tc.realm) {
				t.Errorf("%s procedure: got %#v", tc.realm, res)
			}
			wantSubscribed(t, p.subscribe(2, "com.t", nil), 2)
			if got := waitFor(t, seen, "topic"); got != "topic: "+tc.greet {
				t.Errorf("%s topic handler saw %q", tc.realm, got)
			}
			if metrics.n.Load() != 1 {
				t.Errorf("counter %d, want 1 open session", metrics.n.Load())
			}
			p.drop()
			if got := waitFor(t, seen, "close"); got != "close: made for anonymous" {
				t.Errorf("close part saw %q", got)
			}
		}
		if made.Load() != 4 {
			t.Errorf("factory ran %d times, want 4 (once per lookup)", made.Load())
		}
	})
}

func TestDepOutsideHandlers(t *testing.T) {
	if _, ok := core.Dep[string](context.Background()); ok {
		t.Error("Dep found a value in a plain context")
	}
	if _, ok := core.RealmFrom(context.Background()); ok {
		t.Error("RealmFrom found a realm in a plain context")
	}
	defer func() {
		v := recover()
		if s, ok := v.(string); !ok || !strings.Contains(s, "*core_test.counter") {
			t.Errorf("MustDep panic %v, want one naming the type", v)
		}
	}()
	core.MustDep[*counter](context.Background())
}
