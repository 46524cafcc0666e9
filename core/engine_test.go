package core_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/switchboard-wamp/switchboard/adapters/goroutine"
	"github.com/switchboard-wamp/switchboard/core"
	"github.com/switchboard-wamp/switchboard/core/wamp"
	"github.com/switchboard-wamp/switchboard/transport"
)

// fakePeer is an in-memory transport.Peer: what the engine sends lands in a
// channel, and the test feeds the engine through the Handler Accept returned.
type fakePeer struct {
	t      *testing.T
	out    chan wamp.Message
	h      transport.Handler
	mu     sync.Mutex
	closed bool
	done   chan struct{}
}

func connect(t *testing.T, app *core.Application) *fakePeer {
	p := &fakePeer{t: t, out: make(chan wamp.Message, 64), done: make(chan struct{})}
	p.mu.Lock() // the handshake timer may close p before Accept returns
	p.h = app.Accept(p)
	p.mu.Unlock()
	return p
}

func (p *fakePeer) Send(m wamp.Message) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		return false
	}
	p.out <- m
	return true
}

func (p *fakePeer) Close() {
	p.mu.Lock()
	if p.closed {
		p.mu.Unlock()
		return
	}
	p.closed = true
	close(p.done)
	h := p.h
	p.mu.Unlock()
	h.Closed(nil)
}

func (p *fakePeer) Info() transport.Info {
	return transport.Info{Transport: "fake", Serializer: "none"}
}

// drop simulates the connection dying under the session.
func (p *fakePeer) drop() {
	p.mu.Lock()
	p.closed = true
	p.mu.Unlock()
	p.h.Closed(errors.New("connection reset"))
}

// recv returns the next message as a transport's writer would encode it
// (unwrapping fan-out's shared messages).
func (p *fakePeer) recv() wamp.Message {
	p.t.Helper()
	return transport.Unwrap(p.recvRaw())
}

// recvRaw returns the next message exactly as the engine handed it over.
func (p *fakePeer) recvRaw() wamp.Message {
	p.t.Helper()
	select {
	case m := <-p.out:
		return m
	case <-time.After(10 * time.Second):
		p.t.Fatal("no message within 10s")
		return nil
	}
}

func (p *fakePeer) waitClosed() {
	p.t.Helper()
	select {
	case <-p.done:
	case <-time.After(10 * time.Second):
		p.t.Fatal("peer not closed within 10s")
	}
}

func (p *fakePeer) join(realm wamp.URI, roles ...string) wamp.ID {
	p.t.Helper()
	rd := wamp.Dict{}
	for _, r := range roles {
		rd[r] = wamp.Dict{}
	}
	p.h.Message(&wamp.Hello{Realm: realm, Details: wamp.Dict{"roles": rd}})
	w, ok := p.recv().(*wamp.Welcome)
	if !ok {
		p.t.Fatalf("want WELCOME")
	}
	return w.Session
}

func newApp(t *testing.T, cfg core.Config) *core.Application {
	t.Helper()
	b := goroutine.New(goroutine.Config{})
	cfg.Backend = b
	if cfg.Realms == nil {
		cfg.Realms = []core.RealmConfig{{URI: "realm1", GoodbyeTimeout: 100 * time.Millisecond}}
	}
	app, err := core.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		app.Close(ctx)
		b.Close()
	})
	return app
}

func TestNewNeedsBackend(t *testing.T) {
	if _, err := core.New(core.Config{}); !errors.Is(err, core.ErrNoBackend) {
		t.Fatalf("err = %v, want ErrNoBackend", err)
	}
}

func TestAddRealmRejectsBadAndDuplicate(t *testing.T) {
	app := newApp(t, core.Config{})
	if _, err := app.AddRealm(core.RealmConfig{URI: "bad realm"}); !errors.Is(err, core.ErrInvalidRealm) {
		t.Errorf("bad URI: err = %v", err)
	}
	if _, err := app.AddRealm(core.RealmConfig{URI: "realm1"}); !errors.Is(err, core.ErrRealmExists) {
		t.Errorf("duplicate: err = %v", err)
	}
}

func TestRemoteCallerReachesLocalProcedure(t *testing.T) {
	app := newApp(t, core.Config{})
	realm, _ := app.Realm("realm1")
	_, err := realm.Register(context.Background(), "com.example.add", func(_ context.Context, inv *core.Invocation) (*core.Result, error) {
		a, _ := wamp.ToInt(inv.Args[0])
		b, _ := wamp.ToInt(inv.Args[1])
		return &core.Result{Args: wamp.List{a + b}}, nil
	}, nil)
	if err != nil {
		t.Fatal(err)
	}
	p := connect(t, app)
	p.join("realm1", "caller")
	p.h.Message(&wamp.Call{Request: 9, Options: wamp.Dict{}, Procedure: "com.example.add", Args: wamp.List{int64(40), int64(2)}})
	res, ok := p.recv().(*wamp.Result)
	if !ok || res.Request != 9 || len(res.Args) != 1 || res.Args[0] != int64(42) {
		t.Fatalf("got %#v, want RESULT 9 [42]", res)
	}
	// A second registration of the same URI is refused with the spec's URI.
	_, err = realm.Register(context.Background(), "com.example.add", func(context.Context, *core.Invocation) (*core.Result, error) { return nil, nil }, nil)
	var we *core.Error
	if !errors.As(err, &we) || we.URI != wamp.ErrProcedureAlreadyExists {
		t.Fatalf("duplicate Register err = %v, want %s", err, wamp.ErrProcedureAlreadyExists)
	}
}

