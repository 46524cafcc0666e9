package core_test

import (
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/switchboard-wamp/switchboard/core"
	"github.com/switchboard-wamp/switchboard/core/serialize/shared"
	"github.com/switchboard-wamp/switchboard/core/wamp"
	"github.com/switchboard-wamp/switchboard/transport"
)

// fakePeer is an in-memory transport.Peer, the remote session of the core
// tests: what the engine sends lands in a channel, and the test feeds the
// engine through the Handler Accept returned.
type fakePeer struct {
	t      *testing.T
	info   transport.Info
	out    chan wamp.Message
	h      transport.Handler
	mu     sync.Mutex
	closed bool
	done   chan struct{}
	sid    wamp.ID // the session ID of the last WELCOME join received
}

// dialPeer connects a fakePeer to app with the given transport.Info (a
// loopback memory transport when info has no Transport); it is closed at
// cleanup.
func dialPeer(t *testing.T, app *core.Application, info transport.Info) *fakePeer {
	t.Helper()
	if info.Transport == "" {
		info.Transport, info.Serializer, info.PeerAddr = "memory", "none", "127.0.0.1:9"
	}
	p := &fakePeer{t: t, info: info, out: make(chan wamp.Message, 256), done: make(chan struct{})}
	p.mu.Lock() // the handshake timer may close p before Accept returns
	p.h = app.Accept(p)
	p.mu.Unlock()
	t.Cleanup(p.Close)
	return p
}

// joinPeer connects a fakePeer to realm1 with the given HELLO roles dict.
func joinPeer(t *testing.T, app *core.Application, roles wamp.Dict) *fakePeer {
	t.Helper()
	p := dialPeer(t, app, transport.Info{})
	p.join("realm1", wamp.Dict{"roles": roles})
	return p
}

// Send queues m for recv; a full queue refuses m, as a transport would
// (it then closes the peer), and fails the test.
func (p *fakePeer) Send(m wamp.Message) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		return false
	}
	select {
	case p.out <- m:
		return true
	default:
		p.t.Errorf("fakePeer: outbound queue full, %v refused", m.Type())
		return false
	}
}

// Close is the engine (or the test) closing the connection.
func (p *fakePeer) Close() { p.closeWith(nil) }

// Info returns the transport.Info the peer was dialled with.
func (p *fakePeer) Info() transport.Info { return p.info }

// drop simulates the connection dying under the session.
func (p *fakePeer) drop() { p.closeWith(errors.New("connection reset")) }

// closeWith closes the connection once, reporting err to the engine.
func (p *fakePeer) closeWith(err error) {
	p.mu.Lock()
	if p.closed {
		p.mu.Unlock()
		return
	}
	p.closed = true
	close(p.done)
	h := p.h
	p.mu.Unlock()
	h.Closed(err)
}

// send feeds m to the engine, as if the client had sent it.
func (p *fakePeer) send(m wamp.Message) { p.h.Message(m) }

// recv returns the next message as a transport's writer would encode it
// (unwrapping fan-out's shared messages).
func (p *fakePeer) recv() wamp.Message {
	p.t.Helper()
	return shared.Unwrap(p.recvRaw())
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

// quiet asserts that nothing arrives for a short while (a failure guard
// for "was not delivered", not a timing assertion: a late message would
// still be caught by the next recv).
func (p *fakePeer) quiet(d time.Duration) {
	p.t.Helper()
	select {
	case m := <-p.out:
		p.t.Fatalf("unexpected %#v", m)
	case <-time.After(d):
	}
}

// waitClosed waits for the connection to close (Close or drop).
func (p *fakePeer) waitClosed() {
	p.t.Helper()
	select {
	case <-p.done:
	case <-time.After(10 * time.Second):
		p.t.Fatal("peer not closed within 10s")
	}
}

// helloMsg builds a HELLO; details without "roles" get caller, subscriber
// and publisher.
func helloMsg(realm wamp.URI, details wamp.Dict) *wamp.Hello {
	if details == nil {
		details = wamp.Dict{}
	}
	if _, ok := details["roles"]; !ok {
		details["roles"] = wamp.Dict{"caller": wamp.Dict{}, "subscriber": wamp.Dict{}, "publisher": wamp.Dict{}}
	}
	return &wamp.Hello{Realm: realm, Details: details}
}

// withRoles returns HELLO details announcing exactly the given roles.
func withRoles(roles ...string) wamp.Dict {
	rd := wamp.Dict{}
	for _, r := range roles {
		rd[r] = wamp.Dict{}
	}
	return wamp.Dict{"roles": rd}
}

// join sends HELLO, expects WELCOME and records its session ID in p.sid.
func (p *fakePeer) join(realm wamp.URI, details wamp.Dict) *wamp.Welcome {
	p.t.Helper()
	p.send(helloMsg(realm, details))
	m := p.recv()
	w, ok := m.(*wamp.Welcome)
	if !ok {
		p.t.Fatalf("got %#v, want WELCOME", m)
	}
	p.sid = w.Session
	return w
}

// wantAbort expects ABORT with reason, then the connection closing.
func (p *fakePeer) wantAbort(reason wamp.URI) *wamp.Abort {
	p.t.Helper()
	m := p.recv()
	a, ok := m.(*wamp.Abort)
	if !ok || a.Reason != reason {
		p.t.Fatalf("got %#v, want ABORT %s", m, reason)
	}
	p.waitClosed()
	return a
}

// subscribe sends SUBSCRIBE and returns the answer.
func (p *fakePeer) subscribe(req wamp.ID, topic wamp.URI, opts wamp.Dict) wamp.Message {
	p.t.Helper()
	if opts == nil {
		opts = wamp.Dict{}
	}
	p.send(&wamp.Subscribe{Request: req, Options: opts, Topic: topic})
	return p.recv()
}

// call sends CALL and returns the RESULT or ERROR that answers it,
// collecting progressive RESULTs on the way.
func (p *fakePeer) call(req wamp.ID, opts wamp.Dict, proc wamp.URI, args wamp.List, kwargs wamp.Dict) (progress []*wamp.Result, final wamp.Message) {
	p.t.Helper()
	p.send(&wamp.Call{Request: req, Options: opts, Procedure: proc, Args: args, Kwargs: kwargs})
	for {
		switch m := p.recv().(type) {
		case *wamp.Result:
			if prog, _ := wamp.OptBool(m.Details, wamp.OptProgress); prog {
				progress = append(progress, m)
				continue
			}
			return progress, m
		case *wamp.Error:
			return progress, m
		default:
			p.t.Fatalf("answer to CALL %d: got %v", req, m.Type())
		}
	}
}
