package core_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/switchboard-wamp/switchboard/core"
	"github.com/switchboard-wamp/switchboard/core/wamp"
	"github.com/switchboard-wamp/switchboard/transport"
)

// registeredCall joins a callee and a caller to realm1, registers proc and
// calls it: it returns both once the callee holds the INVOCATION.
func registeredCall(t *testing.T, app *core.Application, proc wamp.URI, callOpts wamp.Dict) (callee, caller *fakePeer, inv *wamp.Invocation) {
	t.Helper()
	callee = joinPeer(t, app, wamp.Dict{"callee": wamp.Dict{"features": wamp.Dict{"progressive_call_results": true}}})
	callee.send(&wamp.Register{Request: 1, Options: wamp.Dict{}, Procedure: proc})
	if _, ok := callee.recv().(*wamp.Registered); !ok {
		t.Fatal("want REGISTERED")
	}
	caller = joinPeer(t, app, wamp.Dict{"caller": wamp.Dict{}})
	caller.send(&wamp.Call{Request: 7, Options: callOpts, Procedure: proc})
	inv, ok := callee.recv().(*wamp.Invocation)
	if !ok {
		t.Fatal("want INVOCATION")
	}
	return callee, caller, inv
}

// Drain refuses new sessions at once and returns when the call in flight
// has its answer; the joined sessions keep working meanwhile.
func TestDrainWaitsForCallInFlight(t *testing.T) {
	forEachBackendApp(t, core.Config{}, func(t *testing.T, app *core.Application) {
		callee, caller, inv := registeredCall(t, app, "com.example.slow", wamp.Dict{})
		drained := make(chan error, 1)
		go func() { drained <- app.Drain(ctxT(t)) }()
		waitUntil(t, "the drain to start", func() bool { return errors.Is(app.Ready(ctxT(t)), core.ErrClosed) })
		late := dialPeer(t, app, transport.Info{})
		late.send(helloMsg("realm1", nil))
		late.wantAbort(wamp.CloseSystemShutdown)
		select {
		case err := <-drained:
			t.Fatalf("Drain returned %v with a call in flight", err)
		default:
		}
		callee.send(&wamp.Yield{Request: inv.Request, Options: wamp.Dict{}, Args: wamp.List{"done"}})
		if r, ok := caller.recv().(*wamp.Result); !ok || r.Args[0] != "done" {
			t.Fatalf("caller got %#v", r)
		}
		if err := waitFor(t, drained, "Drain"); err != nil {
			t.Fatalf("Drain: %v", err)
		}
	})
}

// A Drain whose context ends first reports the calls still in flight.
func TestDrainDeadline(t *testing.T) {
	app := newApp(t, core.Config{})
	registeredCall(t, app, "com.example.stuck", wamp.Dict{})
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	if err := app.Drain(ctx); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Drain = %v, want the deadline", err)
	}
}

// RemoveRealm says GOODBYE ReasonRealmRemoved to the realm's sessions,
// waits for them, and HELLOs for it then find no such realm.
func TestRemoveRealm(t *testing.T) {
	app := newApp(t, core.Config{Realms: []core.RealmConfig{{URI: "realm1"}, {URI: "gone"}}})
	p := dialPeer(t, app, transport.Info{})
	p.join("gone", nil)
	removed := make(chan error, 1)
	go func() { removed <- app.RemoveRealm(ctxT(t), "gone") }()
	if g, ok := p.recv().(*wamp.Goodbye); !ok || g.Reason != core.ReasonRealmRemoved {
		t.Fatalf("got %#v, want GOODBYE %s", g, core.ReasonRealmRemoved)
	}
	p.send(&wamp.Goodbye{Details: wamp.Dict{}, Reason: wamp.CloseGoodbyeAndOut})
	if err := waitFor(t, removed, "RemoveRealm"); err != nil {
		t.Fatal(err)
	}
	q := dialPeer(t, app, transport.Info{})
	q.send(helloMsg("gone", nil))
	q.wantAbort(wamp.ErrNoSuchRealm)
	if err := app.RemoveRealm(ctxT(t), "gone"); err == nil {
		t.Fatal("removing a realm twice: no error")
	}
	joinPeer(t, app, wamp.Dict{"caller": wamp.Dict{}}) // realm1 is untouched
}