func TestLocalPublishReachesRemoteSubscriber(t *testing.T) {
	app := newApp(t, core.Config{})
	realm, _ := app.Realm("realm1")
	p := connect(t, app)
	p.join("realm1", "subscriber")
	p.h.Message(&wamp.Subscribe{Request: 1, Options: wamp.Dict{}, Topic: "com.example.t"})
	sub := p.recv().(*wamp.Subscribed)
	if err := realm.Publish(context.Background(), "com.example.t", wamp.List{"hi"}, nil, &core.PublishOptions{Acknowledge: true}); err != nil {
		t.Fatal(err)
	}
	ev, ok := p.recv().(*wamp.Event)
	if !ok || ev.Subscription != sub.Subscription || ev.Args[0] != "hi" {
		t.Fatalf("got %#v, want EVENT on %d", ev, sub.Subscription)
	}
	err := realm.Publish(context.Background(), "bad..topic", nil, nil, &core.PublishOptions{Acknowledge: true})
	var we *core.Error
	if !errors.As(err, &we) || we.URI != wamp.ErrInvalidURI {
		t.Fatalf("publish to a bad URI: err = %v, want %s", err, wamp.ErrInvalidURI)
	}
}

func TestHandshakeTimeoutClosesSilentConnection(t *testing.T) {
	app := newApp(t, core.Config{HandshakeTimeout: 20 * time.Millisecond})
	p := connect(t, app)
	p.waitClosed()
}

func TestCloseSaysGoodbye(t *testing.T) {
	b := goroutine.New(goroutine.Config{})
	defer b.Close()
	app, err := core.New(core.Config{Backend: b, Realms: []core.RealmConfig{{URI: "realm1", GoodbyeTimeout: time.Minute}}})
	if err != nil {
		t.Fatal(err)
	}
	p := connect(t, app)
	p.join("realm1", "caller")
	closed := make(chan error, 1)
	go func() { closed <- app.Close(context.Background()) }()
	g, ok := p.recv().(*wamp.Goodbye)
	if !ok || g.Reason != wamp.CloseSystemShutdown {
		t.Fatalf("got %#v, want GOODBYE %s", g, wamp.CloseSystemShutdown)
	}
	p.h.Message(&wamp.Goodbye{Details: wamp.Dict{}, Reason: wamp.CloseGoodbyeAndOut})
	if err := <-closed; err != nil {
		t.Fatalf("Close: %v", err)
	}
	p.waitClosed()
	// A new connection is refused now.
	q := connect(t, app)
	q.h.Message(&wamp.Hello{Realm: "realm1", Details: wamp.Dict{"roles": wamp.Dict{"caller": wamp.Dict{}}}})
	if a, ok := q.recv().(*wamp.Abort); !ok {
		t.Fatalf("after Close: got %#v, want ABORT", a)
	}
}

func TestCalleeDropFailsPendingCall(t *testing.T) {
	app := newApp(t, core.Config{})
	callee := connect(t, app)
	callee.join("realm1", "callee")
	callee.h.Message(&wamp.Register{Request: 1, Options: wamp.Dict{}, Procedure: "com.example.slow"})
	if _, ok := callee.recv().(*wamp.Registered); !ok {
		t.Fatal("want REGISTERED")
	}
	caller := connect(t, app)
	caller.join("realm1", "caller")
	caller.h.Message(&wamp.Call{Request: 5, Options: wamp.Dict{}, Procedure: "com.example.slow"})
	if _, ok := callee.recv().(*wamp.Invocation); !ok {
		t.Fatal("want INVOCATION")
	}
	callee.drop()
	e, ok := caller.recv().(*wamp.Error)
	if !ok || e.Request != 5 || e.Error != wamp.ErrCanceled {
		t.Fatalf("got %#v, want ERROR 5 %s", e, wamp.ErrCanceled)
	}
}

// Fan-out hands every subscriber of a subscription the same shared message,
// so each serializer in use encodes it once.
func TestFanoutSharesOneEncoding(t *testing.T) {
	app := newApp(t, core.Config{})
	realm, _ := app.Realm("realm1")
	var peers []*fakePeer
	for range 3 {
		p := connect(t, app)
		p.join("realm1", "subscriber")
		p.h.Message(&wamp.Subscribe{Request: 1, Options: wamp.Dict{}, Topic: "com.example.fan"})
		if _, ok := p.recv().(*wamp.Subscribed); !ok {
			t.Fatal("want SUBSCRIBED")
		}
		peers = append(peers, p)
	}
	if err := realm.Publish(context.Background(), "com.example.fan", wamp.List{"x"}, nil, &core.PublishOptions{Acknowledge: true}); err != nil {
		t.Fatal(err)
	}
	var first wamp.Message
	for i, p := range peers {
		m := p.recvRaw()
		if _, ok := m.(*transport.SharedMessage); !ok {
			t.Fatalf("peer %d got %T, want a *transport.SharedMessage", i, m)
		}
		if ev, ok := transport.Unwrap(m).(*wamp.Event); !ok || ev.Args[0] != "x" {
			t.Fatalf("peer %d: shared message wraps %#v", i, transport.Unwrap(m))
		}
		if first == nil {
			first = m
		} else if m != first {
			t.Fatalf("peer %d got a different wrapper than peer 0", i)
		}
	}
}
