package client

import (
	"context"
	"errors"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/switchboard-wamp/switchboard/adapters/goroutine"
	"github.com/switchboard-wamp/switchboard/core/wamp"
	"github.com/switchboard-wamp/switchboard/transport"
)

func TestConfigValidate(t *testing.T) {
	b := goroutine.New(goroutine.Config{})
	defer b.Close()
	tests := []struct {
		name string
		cfg  Config
		want string
	}{
		{"no realm", Config{Backend: b}, "Realm is required"},
		{"no backend", Config{Realm: "r"}, "Backend is required"},
		{"negative timeout", Config{Realm: "r", Backend: b, JoinTimeout: -1}, "negative JoinTimeout"},
		{"negative queue", Config{Realm: "r", Backend: b, EventQueueMax: -1}, "negative EventQueueMax"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dialed := false
			_, err := Join(context.Background(), func(context.Context, transport.Acceptor) (transport.Peer, error) {
				dialed = true
				return nil, errors.New("unreachable")
			}, tc.cfg)
			if !errors.Is(err, ErrConfig) || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want ErrConfig containing %q", err, tc.want)
			}
			if dialed {
				t.Fatal("dialed with an invalid config")
			}
		})
	}
	if err := (Config{Realm: "r", Backend: b}).Validate(); err != nil {
		t.Fatalf("valid config: %v", err)
	}
}

func TestJoin(t *testing.T) {
	cfg := testConfig(t)
	cfg.AuthID = "alice"
	cfg.AuthMethods = []string{"anonymous"}
	r := newFakeRouter(t)
	done := make(chan *Session, 1)
	go func() {
		s, err := Join(context.Background(), r.dial, cfg)
		if err != nil {
			t.Errorf("join: %v", err)
		}
		done <- s
	}()
	h := expect[*wamp.Hello](r)
	if h.Realm != "realm1" || h.Details["authid"] != "alice" {
		t.Fatalf("HELLO = %+v", h)
	}
	roles, _ := h.Details["roles"].(wamp.Dict)
	for _, role := range []string{"caller", "callee", "publisher", "subscriber"} {
		if roles[role] == nil {
			t.Errorf("HELLO does not announce %s", role)
		}
	}
	r.send(&wamp.Welcome{Session: 77, Details: wamp.Dict{"authrole": "user"}})
	s := wait(t, done)
	if s == nil {
		t.FailNow()
	}
	if s.ID() != 77 || s.Details()["authrole"] != "user" {
		t.Fatalf("ID %d details %v", s.ID(), s.Details())
	}
	if s.Err() != nil {
		t.Fatalf("Err on an open session: %v", s.Err())
	}
	r.end.cut(io.EOF)
	wait(t, s.Done())
}

func TestJoinAbort(t *testing.T) {
	r := newFakeRouter(t)
	errc := make(chan error, 1)
	go func() {
		_, err := Join(context.Background(), r.dial, testConfig(t))
		errc <- err
	}()
	expect[*wamp.Hello](r)
	r.send(&wamp.Abort{Details: wamp.Dict{"message": "no realm1 here"}, Reason: wamp.ErrNoSuchRealm})
	err := wait(t, errc)
	var ce *CloseError
	if !errors.As(err, &ce) || ce.Reason != wamp.ErrNoSuchRealm || !ce.Remote || ce.Message != "no realm1 here" {
		t.Fatalf("err = %v (%#v), want CloseError no_such_realm", err, ce)
	}
	if !errors.Is(err, ErrSessionClosed) {
		t.Fatalf("err %v does not match ErrSessionClosed", err)
	}
	if !strings.Contains(err.Error(), "wamp.error.no_such_realm") {
		t.Fatalf("message %q lacks the reason", err.Error())
	}
	r.expectClosed()
}

func TestJoinTimeout(t *testing.T) {
	cfg := testConfig(t)
	cfg.JoinTimeout = 20 * time.Millisecond
	r := newFakeRouter(t)
	errc := make(chan error, 1)
	go func() {
		_, err := Join(context.Background(), r.dial, cfg)
		errc <- err
	}()
	expect[*wamp.Hello](r)
	err := wait(t, errc)
	if !errors.Is(err, ErrJoinTimeout) {
		t.Fatalf("err = %v, want ErrJoinTimeout", err)
	}
	a := expect[*wamp.Abort](r)
	if a.Reason != wamp.ErrTimeout {
		t.Fatalf("ABORT reason %s", a.Reason)
	}
	r.expectClosed()
}

func TestJoinContextCanceled(t *testing.T) {
	r := newFakeRouter(t)
	ctx, cancel := context.WithCancel(context.Background())
	errc := make(chan error, 1)
	go func() {
		_, err := Join(ctx, r.dial, testConfig(t))
		errc <- err
	}()
	expect[*wamp.Hello](r)
	cancel()
	if err := wait(t, errc); !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want context.Canceled", err)
	}
	expect[*wamp.Abort](r)
}

func TestJoinDialError(t *testing.T) {
	dialErr := errors.New("connection refused")
	_, err := Join(context.Background(), func(context.Context, transport.Acceptor) (transport.Peer, error) {
		return nil, dialErr
	}, testConfig(t))
	if !errors.Is(err, dialErr) {
		t.Fatalf("err = %v", err)
	}
}

