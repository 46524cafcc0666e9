package tests

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/switchboard-wamp/switchboard/client"
	"github.com/switchboard-wamp/switchboard/core"
	"github.com/switchboard-wamp/switchboard/core/wamp"
)

// The application's procedures (package core: route sets, typed,
// progressive and pattern procedures, the custom call handler, Realm.Call)
// seen from a remote Go client over a real WebSocket, on every backend.

func wantErrorMessage(t *testing.T, err error, uri wamp.URI, msg string) {
	t.Helper()
	wantErrorURI(t, err, uri)
	var we *client.Error
	errors.As(err, &we)
	if len(we.Args) != 1 || we.Args[0] != msg {
		t.Fatalf("error args %#v, want [%q]", we.Args, msg)
	}
}

func TestServerTypedProcedures(t *testing.T) {
	forEachBackend(t, func(t *testing.T, b backend) {
		r := startRouter(t, b)
		c := dialClient(t, b, r)
		ctx := guardCtx(t)

		t.Run("positional and keyword arguments", func(t *testing.T) {
			for _, call := range []struct {
				args   wamp.List
				kwargs wamp.Dict
			}{
				{wamp.List{40, 2}, nil},
				{nil, wamp.Dict{"a": 40, "b": 2}},
				{wamp.List{40}, wamp.Dict{"b": 2}},
			} {
				res, err := c.Call(ctx, "com.example.go.typed.add", call.args, call.kwargs, nil)
				must(t, err)
				if n, _ := wamp.ToInt(res.Args[0]); n != 42 || len(res.Args) != 1 {
					t.Fatalf("add(%v, %v) = %v, want [42]", call.args, call.kwargs, res.Args)
				}
			}
		})
		t.Run("invalid arguments", func(t *testing.T) {
			_, err := c.Call(ctx, "com.example.go.typed.add", wamp.List{1, "two"}, nil, nil)
			wantErrorMessage(t, err, wamp.ErrInvalidArgument, `argument "b" (position 2): want integer, got string`)
			_, err = c.Call(ctx, "com.example.go.typed.add", nil, wamp.Dict{"a": 1}, nil)
			wantErrorMessage(t, err, wamp.ErrInvalidArgument, `argument "b" (position 2) is required`)
			_, err = c.Call(ctx, "com.example.go.typed.greet", nil, wamp.Dict{"punctuation": "?"}, nil)
			wantErrorMessage(t, err, wamp.ErrInvalidArgument, `argument "name" (position 1) is required`)
		})
		t.Run("struct in, struct out", func(t *testing.T) {
			res, err := c.Call(ctx, "com.example.go.typed.greet", nil, wamp.Dict{"name": "Ada"}, nil)
			must(t, err)
			if res.Kwargs["greeting"] != "Hello, Ada!" || len(res.Args) != 0 {
				t.Fatalf("greet = %v %v, want kwargs {greeting: Hello, Ada!}", res.Args, res.Kwargs)
			}
			res, err = c.Call(ctx, "com.example.go.typed.greet", wamp.List{"Bob", "?"}, nil, nil)
			must(t, err)
			if res.Kwargs["greeting"] != "Hello, Bob?" {
				t.Fatalf("greet by position = %v", res.Kwargs)
			}
		})
		t.Run("calling session", func(t *testing.T) {
			res, err := c.Call(ctx, "com.example.go.whoami", nil, nil, nil)
			must(t, err)
			if id, _ := wamp.ToID(res.Kwargs["session"]); id != c.ID() || res.Kwargs["authrole"] != "anonymous" {
				t.Fatalf("whoami = %v, want session %d (anonymous)", res.Kwargs, c.ID())
			}
		})
		t.Run("regular-expression route", func(t *testing.T) {
			res, err := c.Call(ctx, "com.example.go.item.1234", nil, nil, nil)
			must(t, err)
			if res.Kwargs["id"] != "1234" {
				t.Fatalf("item = %v, want {id: 1234}", res.Kwargs)
			}
			// No route matches: the spec's URI, as for any unknown procedure.
			_, err = c.Call(ctx, "com.example.go.item.abc", nil, nil, nil)
			wantErrorURI(t, err, wamp.ErrNoSuchProcedure)
		})
	})
}

func TestServerProgressiveProcedure(t *testing.T) {
	forEachBackend(t, func(t *testing.T, b backend) {
		r := startRouter(t, b)
		c := dialClient(t, b, r)
		ctx := guardCtx(t)

		var got []int64
		res, err := c.Call(ctx, "com.example.go.progress", wamp.List{5}, nil, &client.CallOptions{Progress: func(p *client.Result) {
			n, _ := wamp.ToInt(p.Args[0])
			got = append(got, n)
		}})
		must(t, err)
		if !slices.Equal(got, []int64{1, 2, 3, 4, 5}) || res.Args[0] != "done" {
			t.Fatalf("progress %v then %v, want [1..5] then [done]", got, res.Args)
		}
		// Without receive_progress the caller gets the final result only.
		res, err = c.Call(ctx, "com.example.go.progress", wamp.List{3}, nil, nil)
		must(t, err)
		if res.Args[0] != "done" {
			t.Fatalf("final %v", res.Args)
		}
		_, err = c.Call(ctx, "com.example.go.progress", wamp.List{0}, nil, &client.CallOptions{Progress: func(*client.Result) {}})
		wantErrorURI(t, err, wamp.ErrInvalidArgument)
	})
}

