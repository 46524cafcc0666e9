package core_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/switchboard-wamp/switchboard/core"
	"github.com/switchboard-wamp/switchboard/core/wamp"
)

func TestSetCallHandler(t *testing.T) {
	forBackends(t, func(t *testing.T, app *core.Application, realm *core.Realm) {
		ctx := ctxT(t)
		var rs core.Routes
		rs.Handle("com.routed", named("route"))
		if err := realm.AddRoutes(ctx, &rs); err != nil {
			t.Fatal(err)
		}
		// A remote callee's registration is bypassed too.
		callee := joinPeer(t, app, wamp.Dict{"callee": wamp.Dict{}})
		callee.send(&wamp.Register{Request: 1, Options: wamp.Dict{}, Procedure: "com.remote"})
		if _, ok := callee.recv().(*wamp.Registered); !ok {
			t.Fatal("want REGISTERED")
		}
		seen := make(chan *core.Invocation, 8)
		err := realm.SetCallHandler(ctx, func(ctx context.Context, inv *core.Invocation) (*core.Result, error) {
			seen <- inv
			switch inv.Procedure {
			case "com.sum":
				var total int64
				for _, a := range inv.Args {
					n, ok := wamp.ToInt(a)
					if !ok {
						return nil, &core.Error{URI: wamp.ErrInvalidArgument, Args: wamp.List{"numbers only"}}
					}
					total += n
				}
				return &core.Result{Args: wamp.List{total}}, nil
			case "com.routed", "com.remote":
				return &core.Result{Args: wamp.List{"handler"}}, nil
			}
			return nil, &core.Error{URI: wamp.ErrNoSuchProcedure}
		})
		if err != nil {
			t.Fatal(err)
		}
		res, err := realm.Call(ctx, "com.sum", wamp.List{1, 2, 3}, nil, nil)
		if err != nil || res.Args[0] != int64(6) {
			t.Fatalf("com.sum: %v %v", res, err)
		}
		if inv := waitFor(t, seen, "the request"); inv.Procedure != "com.sum" || inv.Session != nil {
			t.Errorf("request %+v: want procedure com.sum, no session (the application called)", inv)
		}
		wantWAMPError(t, callErr(realm.Call(ctx, "com.sum", wamp.List{"x"}, nil, nil)), wamp.ErrInvalidArgument)
		waitFor(t, seen, "the request")
		wantWAMPError(t, callErr(realm.Call(ctx, "com.none", nil, nil, nil)), wamp.ErrNoSuchProcedure)
		waitFor(t, seen, "the request")
		for _, uri := range []wamp.URI{"com.routed", "com.remote"} {
			if res, err := realm.Call(ctx, uri, nil, nil, nil); err != nil || res.Args[0] != "handler" {
				t.Errorf("%s: %v %v, want the call handler's answer", uri, res, err)
			}
			waitFor(t, seen, "the request")
		}

		// A remote caller: the request carries its session and options.
		p := joinPeer(t, app, callerRoles)
		_, final := p.call(7, wamp.Dict{"timeout": 5000, "disclose_me": true}, "com.sum", wamp.List{40, 2}, nil)
		if r, ok := final.(*wamp.Result); !ok || r.Args[0] != int64(42) {
			t.Fatalf("remote com.sum: %#v", final)
		}
		inv := waitFor(t, seen, "the remote request")
		if inv.Session == nil || inv.Session.ID != p.sid || inv.Caller() != p.sid {
			t.Errorf("request session %v (caller %d), want session %d", inv.Session, inv.Caller(), p.sid)
		}
		if inv.Timeout() != 5*time.Second || !inv.DiscloseCaller() || inv.ReceiveProgress() {
			t.Errorf("request options: timeout %v disclose %v progress %v", inv.Timeout(), inv.DiscloseCaller(), inv.ReceiveProgress())
		}

		// Back to normal routing.
		if err := realm.SetCallHandler(ctx, nil); err != nil {
			t.Fatal(err)
		}
		if res, err := realm.Call(ctx, "com.routed", nil, nil, nil); err != nil || res.Args[0] != "route" {
			t.Errorf("after reset: %v %v", res, err)
		}
		wantWAMPError(t, callErr(realm.Call(ctx, "com.sum", nil, nil, nil)), wamp.ErrNoSuchProcedure)
	})
}

