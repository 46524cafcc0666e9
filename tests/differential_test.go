package tests

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/switchboard-wamp/switchboard/client"
	"github.com/switchboard-wamp/switchboard/core"
	"github.com/switchboard-wamp/switchboard/core/serialize"
	"github.com/switchboard-wamp/switchboard/core/wamp"
	"github.com/switchboard-wamp/switchboard/scheduler"
	"github.com/switchboard-wamp/switchboard/scheduler/schedtest"
	"github.com/switchboard-wamp/switchboard/transport"
)

// The differential test runs one
// multi-session scenario on schedtest.Virtual under several seeds and on
// every real backend, each time over the in-memory transport with JSON
// round trips, records what every session receives, and requires each
// session's transcript to be identical across runs. Only the interleaving
// between sessions may differ, so every step waits for the replies it
// expects before the next one starts: each session's own sequence is then
// fixed by the protocol, and any difference is a backend-dependent
// behaviour.

var diffSeed = flag.Int64("diff.seed", 1, "first seed of the Virtual runs of the differential test (three consecutive seeds run)")

// diffDriver is how one run makes progress: a Virtual is driven by the
// test; a real backend runs by itself and the test only waits.
type diffDriver struct {
	name string
	as   scheduler.AsyncSupport
	v    *schedtest.Virtual // nil for real backends
}

// guard bounds every wait of this package (waitUntil, recvWithin, the
// wire peer, the differential driver); it is a failure guard, never a
// timing claim, so it is generous: a loaded 2-core machine running the
// race detector must never reach it for an outcome that does come.
const guard = 60 * time.Second

// settle lets the run progress until cond holds. On a Virtual it runs until
// idle, after advancing the clock by adv, and cond must hold then; a real
// backend's clock moves by itself, so adv only explains the wait.
func (d *diffDriver) settle(t *testing.T, adv time.Duration, what string, cond func() bool) {
	t.Helper()
	if d.v != nil {
		d.v.Advance(adv)
		if !cond() {
			t.Fatalf("%s: not reached once the Virtual was idle (seed %d)", what, d.v.Seed())
		}
		return
	}
	waitUntil(t, what, cond)
}

// wait runs f, which may block on the backend (client calls, Realm.Register),
// to completion. On a Virtual, f runs on a helper goroutine while the test
// goroutine drives the Virtual.
func (d *diffDriver) wait(t *testing.T, f func() error) error {
	t.Helper()
	return d.waitTicking(t, 0, f)
}

// waitTicking is wait that also moves a Virtual's clock by tick per round,
// for waits that end on a deadline (shutdown after a failed step).
func (d *diffDriver) waitTicking(t *testing.T, tick time.Duration, f func() error) error {
	t.Helper()
	if d.v == nil {
		return f()
	}
	done := make(chan error, 1)
	go func() { done <- f() }()
	deadline := time.Now().Add(guard)
	for {
		d.v.Advance(tick)
		select {
		case err := <-done:
			d.v.RunUntilIdle()
			return err
		case <-time.After(100 * time.Microsecond):
		}
		if time.Now().After(deadline) {
			t.Fatalf("blocking operation did not finish within %v on the Virtual", guard)
		}
	}
}

// transcript records one session's received messages as normalised lines:
// every ID is replaced by its kind and first-seen index in this session.
// It is a transport.Acceptor and the Handler it returns.
type transcript struct {
	mu    sync.Mutex
	lines []string
	msgs  []wamp.Message
	ids   map[string]string
	inner transport.Handler // a wrapped client's handler, or nil
	wrap  transport.Acceptor
}

func (tr *transcript) Accept(p transport.Peer) transport.Handler {
	if tr.wrap != nil {
		tr.inner = tr.wrap.Accept(p)
	}
	return tr
}

func (tr *transcript) Message(m wamp.Message) {
	tr.mu.Lock()
	tr.msgs = append(tr.msgs, m)
	tr.lines = append(tr.lines, tr.render(m))
	tr.mu.Unlock()
	if tr.inner != nil {
		tr.inner.Message(m)
	}
}

func (tr *transcript) Malformed(err error) {
	tr.add("MALFORMED")
	if tr.inner != nil {
		tr.inner.Malformed(err)
	}
}