// SetLimits changes MaxSessions for the sessions admitted afterwards.
func TestSetLimits(t *testing.T) {
	app := newApp(t, core.Config{})
	realm, _ := app.Realm("realm1")
	joinPeer(t, app, wamp.Dict{"caller": wamp.Dict{}})
	if err := realm.SetLimits(core.RealmConfig{MaxSessions: 1}); err != nil {
		t.Fatal(err)
	}
	p := dialPeer(t, app, transport.Info{})
	p.send(helloMsg("realm1", nil))
	p.wantAbort(core.ReasonTooManySessions)
	if err := realm.SetLimits(core.RealmConfig{MaxSessions: -1}); err == nil {
		t.Fatal("a negative limit: no error")
	}
}

// Config.Metrics counts handshake timeouts, authentication failures by
// method, and times calls from CALL to the final RESULT.
func TestMetricsCounters(t *testing.T) {
	m := &core.Metrics{}
	observed := make(chan time.Duration, 16)
	m.CallLatency = func(realm wamp.URI) func(time.Duration) {
		return func(d time.Duration) { observed <- d }
	}
	app := newApp(t, core.Config{Metrics: m, HandshakeTimeout: 50 * time.Millisecond,
		Realms: []core.RealmConfig{{URI: "realm1"}, {URI: "locked"}}})
	dialPeer(t, app, transport.Info{}).waitClosed()
	if n := m.HandshakeTimeouts.Load(); n != 1 {
		t.Fatalf("HandshakeTimeouts = %d after a silent connection", n)
	}
	locked, _ := app.Realm("locked")
	locked.SetAuthenticator(func(context.Context, *core.AuthRequest) (*core.Identity, error) {
		return nil, &core.AbortError{URI: wamp.ErrAuthenticationDenied, Message: "no"}
	})
	p := dialPeer(t, app, transport.Info{})
	p.send(helloMsg("locked", wamp.Dict{"authmethods": []any{"ticket"}}))
	p.wantAbort(wamp.ErrAuthenticationDenied)
	odd := dialPeer(t, app, transport.Info{})
	odd.send(helloMsg("realm1", wamp.Dict{"authmethods": []any{"made-up"}}))
	odd.wantAbort(wamp.ErrNoMatchingAuthMethod)
	// A failure is counted when the executor processes the handshake's
	// end, which may come after the ABORT reached the peer: wait for the
	// counts, then check that no other method was counted.
	wantFails := func(name string) int64 {
		if name == "ticket" || name == "other" {
			return 1
		}
		return 0
	}
	waitUntil(t, "both authentication failures counted", func() bool {
		fails := m.AuthFailures()
		for i, name := range core.AuthMethods {
			if fails[i] < wantFails(name) {
				return false
			}
		}
		return true
	})
	fails := m.AuthFailures()
	for i, name := range core.AuthMethods {
		if fails[i] != wantFails(name) {
			t.Errorf("AuthFailures[%s] = %d, want %d", name, fails[i], wantFails(name))
		}
	}

	callee, caller, inv := registeredCall(t, app, "com.example.timed", wamp.Dict{"receive_progress": true})
	callee.send(&wamp.Yield{Request: inv.Request, Options: wamp.Dict{"progress": true}})
	callee.send(&wamp.Yield{Request: inv.Request, Options: wamp.Dict{}})
	caller.recv()
	caller.recv()
	if d := waitFor(t, observed, "the call's latency"); d < 0 {
		t.Fatalf("latency %v", d)
	}
	caller.send(&wamp.Call{Request: 8, Options: wamp.Dict{}, Procedure: "com.example.none"})
	if _, ok := caller.recv().(*wamp.Error); !ok {
		t.Fatal("want ERROR")
	}
	if len(observed) != 0 {
		t.Fatalf("%d more latencies observed: a progressive RESULT or an ERROR was timed", len(observed))
	}
}