func TestJoinChallenge(t *testing.T) {
	tests := []struct {
		name      string
		handler   ChallengeHandler
		wantAbort string
	}{
		{"answered", func(_ context.Context, c *wamp.Challenge) (string, wamp.Dict, error) {
			if c.AuthMethod != "ticket" {
				return "", nil, errors.New("unexpected method")
			}
			return "s3cret", nil, nil
		}, ""},
		{"handler error", func(context.Context, *wamp.Challenge) (string, wamp.Dict, error) {
			return "", nil, errors.New("no ticket")
		}, "no ticket"},
		{"no handler", nil, "OnChallenge is nil"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			cfg := testConfig(t)
			cfg.AuthMethods = []string{"ticket"}
			cfg.OnChallenge = tc.handler
			r := newFakeRouter(t)
			errc := make(chan error, 1)
			go func() {
				s, err := Join(context.Background(), r.dial, cfg)
				if err == nil {
					r.end.cut(io.EOF)
					<-s.Done()
				}
				errc <- err
			}()
			expect[*wamp.Hello](r)
			r.send(&wamp.Challenge{AuthMethod: "ticket", Extra: wamp.Dict{}})
			if tc.wantAbort == "" {
				a := expect[*wamp.Authenticate](r)
				if a.Signature != "s3cret" {
					t.Fatalf("signature %q", a.Signature)
				}
				r.send(&wamp.Welcome{Session: 1, Details: wamp.Dict{}})
				must(t, wait(t, errc))
				return
			}
			a := expect[*wamp.Abort](r)
			if a.Reason != wamp.ErrAuthenticationFailed || !strings.Contains(a.Details["message"].(string), tc.wantAbort) {
				t.Fatalf("ABORT %+v", a)
			}
			if err := wait(t, errc); err == nil || !strings.Contains(err.Error(), tc.wantAbort) {
				t.Fatalf("join err = %v", err)
			}
		})
	}
}

func TestLeave(t *testing.T) {
	s, r := join(t, testConfig(t))
	errc := make(chan error, 1)
	go func() { errc <- s.Leave(context.Background(), "") }()
	g := expect[*wamp.Goodbye](r)
	if g.Reason != wamp.CloseNormal {
		t.Fatalf("GOODBYE reason %s", g.Reason)
	}
	r.send(&wamp.Goodbye{Details: wamp.Dict{}, Reason: wamp.CloseGoodbyeAndOut})
	must(t, wait(t, errc))
	r.expectClosed()
	wait(t, s.Done())
	if err := s.Err(); !errors.Is(err, ErrSessionClosed) {
		t.Fatalf("Err after leave = %v", err)
	}
	if _, err := s.Call(context.Background(), "p", nil, nil, nil); !errors.Is(err, ErrSessionClosed) {
		t.Fatalf("call after leave: %v", err)
	}
	if err := s.Publish(context.Background(), "t", nil, nil, nil); !errors.Is(err, ErrSessionClosed) {
		t.Fatalf("publish after leave: %v", err)
	}
}

func TestLeaveContextEnds(t *testing.T) {
	s, r := join(t, testConfig(t))
	ctx, cancel := context.WithCancel(context.Background())
	errc := make(chan error, 1)
	go func() { errc <- s.Leave(ctx, "") }()
	expect[*wamp.Goodbye](r)
	cancel() // the router never answers
	if err := wait(t, errc); !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v", err)
	}
	r.expectClosed()
	if !errors.Is(s.Err(), context.Canceled) {
		t.Fatalf("Err = %v", s.Err())
	}
}

func TestRouterGoodbye(t *testing.T) {
	s, r := join(t, testConfig(t))
	calls := callAsync(context.Background(), s, "p", nil)
	expect[*wamp.Call](r)
	r.send(&wamp.Goodbye{Details: wamp.Dict{"message": "maintenance"}, Reason: wamp.CloseSystemShutdown})
	g := expect[*wamp.Goodbye](r)
	if g.Reason != wamp.CloseGoodbyeAndOut {
		t.Fatalf("reply reason %s", g.Reason)
	}
	res := wait(t, calls)
	var ce *CloseError
	if !errors.As(res.err, &ce) || ce.Reason != wamp.CloseSystemShutdown || !ce.Remote || ce.Message != "maintenance" {
		t.Fatalf("pending call err = %v", res.err)
	}
	wait(t, s.Done())
	r.expectClosed()
	if err := s.Leave(context.Background(), ""); !errors.Is(err, ErrSessionClosed) {
		t.Fatalf("Leave after close = %v", err)
	}
}

func TestConnectionDropFailsPending(t *testing.T) {
	s, r := join(t, testConfig(t))
	calls := []chan callResult{
		callAsync(context.Background(), s, "a", nil),
		callAsync(context.Background(), s, "b", nil),
	}
	expect[*wamp.Call](r)
	expect[*wamp.Call](r)
	r.end.cut(io.ErrUnexpectedEOF)
	for _, c := range calls {
		res := wait(t, c)
		if !errors.Is(res.err, ErrSessionClosed) || !errors.Is(res.err, io.ErrUnexpectedEOF) {
			t.Fatalf("call err = %v, want ErrSessionClosed wrapping the cause", res.err)
		}
	}
	wait(t, s.Done())
	if !errors.Is(s.Err(), io.ErrUnexpectedEOF) {
		t.Fatalf("Err = %v", s.Err())
	}
}

func TestProtocolViolationByRouter(t *testing.T) {
	s, r := join(t, testConfig(t))
	r.send(&wamp.Result{Request: 99, Details: wamp.Dict{}})
	a := expect[*wamp.Abort](r)
	if a.Reason != wamp.ErrProtocolViolationURI {
		t.Fatalf("ABORT %+v", a)
	}
	wait(t, s.Done())
	r.expectClosed()
}

func TestMalformedFromRouter(t *testing.T) {
	s, r := join(t, testConfig(t))
	conn{s}.Malformed(errors.New("bad frame"))
	a := expect[*wamp.Abort](r)
	if a.Reason != wamp.ErrProtocolViolationURI || a.Details["message"] != "bad frame" {
		t.Fatalf("ABORT %+v", a)
	}
	wait(t, s.Done())
}
