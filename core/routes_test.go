package core_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/switchboard-wamp/switchboard/core"
	"github.com/switchboard-wamp/switchboard/core/wamp"
)

// named returns a handler answering [name, procedure, params].
func named(name string) core.Handler {
	return func(_ context.Context, inv *core.Invocation) (*core.Result, error) {
		params := wamp.Dict{}
		for k, v := range inv.Params {
			params[k] = v
		}
		return &core.Result{Args: wamp.List{name, string(inv.Procedure)}, Kwargs: params}, nil
	}
}

func TestRoutesMostSpecificWins(t *testing.T) {
	forBackends(t, func(t *testing.T, app *core.Application, realm *core.Realm) {
		ctx := ctxT(t)
		var rs core.Routes
		// Added in an order that a "first registered wins" router would get
		// wrong: the catch-alls first. Among regular expressions, which have
		// no specificity order, the first added that matches wins.
		rs.Regex(`com\.(?P<thing>[a-z]+)\.get`, named("regex get"))
		rs.Regex(`com\..*`, named("regex catch-all"))
		rs.Prefix("com.a", named("prefix com.a"))
		rs.Prefix("com.a.b", named("prefix com.a.b"))
		rs.Wildcard("com..b.c", named("wildcard com..b.c"))
		rs.Wildcard("com.a..c", named("wildcard com.a..c"))
		rs.Handle("com.a.b.c", named("exact com.a.b.c"))
		if err := realm.AddRoutes(ctx, &rs); err != nil {
			t.Fatal(err)
		}
		// A remote-style registration (here the application's own, through
		// the dealer) outranks regex routes too.
		if _, err := realm.Register(ctx, "com.remote", named("registered prefix"), &core.RegisterOptions{Match: "prefix"}); err != nil {
			t.Fatal(err)
		}
		tests := []struct {
			uri, want string
			params    wamp.Dict
		}{
			{"com.a.b.c", "exact com.a.b.c", nil},
			{"com.a.b.d", "prefix com.a.b", nil},
			{"com.a.bx", "prefix com.a.b", nil}, // prefixes are string prefixes
			{"com.a.z", "prefix com.a", nil},
			{"com.q.b.c", "wildcard com..b.c", nil},
			{"com.widget.get", "regex get", wamp.Dict{"thing": "widget"}},
			{"com.x.y", "regex catch-all", nil},
			{"com.remote.thing", "registered prefix", nil},
		}
		for _, tt := range tests {
			res, err := realm.Call(ctx, wamp.URI(tt.uri), nil, nil, nil)
			if err != nil {
				t.Errorf("%s: %v", tt.uri, err)
				continue
			}
			if res.Args[0] != tt.want || res.Args[1] != tt.uri {
				t.Errorf("%s: routed to %v (procedure %v), want %s", tt.uri, res.Args[0], res.Args[1], tt.want)
			}
			for k, v := range tt.params {
				if res.Kwargs[k] != v {
					t.Errorf("%s: params %v, want %v", tt.uri, res.Kwargs, tt.params)
				}
			}
		}
		// Nothing matches: the caller gets the spec's URI, from the fallback.
		msg := wantWAMPError(t, callErr(realm.Call(ctx, "org.none", nil, nil, nil)), wamp.ErrNoSuchProcedure)
		if !strings.Contains(msg, `"org.none"`) {
			t.Errorf("no_such_procedure message %q does not name the URI", msg)
		}
		// Reserved URIs never reach regex routes, even a catch-all.
		var all core.Routes
		all.Regex(`.*`, named("everything"))
		if err := realm.AddRoutes(ctx, &all); err != nil {
			t.Fatal(err)
		}
		wantWAMPError(t, callErr(realm.Call(ctx, "wamp.example.none", nil, nil, nil)), wamp.ErrNoSuchProcedure)
		if res, err := realm.Call(ctx, "org.none", nil, nil, nil); err != nil || res.Args[0] != "everything" {
			t.Errorf("org.none after a catch-all: %v %v", res, err)
		}
	})
}

func callErr(_ *core.Result, err error) error { return err }

