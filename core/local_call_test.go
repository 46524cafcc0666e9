package core_test

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"
	"time"

	"github.com/switchboard-wamp/switchboard/core"
	"github.com/switchboard-wamp/switchboard/core/wamp"
)

var calleeRoles = wamp.Dict{"callee": wamp.Dict{"features": wamp.Dict{"call_canceling": true, "progressive_call_results": true}}}

// registerRemote registers proc for p and returns the registration ID.
func registerRemote(t *testing.T, p *fakePeer, req wamp.ID, proc wamp.URI) wamp.ID {
	t.Helper()
	p.send(&wamp.Register{Request: req, Options: wamp.Dict{}, Procedure: proc})
	r, ok := p.recv().(*wamp.Registered)
	if !ok {
		t.Fatal("want REGISTERED")
	}
	return r.Registration
}

func TestRealmCallRemoteCallee(t *testing.T) {
	forBackends(t, func(t *testing.T, app *core.Application, realm *core.Realm) {
		ctx := ctxT(t)
		callee := joinPeer(t, app, calleeRoles)
		registerRemote(t, callee, 1, "com.remote.mul")

		type answer struct {
			res *core.Result
			err error
		}
		done := make(chan answer, 1)
		call := func(opts *core.CallOptions, args ...any) {
			go func() {
				res, err := realm.Call(ctx, "com.remote.mul", args, nil, opts)
				done <- answer{res, err}
			}()
		}

		// RESULT, with progress first.
		var got []any
		call(&core.CallOptions{Progress: func(r *core.Result) { got = append(got, r.Args[0]) }, DiscloseMe: true}, 6, 7)
		inv := callee.recv().(*wamp.Invocation)
		if rp, _ := wamp.OptBool(inv.Details, wamp.OptReceiveProgress); !rp || inv.Details[wamp.DetailCallerAuthID] != "switchboard" {
			t.Errorf("INVOCATION details %v: want receive_progress and the application's identity", inv.Details)
		}
		callee.send(&wamp.Yield{Request: inv.Request, Options: wamp.Dict{"progress": true}, Args: wamp.List{"half"}})
		callee.send(&wamp.Yield{Request: inv.Request, Options: wamp.Dict{}, Args: wamp.List{int64(42)}})
		a := waitFor(t, done, "the call's result")
		if a.err != nil || a.res.Args[0] != int64(42) || len(got) != 1 || got[0] != "half" {
			t.Fatalf("%+v %v, progress %v", a.res, a.err, got)
		}

		// ERROR → *core.Error with the callee's URI, args and kwargs.
		call(nil)
		inv = callee.recv().(*wamp.Invocation)
		callee.send(&wamp.Error{RequestType: wamp.INVOCATION, Request: inv.Request, Details: wamp.Dict{}, Error: "com.example.nope",
			Args: wamp.List{"no"}, Kwargs: wamp.Dict{"why": "test"}})
		a = waitFor(t, done, "the call's error")
		var we *core.Error
		if !errors.As(a.err, &we) || we.URI != "com.example.nope" || we.Args[0] != "no" || we.Kwargs["why"] != "test" {
			t.Fatalf("err = %#v", a.err)
		}

		// ctx ends first: CANCEL (killnowait by default) interrupts the callee.
		callCtx, cancel := context.WithCancel(ctx)
		go func() {
			_, err := realm.Call(callCtx, "com.remote.mul", nil, nil, nil)
			done <- answer{nil, err}
		}()
		inv = callee.recv().(*wamp.Invocation)
		cancel()
		if a := <-done; !errors.Is(a.err, context.Canceled) {
			t.Fatalf("err = %v, want context.Canceled", a.err)
		}
		intr, ok := callee.recv().(*wamp.Interrupt)
		if !ok || intr.Request != inv.Request || intr.Options[wamp.OptMode] != wamp.CancelKillNoWait {
			t.Fatalf("got %#v, want INTERRUPT killnowait for %d", intr, inv.Request)
		}
		// A late answer of the canceled call is dropped; the next call works.
		callee.send(&wamp.Yield{Request: inv.Request, Options: wamp.Dict{}})
		call(nil)
		inv = callee.recv().(*wamp.Invocation)
		callee.send(&wamp.Yield{Request: inv.Request, Options: wamp.Dict{}, Args: wamp.List{"next"}})
		if a := <-done; a.err != nil || a.res.Args[0] != "next" {
			t.Fatalf("%+v %v", a.res, a.err)
		}

		// Timeout enforced by the dealer.
		_, err := realm.Call(ctx, "com.remote.mul", nil, nil, &core.CallOptions{Timeout: 20 * time.Millisecond})
		wantWAMPError(t, err, wamp.ErrTimeout)

		// Nothing registered.
		wantWAMPError(t, callErr(realm.Call(ctx, "com.none", nil, nil, nil)), wamp.ErrNoSuchProcedure)
	})
}

