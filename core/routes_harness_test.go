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

// Helpers of the procedure tests (routes, typed, progress, call handler,
// Realm.Call): an Application per backend of the test matrix, and a
// minimal in-memory remote peer.

// forBackends runs f as a subtest on every backend of the matrix with a
// fresh Application serving realm1.
func forBackends(t *testing.T, f func(t *testing.T, app *core.Application, realm *core.Realm)) {
	for _, b := range testrouter.Backends() {
		t.Run(b.Name, func(t *testing.T) {
			as := b.New()
			app, err := core.New(core.Config{Backend: as, Realms: []core.RealmConfig{{URI: "realm1", GoodbyeTimeout: 100 * time.Millisecond}}})
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
			realm, _ := app.Realm("realm1")
			f(t, app, realm)
		})
	}
}

func testCtx(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// wantWAMPError fails unless err is a *core.Error with uri; it returns the
// error's first argument (the message), if any.
func wantWAMPError(t *testing.T, err error, uri wamp.URI) string {
	t.Helper()
	var we *core.Error
	if !errors.As(err, &we) || we.URI != uri {
		t.Fatalf("err = %v, want WAMP error %s", err, uri)
	}
	if len(we.Args) > 0 {
		s, _ := we.Args[0].(string)
		return s
	}
	return ""
}

// memPeer is an in-memory remote session: what the router sends lands in a
// channel; the test sends through the Handler the Application returned.
type memPeer struct {
	t      *testing.T
	out    chan wamp.Message
	mu     sync.Mutex
	h      transport.Handler
	closed bool
	sid    wamp.ID
}

// joinPeer connects a memPeer to realm1 with the given HELLO roles dict.
func joinPeer(t *testing.T, app *core.Application, roles wamp.Dict) *memPeer {
	t.Helper()
	p := &memPeer{t: t, out: make(chan wamp.Message, 256)}
	p.mu.Lock()
	p.h = app.Accept(p)
	p.mu.Unlock()
	p.h.Message(&wamp.Hello{Realm: "realm1", Details: wamp.Dict{"roles": roles}})
	w, ok := p.recv().(*wamp.Welcome)
	if !ok {
		t.Fatal("want WELCOME")
	}
	p.sid = w.Session
	t.Cleanup(p.Close)
	return p
}

func (p *memPeer) Send(m wamp.Message) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		return false
	}
	select {
	case p.out <- m:
		return true
	default:
		// Overflow: refused, as a transport would (it then closes the peer).
		p.t.Errorf("memPeer outbound queue full; %v refused", m.Type())
		return false
	}
}

func (p *memPeer) Close() {
	p.mu.Lock()
	if p.closed {
		p.mu.Unlock()
		return
	}
	p.closed = true
	h := p.h
	p.mu.Unlock()
	h.Closed(nil)
}

func (p *memPeer) Info() transport.Info {
	return transport.Info{Transport: "memory", Serializer: "none"}
}

func (p *memPeer) send(m wamp.Message) { p.h.Message(m) }

func (p *memPeer) recv() wamp.Message {
	p.t.Helper()
	select {
	case m := <-p.out:
		return m
	case <-time.After(10 * time.Second):
		p.t.Fatal("no message within 10s")
		return nil
	}
}

// call sends CALL and returns the RESULT or ERROR that answers it,
// collecting progressive RESULTs on the way.
func (p *memPeer) call(req wamp.ID, opts wamp.Dict, proc wamp.URI, args wamp.List, kwargs wamp.Dict) (progress []*wamp.Result, final wamp.Message) {
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

var callerRoles = wamp.Dict{"caller": wamp.Dict{"features": wamp.Dict{"progressive_call_results": true, "call_canceling": true}}}
