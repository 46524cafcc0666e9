package core_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/switchboard-wamp/switchboard/core"
	"github.com/switchboard-wamp/switchboard/core/wamp"
	"github.com/switchboard-wamp/switchboard/tests/testrouter"
	"github.com/switchboard-wamp/switchboard/transport"
)

// Helpers of the session tests (realms, authentication, hooks, topics,
// dependencies): an Application per backend of the test matrix built from
// a config the test adjusts, and an in-memory remote peer with a chosen
// transport.Info.

// forEachBackendApp runs f as a subtest on every backend of the matrix with
// a fresh Application built from cfg (Backend filled in; realm1 when cfg
// has no realms), closed at cleanup with a generous bound.
func forEachBackendApp(t *testing.T, cfg core.Config, f func(t *testing.T, app *core.Application)) {
	for _, b := range testrouter.Backends() {
		t.Run(b.Name, func(t *testing.T) {
			as := b.New()
			c := cfg
			c.Backend = as
			if c.Realms == nil {
				c.Realms = []core.RealmConfig{{URI: "realm1", GoodbyeTimeout: 100 * time.Millisecond}}
			}
			app, err := core.New(c)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() {
				ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
				defer cancel()
				if err := app.Close(ctx); err != nil {
					t.Errorf("app.Close: %v", err)
				}
				as.Close()
			})
			f(t, app)
		})
	}
}

// tpeer is an in-memory transport.Peer: what the engine sends lands in a
// channel, and the test feeds the engine through the Handler.
type tpeer struct {
	t      *testing.T
	info   transport.Info
	out    chan wamp.Message
	h      transport.Handler
	mu     sync.Mutex
	closed bool
	done   chan struct{}
}

func dialPeer(t *testing.T, app *core.Application, info transport.Info) *tpeer {
	t.Helper()
	if info.Transport == "" {
		info.Transport, info.Serializer, info.PeerAddr = "memory", "none", "127.0.0.1:9"
	}
	p := &tpeer{t: t, info: info, out: make(chan wamp.Message, 256), done: make(chan struct{})}
	p.mu.Lock() // the handshake timer may close p before Accept returns
	p.h = app.Accept(p)
	p.mu.Unlock()
	t.Cleanup(p.Close)
	return p
}

func (p *tpeer) Send(m wamp.Message) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		return false
	}
	select {
	case p.out <- m:
		return true
	default:
		p.t.Errorf("tpeer: outbound buffer full, %v refused", m.Type())
		return false
	}
}

func (p *tpeer) Close() {
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

func (p *tpeer) Info() transport.Info { return p.info }

// drop simulates the connection dying under the session.
func (p *tpeer) drop() {
	p.mu.Lock()
	if p.closed {
		p.mu.Unlock()
		return
	}
	p.closed = true
	close(p.done)
	p.mu.Unlock()
	p.h.Closed(errors.New("connection reset"))
}

func (p *tpeer) send(m wamp.Message) { p.h.Message(m) }

func (p *tpeer) recv() wamp.Message {
	p.t.Helper()
	select {
	case m := <-p.out:
		return transport.Unwrap(m) // as a transport's writer would encode it
	case <-time.After(10 * time.Second):
		p.t.Fatal("no message within 10s")
		return nil
	}
}

// quiet asserts that nothing arrives for a short while (a failure guard
// for "was not delivered", not a timing assertion: a late message would
// still be caught by the next recv).
func (p *tpeer) quiet(d time.Duration) {
	p.t.Helper()
	select {
	case m := <-p.out:
		p.t.Fatalf("unexpected %#v", m)
	case <-time.After(d):
	}
}

func (p *tpeer) waitClosed() {
	p.t.Helper()
	select {
	case <-p.done:
	case <-time.After(10 * time.Second):
		p.t.Fatal("peer not closed within 10s")
	}
}

func helloMsg(realm wamp.URI, details wamp.Dict) *wamp.Hello {
	if details == nil {
		details = wamp.Dict{}
	}
	if _, ok := details["roles"]; !ok {
		details["roles"] = wamp.Dict{"caller": wamp.Dict{}, "subscriber": wamp.Dict{}, "publisher": wamp.Dict{}}
	}
	return &wamp.Hello{Realm: realm, Details: details}
}

// join sends HELLO and expects WELCOME.
func (p *tpeer) join(realm wamp.URI, details wamp.Dict) *wamp.Welcome {
	p.t.Helper()
	p.send(helloMsg(realm, details))
	m := p.recv()
	w, ok := m.(*wamp.Welcome)
	if !ok {
		p.t.Fatalf("got %#v, want WELCOME", m)
	}
	return w
}

// wantAbort expects ABORT with reason, then the connection closing.
func (p *tpeer) wantAbort(reason wamp.URI) *wamp.Abort {
	p.t.Helper()
	m := p.recv()
	a, ok := m.(*wamp.Abort)
	if !ok || a.Reason != reason {
		p.t.Fatalf("got %#v, want ABORT %s", m, reason)
	}
	p.waitClosed()
	return a
}

func (p *tpeer) subscribe(req wamp.ID, topic wamp.URI, opts wamp.Dict) wamp.Message {
	p.t.Helper()
	if opts == nil {
		opts = wamp.Dict{}
	}
	p.send(&wamp.Subscribe{Request: req, Options: opts, Topic: topic})
	return p.recv()
}

func ctxT(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// waitFor receives one value from ch or fails after a generous bound.
func waitFor[T any](t *testing.T, ch <-chan T, what string) T {
	t.Helper()
	select {
	case v := <-ch:
		return v
	case <-time.After(10 * time.Second):
		t.Fatalf("timed out waiting for %s", what)
		var zero T
		return zero
	}
}