func (tr *transcript) Closed(cause error) {
	line := "CLOSED " + fmt.Sprint(cause)
	var ce *transport.CloseError
	switch {
	case cause == nil, errors.As(cause, &ce) && ce.Code == 1000:
		// An orderly close: after GOODBYE both ends close, and which one
		// the transport hears first (its own close, or the peer's 1000)
		// is a race outside the protocol.
		line = "CLOSED normal"
	case ce != nil:
		line = fmt.Sprintf("CLOSED %d remote=%v", ce.Code, ce.Remote)
	}
	tr.add(line)
	if tr.inner != nil {
		tr.inner.Closed(cause)
	}
}

func (tr *transcript) add(line string) {
	tr.mu.Lock()
	defer tr.mu.Unlock()
	tr.lines = append(tr.lines, line)
	tr.msgs = append(tr.msgs, nil)
}

func (tr *transcript) snapshot() []string {
	tr.mu.Lock()
	defer tr.mu.Unlock()
	return append([]string(nil), tr.lines...)
}

func (tr *transcript) count() int {
	tr.mu.Lock()
	defer tr.mu.Unlock()
	return len(tr.lines)
}

// last returns the most recent message of type typ.
func (tr *transcript) last(t *testing.T, typ wamp.Type) wamp.Message {
	t.Helper()
	tr.mu.Lock()
	defer tr.mu.Unlock()
	for i := len(tr.msgs) - 1; i >= 0; i-- {
		if m := tr.msgs[i]; m != nil && m.Type() == typ {
			return m
		}
	}
	t.Fatalf("no %v received yet", typ)
	return nil
}

// idFields says where each message type carries IDs, and of which kind.
var idFields = map[wamp.Type][]struct {
	pos  int
	kind string
}{
	wamp.WELCOME:      {{1, "session"}},
	wamp.ERROR:        {{2, "request"}},
	wamp.PUBLISHED:    {{1, "request"}, {2, "publication"}},
	wamp.SUBSCRIBED:   {{1, "request"}, {2, "subscription"}},
	wamp.UNSUBSCRIBED: {{1, "request"}},
	wamp.EVENT:        {{1, "subscription"}, {2, "publication"}},
	wamp.RESULT:       {{1, "request"}},
	wamp.REGISTERED:   {{1, "request"}, {2, "registration"}},
	wamp.UNREGISTERED: {{1, "request"}},
	wamp.INVOCATION:   {{1, "invocation"}, {2, "registration"}},
	wamp.INTERRUPT:    {{1, "invocation"}},
}

// sessionKeys are details keys whose values are session IDs.
var sessionKeys = []string{wamp.DetailCaller, wamp.DetailPublisher, "session"}

// render turns m into "TYPE [list]" with IDs normalised. tr.mu held.
func (tr *transcript) render(m wamp.Message) string {
	l := wamp.ToList(m)
	norm := func(kind string, v any) string {
		key := fmt.Sprintf("%s:%v", kind, v)
		if n, ok := tr.ids[key]; ok {
			return n
		}
		if tr.ids == nil {
			tr.ids = make(map[string]string)
		}
		n := fmt.Sprintf("%s#%d", kind, len(tr.ids)+1)
		tr.ids[key] = n
		return n
	}
	for _, f := range idFields[m.Type()] {
		l[f.pos] = norm(f.kind, l[f.pos])
	}
	for i, e := range l {
		if d, ok := e.(wamp.Dict); ok && i > 0 {
			c := make(wamp.Dict, len(d))
			for k, v := range d {
				c[k] = v
			}
			for _, k := range sessionKeys {
				if v, ok := c[k]; ok {
					c[k] = norm("session", v)
				}
			}
			if m.Type() == wamp.WELCOME {
				if v, ok := c["authid"]; ok {
					c["authid"] = norm("authid", v)
				}
			}
			l[i] = c
		}
	}
	b, err := json.Marshal(l) // map keys sorted: stable text
	if err != nil {
		return m.Type().String() + " !" + err.Error()
	}
	return m.Type().String() + " " + string(b)
}

// wireSession is a session played at the message level over the memory
// transport: the test sends exactly the messages the scenario says.
type wireSession struct {
	t   *testing.T
	tr  *transcript
	p   transport.Peer
	req wamp.ID
}

func (w *wireSession) send(m wamp.Message) {
	w.t.Helper()
	if !w.p.Send(m) {
		w.t.Fatalf("send %v: connection closed", m.Type())
	}
}

func (w *wireSession) nextReq() wamp.ID { w.req++; return w.req }