// The call handler serves progressive results, and a call timeout cancels
// its context like any procedure's.
func TestCallHandlerProgressAndTimeout(t *testing.T) {
	forBackends(t, func(t *testing.T, app *core.Application, realm *core.Realm) {
		ctx := ctxT(t)
		cancelled := make(chan error, 1)
		// Blocking: com.slow waits for its context, which on the event loop
		// must happen off the loop.
		err := realm.SetCallHandler(ctx, core.Blocking(core.Progressive(func(ctx context.Context, inv *core.Invocation) core.Stream {
			return func(yield func(*core.Result, error) bool) {
				if inv.Procedure == "com.slow" {
					<-ctx.Done() // until the dealer's timeout interrupts the call
					cancelled <- ctx.Err()
					return
				}
				for i := range inv.Args {
					if !yield(core.ProgressReport(wamp.List{inv.Args[i]}, nil), nil) {
						return
					}
				}
				yield(&core.Result{Args: wamp.List{len(inv.Args)}}, nil)
			}
		})))
		if err != nil {
			t.Fatal(err)
		}
		var got []any
		res, err := realm.Call(ctx, "com.echo", wamp.List{"a", "b"}, nil, &core.CallOptions{Progress: func(r *core.Result) { got = append(got, r.Args[0]) }})
		if err != nil || res.Args[0] != 2 || len(got) != 2 || got[1] != "b" {
			t.Fatalf("%v %v, progress %v", res, err, got)
		}
		_, err = realm.Call(ctx, "com.slow", nil, nil, &core.CallOptions{Timeout: 50 * time.Millisecond})
		wantWAMPError(t, err, wamp.ErrTimeout)
		select {
		case err := <-cancelled:
			if !errors.Is(err, context.Canceled) {
				t.Fatalf("handler ctx ended with %v", err)
			}
		case <-ctx.Done():
			t.Fatal("the timeout did not cancel the handler's context")
		}
	})
}

// Handlers find the calling session (SessionFrom), also from typed handlers.
func TestSessionInjection(t *testing.T) {
	forBackends(t, func(t *testing.T, app *core.Application, realm *core.Realm) {
		ctx := ctxT(t)
		var rs core.Routes
		rs.Handle("com.whoami", core.Func0(func(ctx context.Context) (wamp.Dict, error) {
			s, ok := core.SessionFrom(ctx)
			if !ok {
				return wamp.Dict{"session": nil}, nil
			}
			n, _ := s.Get("calls")
			count, _ := n.(int)
			s.Set("calls", count+1)
			return wamp.Dict{"session": int64(s.ID), "calls": count + 1}, nil
		}))
		if err := realm.AddRoutes(ctx, &rs); err != nil {
			t.Fatal(err)
		}
		p := joinPeer(t, app, callerRoles)
		for i := 1; i <= 2; i++ {
			_, final := p.call(wamp.ID(i), wamp.Dict{}, "com.whoami", nil, nil)
			r, ok := final.(*wamp.Result)
			if !ok || r.Kwargs["session"] != int64(p.sid) || r.Kwargs["calls"] != i {
				t.Fatalf("call %d: %#v, want session %d with %d calls", i, final, p.sid, i)
			}
		}
		res, err := realm.Call(ctx, "com.whoami", nil, nil, nil)
		if err != nil || res.Kwargs["session"] != nil {
			t.Fatalf("the application's own call: %v %v, want no session", res, err)
		}
		if _, ok := core.SessionFrom(context.Background()); ok {
			t.Error("SessionFrom outside a handler reported a session")
		}
		if _, ok := core.InvocationFrom(context.Background()); ok {
			t.Error("InvocationFrom outside a handler reported an invocation")
		}
	})
}
