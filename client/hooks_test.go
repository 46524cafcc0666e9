package client

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/switchboard-wamp/switchboard/core/serialize"
	"github.com/switchboard-wamp/switchboard/core/wamp"
	"github.com/switchboard-wamp/switchboard/scheduler"
	"github.com/switchboard-wamp/switchboard/transport"
)

// recorder collects lifecycle steps in the order the hooks ran.
type recorder struct{ steps chan string }

func newRecorder() *recorder { return &recorder{steps: make(chan string, 64)} }

func (r *recorder) add(format string, args ...any) { r.steps <- fmt.Sprintf(format, args...) }

// want waits for the next len(want) steps and compares them.
func (r *recorder) want(t *testing.T, want ...string) {
	t.Helper()
	for i, w := range want {
		got := wait(t, r.steps)
		if got != w {
			t.Fatalf("step %d = %q, want %q", i, got, w)
		}
	}
}

func (r *recorder) hooks() Hooks {
	return Hooks{
		OnConnect: func(s *Session, info transport.Info) { r.add("connect") },
		OnJoin: func(ctx context.Context, s *Session, d *SessionDetails) error {
			r.add("join %d %s %s %s", d.Session, d.AuthID, d.AuthRole, d.Realm)
			return nil
		},
		OnReady:          func(ctx context.Context, s *Session) { r.add("ready") },
		OnLeave:          func(s *Session, d *LeaveDetails) { r.add("leave %s %q", d.Reason, d.Message) },
		OnDisconnect:     func(s *Session, clean bool) { r.add("disconnect clean=%v", clean) },
		OnConnectFailure: func(err error) { r.add("connectfailure %v", err) },
	}
}

// joinWith joins a fake router with cfg, welcoming the session.
func joinWith(t *testing.T, cfg Config, welcome *wamp.Welcome) (*Session, *fakeRouter) {
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
	expect[*wamp.Hello](r)
	r.send(welcome)
	got := wait(t, done)
	if got.err != nil {
		t.Fatalf("join: %v", got.err)
	}
	return got.s, r
}

func TestHooksOrderRouterGoodbye(t *testing.T) {
	rec := newRecorder()
	cfg := testConfig(t)
	cfg.Hooks = rec.hooks()
	s, r := joinWith(t, cfg, &wamp.Welcome{Session: 9, Details: wamp.Dict{"authid": "alice", "authrole": "user"}})
	// Join returned: connect, join and ready have run, in order.
	rec.want(t, "connect", "join 9 alice user realm1", "ready")
	r.send(&wamp.Goodbye{Reason: wamp.CloseSystemShutdown, Details: wamp.Dict{"message": "restarting"}})
	expect[*wamp.Goodbye](r)
	rec.want(t, `leave wamp.close.system_shutdown "restarting"`, "disconnect clean=true")
	select {
	case <-s.Done():
	case <-time.After(guard):
		t.Fatal("session not done")
	}
}

func TestHooksConnectionLost(t *testing.T) {
	rec := newRecorder()
	cfg := testConfig(t)
	cfg.Hooks = rec.hooks()
	_, r := joinWith(t, cfg, &wamp.Welcome{Session: 9, Details: wamp.Dict{}})
	rec.want(t, "connect", "join 9   realm1", "ready")
	r.end.cut(errors.New("cable cut"))
	rec.want(t, `leave wamp.close.transport_lost ""`, "disconnect clean=false")
}

// A join refused with ABORT: OnLeave with the router's reason, no OnJoin.
func TestHooksAbortedJoin(t *testing.T) {
	rec := newRecorder()
	cfg := testConfig(t)
	cfg.Hooks = rec.hooks()
	r := newFakeRouter(t)
	errc := make(chan error, 1)
	go func() {
		_, err := Join(context.Background(), r.dial, cfg)
		errc <- err
	}()
	expect[*wamp.Hello](r)
	r.send(&wamp.Abort{Reason: wamp.ErrNoSuchRealm, Details: wamp.Dict{"message": "no realm1"}})
	if err := wait(t, errc); !errors.Is(err, ErrSessionClosed) {
		t.Fatalf("join: %v", err)
	}
	rec.want(t, "connect", `leave wamp.error.no_such_realm "no realm1"`, "disconnect clean=false")
}