// diffRoles is the HELLO details of every wire session: all four roles,
// with the features the scenario relies on.
func diffRoles() wamp.Dict {
	f := func(names ...string) wamp.Dict {
		d := wamp.Dict{}
		for _, n := range names {
			d[n] = true
		}
		return wamp.Dict{"features": d}
	}
	return wamp.Dict{"roles": wamp.Dict{
		"caller":     f(wamp.FeatureCallCanceling, wamp.FeatureProgressiveCallResults, wamp.FeatureCallTimeout),
		"callee":     f(wamp.FeatureCallCanceling, wamp.FeatureProgressiveCallResults, wamp.FeatureCallTimeout),
		"publisher":  f(wamp.FeaturePublisherExclusion),
		"subscriber": f(wamp.FeaturePatternBasedSubscription),
	}}
}

// diffRun is one run of the scenario on one driver.
type diffRun struct {
	t     *testing.T
	d     *diffDriver
	app   *core.Application
	realm *core.Realm
	srv   *transport.MemoryServer
	wires map[string]*wireSession
	cl    *client.Session
	trs   map[string]*transcript // every session by name: the wires and "client"
	want  map[string]int         // transcript lengths expected so far
}

// step runs do, then waits until each session named in expect has received
// one more message per entry, and checks them: an entry is a type name,
// optionally followed by a space and a text the line must contain.
func (r *diffRun) step(name string, adv time.Duration, expect map[string][]string, do func()) {
	r.t.Helper()
	prev := make(map[string]int, len(r.want))
	for s, n := range r.want {
		prev[s] = n
	}
	do()
	for s, e := range expect {
		r.want[s] += len(e)
	}
	r.d.settle(r.t, adv, name, func() bool {
		for s, n := range r.want {
			if r.trs[s].count() < n {
				return false
			}
		}
		return true
	})
	for s, e := range expect {
		lines := r.trs[s].snapshot()
		for i, w := range e {
			line := lines[prev[s]+i]
			typ, text, _ := strings.Cut(w, " ")
			if !strings.HasPrefix(line, typ+" ") && line != typ || !strings.Contains(line, text) {
				r.t.Fatalf("step %q: %s received %q, want %q\ntranscript:\n%s", name, s, line, w, strings.Join(lines, "\n"))
			}
		}
	}
	if r.d.v != nil { // nothing unexpected: the Virtual is idle
		for s, n := range r.want {
			if c := r.trs[s].count(); c != n {
				r.t.Fatalf("step %q: %s has %d messages, want %d:\n%s", name, s, c, n, strings.Join(r.trs[s].snapshot(), "\n"))
			}
		}
	}
}

var diffSessions = []string{"callee", "caller", "sub", "pub", "leaver", "bad"}

// setup starts the application, its Go procedures and the sessions.
func (r *diffRun) setup() {
	t := r.t
	app, err := core.New(core.Config{Backend: r.d.as, Realms: []core.RealmConfig{{URI: "realm1", GoodbyeTimeout: time.Second}}, Logger: diffQuiet()})
	must(t, err)
	r.app = app
	r.realm, _ = app.Realm("realm1")
	t.Cleanup(r.teardown)
	ctx := context.Background()
	must(t, r.d.wait(t, func() error {
		_, err := r.realm.Register(ctx, "com.diff.go.echo", func(_ context.Context, inv *core.Invocation) (*core.Result, error) {
			return &core.Result{Args: inv.Args, Kwargs: inv.Kwargs}, nil
		}, nil)
		return err
	}))
	must(t, r.d.wait(t, func() error {
		_, err := r.realm.Register(ctx, "com.diff.go.refuse", func(context.Context, *core.Invocation) (*core.Result, error) {
			return nil, &core.Error{URI: "com.diff.error.refused", Args: wamp.List{"no"}}
		}, nil)
		return err
	}))
	r.srv = transport.NewMemoryServer(transport.PipeConfig{Serializer: serialize.JSON, Logger: diffQuiet()}, r.d.as, app)
	r.wires, r.trs, r.want = map[string]*wireSession{}, map[string]*transcript{}, map[string]int{}
	for _, name := range diffSessions {
		tr := &transcript{}
		p, err := r.srv.Dial(ctx, r.d.as.NewExecutor("wire "+name), tr)
		must(t, err)
		r.wires[name], r.trs[name] = &wireSession{t: t, tr: tr, p: p}, tr
	}
	ctr := &transcript{}
	r.trs["client"] = ctr
	must(t, r.d.wait(t, func() error {
		dial := func(ctx context.Context, a transport.Acceptor) (transport.Peer, error) {
			ctr.wrap = a
			return r.srv.Dial(ctx, r.d.as.NewExecutor("client conn"), ctr)
		}
		cl, err := client.Join(ctx, dial, client.Config{Realm: "realm1", Backend: r.d.as, Logger: diffQuiet()})
		r.cl = cl
		return err
	}))
	r.want["client"] = 1 // WELCOME
}

