package tests

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/switchboard-wamp/switchboard/client"
	"github.com/switchboard-wamp/switchboard/core"
	"github.com/switchboard-wamp/switchboard/core/serialize"
	"github.com/switchboard-wamp/switchboard/core/wamp"
	"github.com/switchboard-wamp/switchboard/tests/testrouter"
)

// authzRoles: anonymous sessions may call and subscribe under
// com.example.public.; writers may do everything under com.example.,
// disclose included.
var authzRoles = []core.Role{
	{Name: "anonymous", Permissions: []core.Permission{
		{URI: "com.example.public.", Match: "prefix", Allow: core.Allow{Call: true, Subscribe: true}},
	}},
	{Name: "writer", Permissions: []core.Permission{
		{URI: "com.example.", Match: "prefix", Allow: core.Allow{Call: true, Register: true, Publish: true, Subscribe: true, Disclose: true}},
	}},
}

// trustAuthID admits a HELLO with authid "writer" as role writer (a test
// stand-in for a real authentication method), anyone else as anonymous.
func trustAuthID(_ context.Context, req *core.AuthRequest) (*core.Identity, error) {
	if req.AuthID == "writer" {
		return &core.Identity{AuthID: "writer", AuthRole: "writer", AuthMethod: "ticket"}, nil
	}
	return &core.Identity{AuthID: "anon", AuthRole: "anonymous", AuthMethod: "anonymous"}, nil
}

// joinAs joins realm1 with authid (and the "ticket" method, so the
// authenticator runs) over WebSocket and JSON.
func joinAs(t *testing.T, b backend, r *testrouter.Router, authid string) *client.Session {
	t.Helper()
	s, err := dialAs(t, b, r, client.Config{Realm: "realm1", AuthID: authid,
		AuthMethods: []string{"ticket", "anonymous"}, Serializers: []serialize.Serializer{serialize.JSON}})
	if err != nil {
		t.Fatalf("join as %q: %v", authid, err)
	}
	return s
}

func echoHandler(_ context.Context, inv *client.Invocation) (*client.Result, error) {
	return &client.Result{Args: inv.Args}, nil
}

// TestAuthorizationRoles: each action allowed and denied by static roles,
// the unacknowledged denied publication dropped, disclosure refused.
func TestAuthorizationRoles(t *testing.T) {
	forEachBackend(t, func(t *testing.T, b backend) {
		r := testrouter.StartRealm(t, b.New(), core.RealmConfig{URI: "realm1", Roles: authzRoles})
		r.Realm.SetAuthenticator(trustAuthID)
		ctx := guardCtx(t)
		w := joinAs(t, b, r, "writer")
		anon := joinAs(t, b, r, "")

		// register: writer yes, anonymous no.
		_, err := w.Register(ctx, "com.example.public.echo", echoHandler, nil)
		must(t, err)
		_, err = anon.Register(ctx, "com.example.public.mine", echoHandler, nil)
		wantErrorURI(t, err, wamp.ErrNotAuthorized)
		// call: under com.example.public. yes, elsewhere (even an existing
		// application procedure) no.
		res, err := anon.Call(ctx, "com.example.public.echo", wamp.List{"hi"}, nil, nil)
		must(t, err)
		if len(res.Args) != 1 || res.Args[0] != "hi" {
			t.Fatalf("call result %v", res.Args)
		}
		_, err = anon.Call(ctx, "com.example.go.echo", nil, nil, nil)
		wantErrorURI(t, err, wamp.ErrNotAuthorized)
		_, err = anon.Call(ctx, "com.example.public.echo", nil, nil, &client.CallOptions{DiscloseMe: true})
		wantErrorURI(t, err, wamp.ErrOptionDisallowedDiscloseMe)
		// subscribe: public yes, private no.
		events := make(chan *client.Event, 16)
		_, err = anon.Subscribe(ctx, "com.example.public.news", func(e *client.Event) { events <- e }, nil)
		must(t, err)
		_, err = anon.Subscribe(ctx, "com.example.private.news", func(*client.Event) {}, nil)
		wantErrorURI(t, err, wamp.ErrNotAuthorized)
		// publish: anonymous refused (acknowledged) or dropped (not
		// acknowledged: the router discards it, the event never arrives);
		// the writer's publication arrives.
		err = anon.Publish(ctx, "com.example.public.news", wamp.List{"denied"}, nil, &client.PublishOptions{Acknowledge: true})
		wantErrorURI(t, err, wamp.ErrNotAuthorized)
		excludeMe := false
		must(t, anon.Publish(ctx, "com.example.public.news", wamp.List{"dropped"}, nil, &client.PublishOptions{ExcludeMe: &excludeMe}))
		// A round trip of anon's after its publication: had the router
		// accepted it, its event would have been sent to anon first.
		_, err = anon.Call(ctx, "com.example.public.echo", nil, nil, nil)
		must(t, err)
		must(t, w.Publish(ctx, "com.example.public.news", wamp.List{"kept"}, nil, &client.PublishOptions{Acknowledge: true, DiscloseMe: true}))
		select {
		case e := <-events:
			if len(e.Args) != 1 || e.Args[0] != "kept" {
				t.Fatalf("first event %v, want the writer's [kept] (the denied publication must be dropped)", e.Args)
			}
		case <-ctx.Done():
			t.Fatal("the writer's event did not arrive")
		}
	})
}