// A Go procedure calls a remote callee and returns its answer.
func TestHandlerCallsRemoteCallee(t *testing.T) {
	forBackends(t, func(t *testing.T, app *core.Application, realm *core.Realm) {
		ctx := ctxT(t)
		callee := joinPeer(t, app, calleeRoles)
		registerRemote(t, callee, 1, "com.remote.double")
		var rs core.Routes
		// Blocking: Realm.Call waits for the realm.
		rs.Handle("com.go.quadruple", core.Blocking(core.Func1(func(ctx context.Context, n int64) (int64, error) {
			res, err := realm.Call(ctx, "com.remote.double", wamp.List{n}, nil, nil)
			if err != nil {
				return 0, err
			}
			d, _ := wamp.ToInt(res.Args[0])
			return 2 * d, nil
		})))
		if err := realm.AddRoutes(ctx, &rs); err != nil {
			t.Fatal(err)
		}
		go func() {
			inv, ok := callee.recv().(*wamp.Invocation)
			if !ok {
				return
			}
			n, _ := wamp.ToInt(inv.Args[0])
			callee.send(&wamp.Yield{Request: inv.Request, Options: wamp.Dict{}, Args: wamp.List{2 * n}})
		}()
		caller := joinPeer(t, app, callerRoles)
		_, final := caller.call(1, wamp.Dict{}, "com.go.quadruple", wamp.List{int64(5)}, nil)
		if r, ok := final.(*wamp.Result); !ok || r.Args[0] != int64(20) {
			t.Fatalf("got %#v, want RESULT [20]", final)
		}
	})
}

// A Progress callback that falls too far behind fails the call instead of
// queueing without bound.
func TestRealmCallProgressOverflow(t *testing.T) {
	forBackends(t, func(t *testing.T, app *core.Application, realm *core.Realm) {
		ctx := ctxT(t)
		produced := make(chan struct{})
		var rs core.Routes
		rs.Handle("com.flood", core.Progressive(func(ctx context.Context, inv *core.Invocation) core.Stream {
			return func(yield func(*core.Result, error) bool) {
				defer close(produced)
				for i := range 5000 {
					if !yield(core.ProgressReport(wamp.List{i}, nil), nil) {
						return
					}
				}
				yield(&core.Result{}, nil)
			}
		}))
		if err := realm.AddRoutes(ctx, &rs); err != nil {
			t.Fatal(err)
		}
		var seen atomic.Int64
		_, err := realm.Call(ctx, "com.flood", nil, nil, &core.CallOptions{Progress: func(*core.Result) {
			if seen.Add(1) == 1 {
				// Hold the first report until the realm has routed every
				// report: the stream is done, and a call made afterwards
				// is answered after all of them (the executor is FIFO).
				<-produced
				realm.Call(ctx, "com.none", nil, nil, nil)
			}
		}})
		if !errors.Is(err, core.ErrProgressOverflow) {
			t.Fatalf("err = %v, want ErrProgressOverflow", err)
		}
		// The bound is 1024 queued reports, plus the one being handled.
		if n := seen.Load(); n < 1 || n > 1025 {
			t.Fatalf("%d reports delivered, want between 1 and the bound", n)
		}
		// The realm keeps working.
		if _, err := realm.Call(ctx, "com.none", nil, nil, nil); err == nil {
			t.Fatal("want an error")
		}
	})
}

// A Blocking handler waits without holding up other handlers, on every
// backend: here it waits for another call to release it.
func TestBlockingHandler(t *testing.T) {
	forBackends(t, func(t *testing.T, app *core.Application, realm *core.Realm) {
		ctx := ctxT(t)
		release, waiting := make(chan struct{}), make(chan struct{})
		var rs core.Routes
		rs.Handle("com.wait", core.Blocking(func(ctx context.Context, inv *core.Invocation) (*core.Result, error) {
			close(waiting)
			select {
			case <-release:
				return &core.Result{Args: wamp.List{"released"}}, inv.Progress(wamp.List{"late"}, nil)
			case <-ctx.Done():
				return nil, ctx.Err()
			}
		}))
		rs.Handle("com.release", func(context.Context, *core.Invocation) (*core.Result, error) {
			close(release)
			return &core.Result{}, nil
		})
		if err := realm.AddRoutes(ctx, &rs); err != nil {
			t.Fatal(err)
		}
		type answer struct {
			res      *core.Result
			err      error
			progress int
		}
		done := make(chan answer, 1)
		go func() {
			n := 0
			res, err := realm.Call(ctx, "com.wait", nil, nil, &core.CallOptions{Progress: func(*core.Result) { n++ }})
			done <- answer{res, err, n}
		}()
		waitFor(t, waiting, "the handler to wait")
		if _, err := realm.Call(ctx, "com.release", nil, nil, nil); err != nil {
			t.Fatal(err)
		}
		a := waitFor(t, done, "the released call")
		if a.err != nil || a.res.Args[0] != "released" || a.progress != 1 {
			t.Fatalf("%+v", a)
		}
		// Called directly (no engine), a Blocking handler just runs.
		res, err := invoke(core.Blocking(named("direct")), nil, nil)
		if err != nil || res.Args[0] != "direct" {
			t.Fatalf("%v %v", res, err)
		}
	})
}