// teardown closes the application, the connections left and the backend.
func (r *diffRun) teardown() {
	ctx, cancel := context.WithTimeout(context.Background(), guard)
	defer cancel()
	if err := r.d.waitTicking(r.t, time.Second, func() error { return r.app.Close(ctx) }); err != nil {
		r.t.Errorf("app.Close: %v", err)
	}
	if r.srv != nil {
		r.srv.Close()
	}
	if err := r.d.as.Close(); err != nil {
		r.t.Errorf("backend Close: %v", err)
	}
}

func diffQuiet() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

// join opens every wire session; the client joined in setup.
func (r *diffRun) join() {
	expect := map[string][]string{}
	for _, n := range diffSessions {
		expect[n] = []string{"WELCOME"}
	}
	r.step("join", 0, expect, func() {
		for _, n := range diffSessions {
			r.wires[n].send(&wamp.Hello{Realm: "realm1", Details: diffRoles()})
		}
	})
}

// rpc: registrations, a remote call, Go procedures, errors, progressive
// results.
func (r *diffRun) rpc() {
	callee, caller, leaver := r.wires["callee"], r.wires["caller"], r.wires["leaver"]
	reg := func(w *wireSession, proc wamp.URI) {
		w.send(&wamp.Register{Request: w.nextReq(), Options: wamp.Dict{}, Procedure: proc})
	}
	r.step("register", 0, map[string][]string{"callee": {"REGISTERED", "REGISTERED", "REGISTERED"}, "leaver": {"REGISTERED"}}, func() {
		reg(callee, "com.diff.add")
		reg(callee, "com.diff.hang")
		reg(callee, "com.diff.progress")
		reg(leaver, "com.diff.leave")
	})
	call := func(proc wamp.URI, opts wamp.Dict, args wamp.List, kw wamp.Dict) {
		caller.send(&wamp.Call{Request: caller.nextReq(), Options: opts, Procedure: proc, Args: args, Kwargs: kw})
	}
	r.step("call remote", 0, map[string][]string{"callee": {"INVOCATION [2,3]"}}, func() {
		call("com.diff.add", wamp.Dict{}, wamp.List{2, 3}, nil)
	})
	r.step("yield", 0, map[string][]string{"caller": {"RESULT [5]"}}, func() {
		inv := callee.tr.last(r.t, wamp.INVOCATION).(*wamp.Invocation)
		callee.send(&wamp.Yield{Request: inv.Request, Options: wamp.Dict{}, Args: wamp.List{5}})
	})
	// One call per step: the answers of Go procedures (backend tasks) and
	// of the router itself would otherwise race each other.
	for _, c := range []struct {
		proc wamp.URI
		args wamp.List
		kw   wamp.Dict
		want string
	}{
		{"com.diff.go.echo", wamp.List{"x", 1.5, true, nil}, wamp.Dict{"k": "v"}, `RESULT ["x",1.5,true,null],{"k":"v"}`},
		{"com.diff.go.refuse", nil, nil, "ERROR com.diff.error.refused"},
		{"com.diff.missing", nil, nil, "ERROR wamp.error.no_such_procedure"},
	} {
		r.step("call "+string(c.proc), 0, map[string][]string{"caller": {c.want}}, func() {
			call(c.proc, wamp.Dict{}, c.args, c.kw)
		})
	}
	r.step("progressive call", 0, map[string][]string{"callee": {`INVOCATION "receive_progress":true`}}, func() {
		call("com.diff.progress", wamp.Dict{wamp.OptReceiveProgress: true}, nil, nil)
	})
	r.step("progress", 0, map[string][]string{"caller": {`RESULT [1]`, `RESULT [2]`, `RESULT ["done"]`}}, func() {
		inv := callee.tr.last(r.t, wamp.INVOCATION).(*wamp.Invocation)
		for i := range 2 {
			callee.send(&wamp.Yield{Request: inv.Request, Options: wamp.Dict{wamp.OptProgress: true}, Args: wamp.List{i + 1}})
		}
		callee.send(&wamp.Yield{Request: inv.Request, Options: wamp.Dict{}, Args: wamp.List{"done"}})
	})
}

