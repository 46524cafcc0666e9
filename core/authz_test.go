package core_test

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"
	"time"

	"github.com/switchboard-wamp/switchboard/adapters/goroutine"
	"github.com/switchboard-wamp/switchboard/core"
	"github.com/switchboard-wamp/switchboard/core/wamp"
	"github.com/switchboard-wamp/switchboard/transport"
)

// registerEcho registers procs on realm1, each answering its args.
func registerEcho(t *testing.T, app *core.Application, procs ...wamp.URI) {
	t.Helper()
	realm, _ := app.Realm("realm1")
	for _, p := range procs {
		_, err := realm.Register(context.Background(), p, func(_ context.Context, inv *core.Invocation) (*core.Result, error) {
			return &core.Result{Args: inv.Args}, nil
		}, nil)
		if err != nil {
			t.Fatal(err)
		}
	}
}

func wantError(t *testing.T, m wamp.Message, uri wamp.URI) {
	t.Helper()
	if e, ok := m.(*wamp.Error); !ok || e.Error != uri {
		t.Fatalf("got %#v, want ERROR %s", m, uri)
	}
}

func wantResult(t *testing.T, m wamp.Message) {
	t.Helper()
	if _, ok := m.(*wamp.Result); !ok {
		t.Fatalf("got %#v, want RESULT", m)
	}
}

func TestRolesAllowAndDeny(t *testing.T) {
	roles := []core.Role{{Name: "anonymous", Permissions: []core.Permission{
		{URI: "com.example.public.", Match: "prefix", Allow: core.Allow{Call: true, Subscribe: true}},
	}}}
	cfg := core.Config{Realms: []core.RealmConfig{{URI: "realm1", Roles: roles}}}
	forEachBackendApp(t, cfg, func(t *testing.T, app *core.Application) {
		registerEcho(t, app, "com.example.public.echo", "com.example.private.echo")
		p := dialPeer(t, app, transport.Info{})
		p.join("realm1", nil)
		_, m := p.call(1, wamp.Dict{}, "com.example.public.echo", wamp.List{1}, nil)
		wantResult(t, m)
		_, m = p.call(2, wamp.Dict{}, "com.example.private.echo", nil, nil)
		wantError(t, m, wamp.ErrNotAuthorized)
		if _, ok := p.subscribe(3, "com.example.public.news", nil).(*wamp.Subscribed); !ok {
			t.Fatal("subscribe to a public topic refused")
		}
		wantError(t, p.subscribe(4, "com.example.private.news", nil), wamp.ErrNotAuthorized)

		// SetRoles applies to later requests; Roles reads the table back.
		realm, _ := app.Realm("realm1")
		if err := realm.SetRoles([]core.Role{{Name: "anonymous", Permissions: []core.Permission{
			{URI: "", Match: "prefix", Allow: core.Allow{Call: true}}}}}); err != nil {
			t.Fatal(err)
		}
		_, m = p.call(5, wamp.Dict{}, "com.example.private.echo", nil, nil)
		wantResult(t, m)
		if got := realm.Roles(); len(got) != 1 || got[0].Permissions[0].Match != "prefix" {
			t.Errorf("Roles() = %+v", got)
		}
		if err := realm.SetRoles([]core.Role{{Name: "x", Permissions: []core.Permission{{URI: "a..b", Match: "exact"}}}}); !errors.Is(err, core.ErrRealmConfig) {
			t.Errorf("SetRoles with an invalid URI: %v, want ErrRealmConfig", err)
		}
	})
}

func TestRealmConfigRolesValidated(t *testing.T) {
	b := goroutine.New(goroutine.Config{})
	defer b.Close()
	_, err := core.New(core.Config{Backend: b, Realms: []core.RealmConfig{{URI: "realm1",
		Roles: []core.Role{{Name: "a"}, {Name: "a"}}}}})
	if !errors.Is(err, core.ErrRealmConfig) {
		t.Errorf("a role listed twice: %v, want ErrRealmConfig", err)
	}
}