func TestRoutesErrors(t *testing.T) {
	forBackends(t, func(t *testing.T, app *core.Application, realm *core.Realm) {
		ctx := ctxT(t)
		tests := []struct {
			name  string
			build func(rs *core.Routes)
			want  string
		}{
			{"bad regex", func(rs *core.Routes) { rs.Regex(`com.(`, named("x")) }, "regex route"},
			{"nil handler", func(rs *core.Routes) { rs.Handle("com.x", nil) }, "nil handler"},
			{"twice", func(rs *core.Routes) { rs.Handle("com.x", named("1")); rs.Handle("com.x", named("2")) }, "twice"},
		}
		for _, tt := range tests {
			var rs core.Routes
			tt.build(&rs)
			err := realm.AddRoutes(ctx, &rs)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("%s: err = %v, want one mentioning %q", tt.name, err, tt.want)
			}
		}
		if err := realm.AddRoutes(ctx, nil); err == nil {
			t.Error("nil Routes: no error")
		}

		// The dealer refuses one route: nothing of the set stays.
		if _, err := realm.Register(ctx, "com.taken", named("first"), nil); err != nil {
			t.Fatal(err)
		}
		var rs core.Routes
		rs.Handle("com.fresh", named("fresh"))
		rs.Prefix("com.fresh.p", named("fresh prefix"))
		rs.Handle("com.taken", named("second"))
		wantWAMPError(t, realm.AddRoutes(ctx, &rs), wamp.ErrProcedureAlreadyExists)
		for _, uri := range []wamp.URI{"com.fresh", "com.fresh.p.x"} {
			wantWAMPError(t, callErr(realm.Call(ctx, uri, nil, nil, nil)), wamp.ErrNoSuchProcedure)
		}
		var bad core.Routes
		bad.Handle("com..bad", named("bad"))
		wantWAMPError(t, realm.AddRoutes(ctx, &bad), wamp.ErrInvalidURI)
		// The set can be added again once the conflict is gone.
		rs = core.Routes{}
		rs.Handle("com.fresh", named("fresh"))
		if err := realm.AddRoutes(ctx, &rs); err != nil {
			t.Fatal(err)
		}
	})
}

func TestApplicationRoutesReachEveryRealm(t *testing.T) {
	forBackends(t, func(t *testing.T, app *core.Application, realm1 *core.Realm) {
		ctx := ctxT(t)
		var rs core.Routes
		rs.Handle("com.app.ping", named("ping"))
		rs.Regex(`com\.app\.re\..*`, named("regex"))
		if err := app.AddRoutes(ctx, &rs); err != nil {
			t.Fatal(err)
		}
		// Changing the set afterwards does not affect what was added.
		rs.Handle("com.app.later", named("later"))
		realm2, err := app.AddRealm(core.RealmConfig{URI: "realm2"})
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range []*core.Realm{realm1, realm2} {
			for uri, want := range map[wamp.URI]string{"com.app.ping": "ping", "com.app.re.x": "regex"} {
				res, err := r.Call(ctx, uri, nil, nil, nil)
				if err != nil || res.Args[0] != want {
					t.Errorf("%s %s: %v %v, want %s", r.URI(), uri, res, err, want)
				}
			}
			wantWAMPError(t, callErr(r.Call(ctx, "com.app.later", nil, nil, nil)), wamp.ErrNoSuchProcedure)
		}
		// The same route in a second application set is refused up front.
		var dup core.Routes
		dup.Handle("com.app.ping", named("again"))
		if err := app.AddRoutes(ctx, &dup); err == nil || !strings.Contains(err.Error(), "already") {
			t.Errorf("duplicate application route: err = %v", err)
		}
		// A realm that refuses the set reports it, by realm.
		if _, err := realm1.Register(ctx, "com.app.other", named("local"), nil); err != nil {
			t.Fatal(err)
		}
		var other core.Routes
		other.Handle("com.app.other", named("app"))
		err = app.AddRoutes(ctx, &other)
		wantWAMPError(t, err, wamp.ErrProcedureAlreadyExists)
		if !strings.Contains(err.Error(), `realm "realm1"`) {
			t.Errorf("err = %v, want it to name realm1", err)
		}
		if res, err := realm2.Call(ctx, "com.app.other", nil, nil, nil); err != nil || res.Args[0] != "app" {
			t.Errorf("realm2 com.app.other: %v %v", res, err)
		}
		if err := app.Close(ctx); err != nil {
			t.Fatal(err)
		}
		if err := app.AddRoutes(ctx, &core.Routes{}); !errors.Is(err, core.ErrClosed) {
			t.Errorf("after Close: err = %v, want ErrClosed", err)
		}
	})
}
