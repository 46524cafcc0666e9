package client

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/switchboard-wamp/switchboard/adapters/goroutine"
	"github.com/switchboard-wamp/switchboard/core/wamp"
	"github.com/switchboard-wamp/switchboard/internal/testwait"
	"github.com/switchboard-wamp/switchboard/transport"
)

// guard bounds every wait in these tests; it only trips on a hang.
const guard = 10 * time.Second

// fakeRouter is the scripted router end of an in-memory connection: the
// test reads what the client sent with expect and answers with send.
type fakeRouter struct {
	t      *testing.T
	end    *memPeer
	in     chan wamp.Message
	closed chan error
}

func newFakeRouter(t *testing.T) *fakeRouter {
	return &fakeRouter{t: t, in: make(chan wamp.Message, 1024), closed: make(chan error, 1)}
}

func (r *fakeRouter) Message(m wamp.Message) { r.in <- m }
func (r *fakeRouter) Malformed(err error)    { r.t.Errorf("router: malformed: %v", err) }
func (r *fakeRouter) Closed(cause error)     { r.closed <- cause }

// dial is a DialFunc connecting a session to r.
func (r *fakeRouter) dial(_ context.Context, a transport.Acceptor) (transport.Peer, error) {
	cli, rt := pipe()
	r.end = rt
	rt.start(r)
	cli.start(a.Accept(cli))
	return cli, nil
}

func (r *fakeRouter) send(m wamp.Message) {
	r.t.Helper()
	if !r.end.Send(m) {
		r.t.Fatalf("router: send %s on a closed connection", m.Type())
	}
}

// next returns the next message from the client.
func (r *fakeRouter) next() wamp.Message {
	r.t.Helper()
	select {
	case m := <-r.in:
		return m
	case <-time.After(guard):
		r.t.Fatal("router: timed out waiting for a message")
		return nil
	}
}

// expect returns the next message from the client, which must be a T.
func expect[T wamp.Message](r *fakeRouter) T {
	r.t.Helper()
	m := r.next()
	v, ok := m.(T)
	if !ok {
		var zero T
		r.t.Fatalf("router: got %s %+v, want %T", m.Type(), m, zero)
	}
	return v
}

// expectClosed waits until the client closed the connection.
func (r *fakeRouter) expectClosed() error {
	r.t.Helper()
	select {
	case err := <-r.closed:
		return err
	case <-time.After(guard):
		r.t.Fatal("router: connection not closed")
		return nil
	}
}

// quiet asserts that the client sent nothing since the last expect, by
// making a round trip: a CALL to a procedure the fake router answers at
// once. It must be used only where the test knows no other message is due.
func (r *fakeRouter) quiet(s *Session) {
	r.t.Helper()
	errc := make(chan error, 1)
	go func() {
		_, err := s.Call(context.Background(), "test.ping", nil, nil, nil)
		errc <- err
	}()
	c := expect[*wamp.Call](r)
	if c.Procedure != "test.ping" {
		r.t.Fatalf("router: got CALL %s, want only the ping", c.Procedure)
	}
	r.send(&wamp.Result{Request: c.Request, Details: wamp.Dict{}})
	if err := <-errc; err != nil {
		r.t.Fatalf("ping: %v", err)
	}
}

// testConfig returns a Config on a fresh goroutine backend, closed at
// cleanup.
func testConfig(t *testing.T) Config {
	b := goroutine.New(goroutine.Config{})
	t.Cleanup(func() { _ = b.Close() })
	return Config{Realm: "realm1", Backend: b}
}

// join runs Join against a fresh fake router that welcomes the session.
func join(t *testing.T, cfg Config) (*Session, *fakeRouter) {
	t.Helper()
	r := newFakeRouter(t)
	type res struct {
		s   *Session
		err error
	}
	done := make(chan res, 1)
	go func() {
		s, err := Join(context.Background(), r.dial, cfg)
		done <- res{s, err}
	}()
	h := expect[*wamp.Hello](r)
	if h.Realm != cfg.Realm {
		t.Fatalf("HELLO realm %q, want %q", h.Realm, cfg.Realm)
	}
	r.send(&wamp.Welcome{Session: 4242, Details: wamp.Dict{"authrole": "anonymous"}})
	got := wait(t, done)
	if got.err != nil {
		t.Fatalf("join: %v", got.err)
	}
	t.Cleanup(func() {
		select {
		case <-got.s.Done():
		default:
			r.end.cut(errors.New("test cleanup"))
			wait(t, got.s.Done())
		}
	})
	return got.s, r
}

// callAsync runs s.Call on a goroutine.
func callAsync(ctx context.Context, s *Session, proc wamp.URI, opts *CallOptions) chan callResult {
	c := make(chan callResult, 1)
	go func() {
		res, err := s.Call(ctx, proc, wamp.List{1}, nil, opts)
		c <- callResult{res, err}
	}()
	return c
}

type callResult struct {
	res *Result
	err error
}

func wait[T any](t *testing.T, c <-chan T) T {
	t.Helper()
	select {
	case v := <-c:
		return v
	case <-time.After(guard):
		t.Fatal("timed out")
		var zero T
		return zero
	}
}

// eventually polls cond until it holds, or fails the test once guard has
// passed: the package's one wait-until helper.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	testwait.Until(t, what, guard, cond)
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// fmtDict prints a Dict with sorted keys.
func fmtDict(d wamp.Dict) string { return fmt.Sprint(map[string]any(d)) }