func TestHooksConnectFailure(t *testing.T) {
	rec := newRecorder()
	cfg := testConfig(t)
	cfg.Hooks = rec.hooks()
	_, err := Join(context.Background(), func(context.Context, transport.Acceptor) (transport.Peer, error) {
		return nil, errors.New("refused")
	}, cfg)
	if err == nil || !strings.Contains(err.Error(), "refused") {
		t.Fatalf("join: %v", err)
	}
	rec.want(t, "connectfailure refused")
}

// An OnJoin error leaves the session (GOODBYE) and fails Join with it.
func TestHooksJoinError(t *testing.T) {
	cfg := testConfig(t)
	boom := errors.New("not today")
	cfg.Hooks.OnJoin = func(context.Context, *Session, *SessionDetails) error { return boom }
	readyRan := make(chan struct{}, 1)
	cfg.Hooks.OnReady = func(context.Context, *Session) { readyRan <- struct{}{} }
	r := newFakeRouter(t)
	errc := make(chan error, 1)
	go func() {
		_, err := Join(context.Background(), r.dial, cfg)
		errc <- err
	}()
	expect[*wamp.Hello](r)
	r.send(&wamp.Welcome{Session: 1, Details: wamp.Dict{}})
	g := expect[*wamp.Goodbye](r)
	if g.Reason != wamp.CloseNormal {
		t.Fatalf("GOODBYE %s", g.Reason)
	}
	r.send(&wamp.Goodbye{Reason: wamp.CloseGoodbyeAndOut, Details: wamp.Dict{}})
	if err := wait(t, errc); !errors.Is(err, boom) {
		t.Fatalf("join: %v, want the hook's error", err)
	}
	select {
	case <-readyRan:
		t.Fatal("OnReady ran after OnJoin failed")
	default:
	}
}

// What OnJoin registers is in place when Join returns: the session is
// ready to be called at once (real engine).
func TestHooksJoinRegistersBeforeReady(t *testing.T) {
	e := newEngine(t)
	cfg := e.cfg
	cfg.Hooks.OnJoin = func(ctx context.Context, s *Session, d *SessionDetails) error {
		_, err := s.Register(ctx, "com.hooked", func(context.Context, *Invocation) (*Result, error) {
			return &Result{Args: wamp.List{"hooked"}}, nil
		}, nil)
		return err
	}
	e.join(cfg)
	caller := e.join(e.cfg)
	res, err := caller.Call(context.Background(), "com.hooked", nil, nil, nil)
	must(t, err)
	if res.Args[0] != "hooked" {
		t.Fatalf("result %v", res.Args)
	}
}

// The hooks in order on every backend, against a real router that shuts
// down: its GOODBYE reaches OnLeave with the reason.
func TestHooksEveryBackend(t *testing.T) {
	forEachClientBackend(t, func(t *testing.T, as scheduler.AsyncSupport) {
		r := startLiveRouter(t)
		rec := newRecorder()
		h := rec.hooks()
		h.OnJoin = func(ctx context.Context, s *Session, d *SessionDetails) error {
			// Hooks run off the event loop: waiting calls work here.
			if _, err := s.Register(ctx, "com.hooks.ping", func(context.Context, *Invocation) (*Result, error) {
				return &Result{}, nil
			}, nil); err != nil {
				return err
			}
			rec.add("join %s %s", d.AuthRole, d.Transport.Transport)
			return nil
		}
		ctx, cancel := context.WithTimeout(context.Background(), guard)
		defer cancel()
		s, err := Dial(ctx, r.rawURL(), Config{Realm: "realm1", Backend: as, Hooks: h, Serializers: []serialize.Serializer{serialize.MsgPack}})
		must(t, err)
		rec.want(t, "connect", "join anonymous rawsocket", "ready")
		_, err = r.client(t).Call(ctx, "com.hooks.ping", nil, nil, nil)
		must(t, err)
		r.stop()
		rec.want(t, `leave wamp.close.system_shutdown ""`, "disconnect clean=true")
		select {
		case <-s.Done():
		case <-time.After(guard):
			t.Fatal("session not done")
		}
	})
}