// The application calls remote callees, from a handler and from plain Go
// code, through the same dealer.
func TestServerCallsRemoteCallee(t *testing.T) {
	forEachBackend(t, func(t *testing.T, b backend) {
		r := startRouter(t, b)
		callee, caller := dialClient(t, b, r), dialClient(t, b, r)
		ctx := guardCtx(t)
		_, err := callee.Register(ctx, "com.example.client.mul", func(_ context.Context, inv *client.Invocation) (*client.Result, error) {
			x, _ := wamp.ToInt(inv.Args[0])
			y, _ := wamp.ToInt(inv.Args[1])
			return &client.Result{Args: wamp.List{x * y}, Kwargs: inv.Kwargs}, nil
		}, nil)
		must(t, err)

		// A Go handler (com.example.go.relay, Blocking) calls the client.
		res, err := caller.Call(ctx, "com.example.go.relay", wamp.List{"com.example.client.mul", 6, 7}, wamp.Dict{"via": "go"}, nil)
		must(t, err)
		if n, _ := wamp.ToInt(res.Args[0]); n != 42 || res.Kwargs["via"] != "go" {
			t.Fatalf("relay = %v %v, want [42] {via: go}", res.Args, res.Kwargs)
		}
		// The callee's errors come back through the Go handler unchanged.
		_, err = caller.Call(ctx, "com.example.go.relay", wamp.List{"com.example.client.none"}, nil, nil)
		wantErrorURI(t, err, wamp.ErrNoSuchProcedure)

		// Plain Go code calls the client.
		gres, err := r.Realm.Call(ctx, "com.example.client.mul", wamp.List{3, 5}, nil, nil)
		must(t, err)
		if n, _ := wamp.ToInt(gres.Args[0]); n != 15 {
			t.Fatalf("Realm.Call = %v, want [15]", gres.Args)
		}
	})
}

// A realm with a custom call handler answers every call itself.
func TestServerCallHandler(t *testing.T) {
	forEachBackend(t, func(t *testing.T, b backend) {
		r := startRouter(t, b)
		ctx := guardCtx(t)
		realm, err := r.App.AddRealm(core.RealmConfig{URI: "custom"})
		must(t, err)
		must(t, realm.SetCallHandler(ctx, core.Progressive(func(ctx context.Context, inv *core.Invocation) core.Stream {
			return func(yield func(*core.Result, error) bool) {
				if inv.Procedure != "add_stuff" {
					yield(nil, &core.Error{URI: "myapp.custom_error"})
					return
				}
				var total int64
				for _, a := range inv.Args {
					n, ok := wamp.ToInt(a)
					if !ok {
						yield(nil, &core.Error{URI: wamp.ErrInvalidArgument, Args: wamp.List{"Numbers only!"}})
						return
					}
					total += n
					if !yield(core.ProgressReport(wamp.List{"Added", n}, nil), nil) {
						return
					}
				}
				yield(&core.Result{Args: wamp.List{total}}, nil)
			}
		})))
		as := b.New()
		s, err := client.Dial(ctx, r.URL, client.Config{Realm: "custom", Backend: as})
		if err != nil {
			as.Close()
			t.Fatal(err)
		}
		t.Cleanup(func() {
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			s.Leave(ctx, "")
			as.Close()
		})
		var reports int
		res, err := s.Call(ctx, "add_stuff", wamp.List{1, 2, 3}, nil, &client.CallOptions{Progress: func(*client.Result) { reports++ }})
		must(t, err)
		if n, _ := wamp.ToInt(res.Args[0]); n != 6 || reports != 3 {
			t.Fatalf("add_stuff = %v after %d reports, want [6] after 3", res.Args, reports)
		}
		_, err = s.Call(ctx, "add_stuff", wamp.List{1, "x"}, nil, nil)
		wantErrorMessage(t, err, wamp.ErrInvalidArgument, "Numbers only!")
		_, err = s.Call(ctx, "other.thing", nil, nil, nil)
		wantErrorURI(t, err, "myapp.custom_error")
		// Registrations of remote callees in that realm receive no calls.
		_, err = s.Register(ctx, "add_stuff", func(context.Context, *client.Invocation) (*client.Result, error) {
			return &client.Result{Args: wamp.List{"client"}}, nil
		}, nil)
		must(t, err)
		res, err = s.Call(ctx, "add_stuff", wamp.List{4}, nil, nil)
		must(t, err)
		if n, _ := wamp.ToInt(res.Args[0]); n != 4 {
			t.Fatalf("add_stuff with a client registration = %v, want the handler's [4]", res.Args)
		}
	})
}