// cancel: a CANCEL (kill), a call timeout, and a callee leaving mid-call.
func (r *diffRun) cancel() {
	callee, caller, leaver := r.wires["callee"], r.wires["caller"], r.wires["leaver"]
	r.step("call to cancel", 0, map[string][]string{"callee": {"INVOCATION"}}, func() {
		caller.send(&wamp.Call{Request: caller.nextReq(), Options: wamp.Dict{}, Procedure: "com.diff.hang"})
	})
	r.step("cancel", 0, map[string][]string{"callee": {`INTERRUPT "mode":"kill"`}}, func() {
		caller.send(&wamp.Cancel{Request: caller.req, Options: wamp.Dict{wamp.OptMode: wamp.CancelKill}})
	})
	r.step("callee answers the interrupt", 0, map[string][]string{"caller": {"ERROR wamp.error.canceled"}}, func() {
		inv := callee.tr.last(r.t, wamp.INTERRUPT).(*wamp.Interrupt)
		callee.send(&wamp.Error{RequestType: wamp.INVOCATION, Request: inv.Request, Details: wamp.Dict{}, Error: wamp.ErrCanceled})
	})
	r.step("call with a timeout", 0, map[string][]string{"callee": {"INVOCATION"}}, func() {
		caller.send(&wamp.Call{Request: caller.nextReq(), Options: wamp.Dict{wamp.OptTimeout: 100}, Procedure: "com.diff.hang"})
	})
	// The callee never answers: the router's deadline ends the call.
	r.step("timeout", 100*time.Millisecond, map[string][]string{"callee": {"INTERRUPT"}, "caller": {"ERROR wamp.error.timeout"}}, func() {})
	r.step("call to a leaving callee", 0, map[string][]string{"leaver": {"INVOCATION"}}, func() {
		caller.send(&wamp.Call{Request: caller.nextReq(), Options: wamp.Dict{}, Procedure: "com.diff.leave"})
	})
	r.step("callee leaves mid-call", 0, map[string][]string{
		"leaver": {"GOODBYE wamp.close.goodbye_and_out", "CLOSED"}, "caller": {"ERROR wamp.error.canceled"},
	}, func() {
		leaver.send(&wamp.Goodbye{Details: wamp.Dict{}, Reason: wamp.CloseNormal})
	})
}

// pubsub: exact and prefix subscriptions, acknowledged and fire-and-forget
// publications, an event from Go, unsubscribe, exclude_me=false.
func (r *diffRun) pubsub() {
	sub, pub := r.wires["sub"], r.wires["pub"]
	ctx := context.Background()
	subscribe := func(w *wireSession, topic wamp.URI, match string) {
		opts := wamp.Dict{}
		if match != "" {
			opts[wamp.OptMatch] = match
		}
		w.send(&wamp.Subscribe{Request: w.nextReq(), Options: opts, Topic: topic})
	}
	publish := func(topic wamp.URI, opts wamp.Dict, arg any) {
		pub.send(&wamp.Publish{Request: pub.nextReq(), Options: opts, Topic: topic, Args: wamp.List{arg}})
	}
	ack := wamp.Dict{wamp.OptAcknowledge: true}
	r.step("subscribe", 0, map[string][]string{"sub": {"SUBSCRIBED", "SUBSCRIBED"}, "client": {"SUBSCRIBED"}}, func() {
		subscribe(sub, "com.diff.news", "")
		subscribe(sub, "com.diff", wamp.MatchPrefix)
		must(r.t, r.d.wait(r.t, func() error {
			_, err := r.cl.Subscribe(ctx, "com.diff.news", func(*client.Event) {}, nil)
			return err
		}))
	})
	r.step("publish", 0, map[string][]string{
		"pub": {"PUBLISHED"}, "sub": {"EVENT [1]", `EVENT "topic":"com.diff.news"`}, "client": {"EVENT [1]"},
	}, func() { publish("com.diff.news", ack, 1) })
	r.step("publish without acknowledge", 0, map[string][]string{
		"pub": {"PUBLISHED"}, "sub": {`EVENT [2]`, "EVENT [3]", "EVENT [3]"}, "client": {"EVENT [3]"},
	}, func() {
		publish("com.diff.other", wamp.Dict{}, 2)
		publish("com.diff.news", ack, 3)
	})
	r.step("publish from Go", 0, map[string][]string{"sub": {"EVENT [4]", "EVENT [4]"}, "client": {"EVENT [4]"}}, func() {
		must(r.t, r.d.wait(r.t, func() error { return r.realm.Publish(ctx, "com.diff.news", wamp.List{4}, nil, nil) }))
	})
	r.step("unsubscribe", 0, map[string][]string{"sub": {"UNSUBSCRIBED"}, "pub": {"SUBSCRIBED"}}, func() {
		first := sub.tr.firstOf(r.t, wamp.SUBSCRIBED).(*wamp.Subscribed)
		sub.send(&wamp.Unsubscribe{Request: sub.nextReq(), Subscription: first.Subscription})
		subscribe(pub, "com.diff.news", "")
	})
	r.step("exclude_me=false", 0, map[string][]string{
		"pub": {"EVENT [5]", "PUBLISHED"}, "sub": {`EVENT "topic":"com.diff.news"},[5]`}, "client": {"EVENT [5]"},
	}, func() { publish("com.diff.news", wamp.Dict{wamp.OptAcknowledge: true, wamp.OptExcludeMe: false}, 5) })
	r.step("protocol violation", 0, map[string][]string{"bad": {"ABORT wamp.error.protocol_violation", "CLOSED"}}, func() {
		r.wires["bad"].send(&wamp.Welcome{Session: 1, Details: wamp.Dict{}})
	})
}