// TestAuthorizationDynamic: an Authorizer decides each action; one that
// fails answers authorization_failed.
func TestAuthorizationDynamic(t *testing.T) {
	authz := func(_ context.Context, req *core.AuthorizationRequest) (bool, error) {
		if req.URI == "com.example.broken" {
			return false, errors.New("policy store unreachable")
		}
		switch req.Action {
		case core.ActionCall, core.ActionSubscribe:
			return true, nil
		}
		return req.Session.AuthRole == "writer", nil
	}
	forEachBackend(t, func(t *testing.T, b backend) {
		r := testrouter.StartRealm(t, b.New(), core.RealmConfig{URI: "realm1", Authorizer: authz, AuthorizerCacheTTL: time.Minute})
		r.Realm.SetAuthenticator(trustAuthID)
		ctx := guardCtx(t)
		w := joinAs(t, b, r, "writer")
		anon := joinAs(t, b, r, "")
		_, err := w.Register(ctx, "com.example.dyn.echo", echoHandler, nil)
		must(t, err)
		_, err = anon.Register(ctx, "com.example.dyn.mine", echoHandler, nil)
		wantErrorURI(t, err, wamp.ErrNotAuthorized)
		_, err = anon.Call(ctx, "com.example.dyn.echo", nil, nil, nil)
		must(t, err)
		_, err = anon.Call(ctx, "com.example.broken", nil, nil, nil)
		wantErrorURI(t, err, wamp.ErrAuthorizationFailed)
		_, err = anon.Subscribe(ctx, "com.example.dyn.news", func(*client.Event) {}, nil)
		must(t, err)
		err = anon.Publish(ctx, "com.example.dyn.news", nil, nil, &client.PublishOptions{Acknowledge: true})
		wantErrorURI(t, err, wamp.ErrNotAuthorized)
		must(t, w.Publish(ctx, "com.example.dyn.news", nil, nil, &client.PublishOptions{Acknowledge: true}))
	})
}

// TestAuthorizationProcedure: a trusted session's procedure is the realm's
// authorizer (core.ProcedureAuthorizer, Crossbar style).
func TestAuthorizationProcedure(t *testing.T) {
	roles := []core.Role{
		{Name: "anonymous", Permissions: []core.Permission{
			{URI: "com.example.", Match: "prefix", Allow: core.Allow{Call: true, Publish: true, Subscribe: true}}}},
		{Name: "authorizer", Permissions: []core.Permission{
			{URI: "com.example.", Match: "prefix", Allow: core.Allow{Call: true, Register: true}}}},
	}
	authn := func(_ context.Context, req *core.AuthRequest) (*core.Identity, error) {
		if req.AuthID == "authz" {
			return &core.Identity{AuthID: "authz", AuthRole: "authorizer"}, nil
		}
		return &core.Identity{AuthID: "anon", AuthRole: "anonymous"}, nil
	}
	forEachBackend(t, func(t *testing.T, b backend) {
		r := testrouter.StartRealm(t, b.New(), core.RealmConfig{URI: "realm1", Roles: roles})
		r.Realm.SetAuthenticator(authn)
		must(t, r.Realm.SetAuthorizer(core.ProcedureAuthorizer(r.Realm, "com.example.authorize", "authorizer")))
		ctx := guardCtx(t)
		svc := joinAs(t, b, r, "authz")
		asked := make(chan wamp.List, 16)
		_, err := svc.Register(ctx, "com.example.authorize", func(_ context.Context, inv *client.Invocation) (*client.Result, error) {
			asked <- inv.Args
			uri, _ := inv.Args[1].(string)
			switch action, _ := inv.Args[2].(string); {
			case action == "subscribe":
				return &client.Result{Args: wamp.List{"maybe"}}, nil
			case action == "publish":
				return &client.Result{Args: wamp.List{wamp.Dict{"allow": false}}}, nil
			default:
				return &client.Result{Args: wamp.List{uri == "com.example.public.echo"}}, nil
			}
		}, nil)
		must(t, err)
		_, err = svc.Register(ctx, "com.example.public.echo", echoHandler, nil)
		must(t, err)
		_, err = svc.Register(ctx, "com.example.private.echo", echoHandler, nil)
		must(t, err)

		anon := joinAs(t, b, r, "")
		_, err = anon.Call(ctx, "com.example.public.echo", nil, nil, nil)
		must(t, err)
		select {
		case args := <-asked:
			session, _ := args[0].(wamp.Dict)
			if len(args) != 4 || session["authrole"] != "anonymous" || args[1] != "com.example.public.echo" || args[2] != "call" {
				t.Fatalf("authorizer procedure called with %v", args)
			}
		case <-ctx.Done():
			t.Fatal("the authorizer procedure was not called")
		}
		_, err = anon.Call(ctx, "com.example.private.echo", nil, nil, nil)
		wantErrorURI(t, err, wamp.ErrNotAuthorized)
		err = anon.Publish(ctx, "com.example.news", nil, nil, &client.PublishOptions{Acknowledge: true})
		wantErrorURI(t, err, wamp.ErrNotAuthorized)
		_, err = anon.Subscribe(ctx, "com.example.news", func(*client.Event) {}, nil)
		wantErrorURI(t, err, wamp.ErrAuthorizationFailed)
	})
}