// TestAuthorizerBlocksOffTheExecutor: an authorizer that blocks holds only
// the request it decides on; other sessions are served meanwhile.
func TestAuthorizerBlocksOffTheExecutor(t *testing.T) {
	release := make(chan struct{})
	authz := func(ctx context.Context, req *core.AuthorizationRequest) (bool, error) {
		if req.URI == "com.slow" {
			select {
			case <-release:
			case <-ctx.Done():
				return false, ctx.Err()
			}
		}
		return req.Session.AuthRole == "anonymous" && req.Action == core.ActionCall, nil
	}
	cfg := core.Config{Realms: []core.RealmConfig{{URI: "realm1", Authorizer: authz}}}
	forEachBackendApp(t, cfg, func(t *testing.T, app *core.Application) {
		release = make(chan struct{})
		registerEcho(t, app, "com.slow", "com.fast")
		slow := dialPeer(t, app, transport.Info{})
		slow.join("realm1", nil)
		fast := dialPeer(t, app, transport.Info{})
		fast.join("realm1", nil)
		slow.send(&wamp.Call{Request: 1, Options: wamp.Dict{}, Procedure: "com.slow"})
		_, m := fast.call(1, wamp.Dict{}, "com.fast", nil, nil)
		wantResult(t, m)
		wantError(t, fast.subscribe(2, "com.topic", nil), wamp.ErrNotAuthorized)
		close(release)
		wantResult(t, slow.recv())
	})
}

func TestAuthorizerFailureAndCache(t *testing.T) {
	var asked atomic.Int32
	authz := func(_ context.Context, req *core.AuthorizationRequest) (bool, error) {
		asked.Add(1)
		switch req.URI {
		case "com.fails":
			return false, errors.New("policy service down")
		case "com.panics":
			panic("authorizer bug")
		}
		return true, nil
	}
	cfg := core.Config{Realms: []core.RealmConfig{{URI: "realm1", Authorizer: authz, AuthorizerCacheTTL: time.Hour}}}
	forEachBackendApp(t, cfg, func(t *testing.T, app *core.Application) {
		asked.Store(0)
		registerEcho(t, app, "com.ok", "com.fails", "com.panics")
		p := dialPeer(t, app, transport.Info{})
		p.join("realm1", nil)
		_, m := p.call(1, wamp.Dict{}, "com.fails", nil, nil)
		wantError(t, m, wamp.ErrAuthorizationFailed)
		_, m = p.call(2, wamp.Dict{}, "com.panics", nil, nil)
		wantError(t, m, wamp.ErrAuthorizationFailed)
		for i := range 3 {
			_, m = p.call(wamp.ID(3+i), wamp.Dict{}, "com.ok", nil, nil)
			wantResult(t, m)
		}
		if n := asked.Load(); n != 3 {
			t.Errorf("authorizer asked %d times, want 3 (the verdict for com.ok cached)", n)
		}
		// A new session has its own, empty cache.
		q := dialPeer(t, app, transport.Info{})
		q.join("realm1", nil)
		_, m = q.call(1, wamp.Dict{}, "com.ok", nil, nil)
		wantResult(t, m)
		if n := asked.Load(); n != 4 {
			t.Errorf("authorizer asked %d times, want 4", n)
		}
		// SetAuthorizer replaces it and forgets the cached verdicts.
		realm, _ := app.Realm("realm1")
		if err := realm.SetAuthorizer(func(context.Context, *core.AuthorizationRequest) (bool, error) { return false, nil }); err != nil {
			t.Fatal(err)
		}
		_, m = p.call(10, wamp.Dict{}, "com.ok", nil, nil)
		wantError(t, m, wamp.ErrNotAuthorized)
		if err := realm.SetAuthorizer(nil); err != nil {
			t.Fatal(err)
		}
		_, m = p.call(11, wamp.Dict{}, "com.ok", nil, nil)
		wantResult(t, m)
	})
}