// leave: every remaining session says GOODBYE.
func (r *diffRun) leave() {
	expect := map[string][]string{"client": {"GOODBYE", "CLOSED"}}
	names := []string{"callee", "caller", "sub", "pub"}
	for _, n := range names {
		expect[n] = []string{"GOODBYE wamp.close.goodbye_and_out", "CLOSED"}
	}
	r.step("leave", 0, expect, func() {
		for _, n := range names {
			r.wires[n].send(&wamp.Goodbye{Details: wamp.Dict{}, Reason: wamp.CloseNormal})
		}
		ctx, cancel := context.WithTimeout(context.Background(), guard)
		defer cancel()
		must(r.t, r.d.wait(r.t, func() error { return r.cl.Leave(ctx, "") }))
	})
}

// firstOf returns the earliest message of type typ.
func (tr *transcript) firstOf(t *testing.T, typ wamp.Type) wamp.Message {
	t.Helper()
	tr.mu.Lock()
	defer tr.mu.Unlock()
	for _, m := range tr.msgs {
		if m != nil && m.Type() == typ {
			return m
		}
	}
	t.Fatalf("no %v received yet", typ)
	return nil
}

// runScenario plays the whole scenario on d and returns every session's
// transcript.
func runScenario(t *testing.T, d *diffDriver) map[string][]string {
	r := &diffRun{t: t, d: d}
	r.setup()
	r.join()
	r.rpc()
	r.cancel()
	r.pubsub()
	r.leave()
	out := make(map[string][]string, len(r.trs))
	for n, tr := range r.trs {
		out[n] = tr.snapshot()
	}
	return out
}

func TestDifferentialTranscripts(t *testing.T) {
	type run struct {
		name string
		trs  map[string][]string
	}
	var runs []run
	for i := range int64(3) {
		seed := *diffSeed + i
		name := fmt.Sprintf("virtual/seed=%d", seed)
		t.Run(name, func(t *testing.T) {
			v := schedtest.NewVirtual(seed, time.Unix(1_700_000_000, 0))
			v.SetLogger(diffQuiet())
			runs = append(runs, run{name, runScenario(t, &diffDriver{name: name, as: v, v: v})})
			if v.Panics() != 0 {
				t.Fatalf("%d tasks panicked on the Virtual (seed %d)", v.Panics(), seed)
			}
		})
	}
	for _, b := range backends() {
		t.Run(b.Name, func(t *testing.T) {
			ignore := goleak.IgnoreCurrent()
			t.Cleanup(func() { goleak.VerifyNone(t, ignore) })
			runs = append(runs, run{b.Name, runScenario(t, &diffDriver{name: b.Name, as: b.New()})})
		})
	}
	if t.Failed() || len(runs) == 0 {
		return
	}
	ref := runs[0]
	for _, other := range runs[1:] {
		for _, s := range append(diffSessions, "client") {
			a, b := ref.trs[s], other.trs[s]
			if strings.Join(a, "\n") == strings.Join(b, "\n") {
				continue
			}
			i := 0
			for i < len(a) && i < len(b) && a[i] == b[i] {
				i++
			}
			t.Errorf("session %q: %s and %s differ from line %d:\n--- %s\n%s\n--- %s\n%s", s, ref.name, other.name, i+1,
				ref.name, strings.Join(a, "\n"), other.name, strings.Join(b, "\n"))
		}
	}
}
