package client

import (
	"context"
	"crypto/tls"
	"errors"
	"net"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/switchboard-wamp/switchboard/adapters/eventloop"
	"github.com/switchboard-wamp/switchboard/core"
	"github.com/switchboard-wamp/switchboard/core/wamp"
	"github.com/switchboard-wamp/switchboard/scheduler"
)

// echoComponent is a component declaring com.comp.echo and a subscription
// to com.comp.news; readies gets each ready session's ID, events each
// event's first argument.
type echoComponent struct {
	c       *Component
	readies chan wamp.ID
	events  chan any
}

func newEchoComponent(t *testing.T, as scheduler.AsyncSupport, transports []TransportConfig, mod func(*ComponentConfig)) *echoComponent {
	t.Helper()
	e := &echoComponent{readies: make(chan wamp.ID, 16), events: make(chan any, 64)}
	cfg := ComponentConfig{
		Transports: transports,
		Backend:    as,
		Hooks: Hooks{OnReady: func(_ context.Context, s *Session) {
			e.readies <- s.ID()
		}},
	}
	if mod != nil {
		mod(&cfg)
	}
	c, err := NewComponent(cfg)
	must(t, err)
	must(t, c.Register("com.comp.echo", func(_ context.Context, inv *Invocation) (*Result, error) {
		return &Result{Args: inv.Args}, nil
	}, nil))
	must(t, c.Subscribe("com.comp.news", func(ev *Event) {
		if len(ev.Args) > 0 {
			e.events <- ev.Args[0]
		}
	}, nil))
	e.c = c
	return e
}

// serves checks that the component's registration answers and its
// subscription receives, through a separate client session.
func serves(t *testing.T, caller *Session, e *echoComponent, tag string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), guard)
	defer cancel()
	res, err := caller.Call(ctx, "com.comp.echo", wamp.List{tag}, nil, nil)
	if err != nil || len(res.Args) != 1 || res.Args[0] != tag {
		t.Fatalf("call echo(%s): %v %v", tag, res, err)
	}
	must(t, caller.Publish(ctx, "com.comp.news", wamp.List{tag}, nil, &PublishOptions{Acknowledge: true}))
	if got := wait(t, e.events); got != tag {
		t.Fatalf("event %v, want %s", got, tag)
	}
}

// The router is stopped and started again on the same address: the
// component re-joins with a new session ID, and its declared registration
// and subscription work again with no user code. A call made through the
// component while the router is down waits for the next join.
func TestComponentSurvivesRouterRestart(t *testing.T) {
	for _, kind := range []TransportType{WebSocket, RawSocket} {
		t.Run(string(kind), func(t *testing.T) {
			forEachClientBackend(t, func(t *testing.T, as scheduler.AsyncSupport) {
				r := startLiveRouter(t)
				url := r.wsURL()
				if kind == RawSocket {
					url = r.rawURL()
				}
				e := newEchoComponent(t, as, []TransportConfig{{URL: url, Retry: fastRetry()}}, nil)
				errc := startComponent(t, e.c)
				first := wait(t, e.readies)
				serves(t, r.client(t), e, "before")

				r.stop()
				// The component learns of the stop on its own goroutines:
				// a call made before it did would go to the closing
				// session (which the scheduler decides), not wait.
				eventually(t, "the component to drop its stopped session", func() bool {
					e.c.mu.Lock()
					defer e.c.mu.Unlock()
					return e.c.current == nil
				})
				pending := make(chan error, 1)
				go func() {
					ctx, cancel := context.WithTimeout(context.Background(), guard)
					defer cancel()
					res, err := e.c.Call(ctx, "com.comp.echo", wamp.List{"queued"}, nil, nil)
					if err == nil && res.Args[0] != "queued" {
						err = errors.New("wrong result")
					}
					pending <- err
				}()
				r.start()
				second := wait(t, e.readies)
				if second == first {
					t.Fatalf("re-joined with the same session ID %d", first)
				}
				serves(t, r.client(t), e, "after")
				if err := wait(t, pending); err != nil {
					t.Fatalf("call made while disconnected: %v", err)
				}
				e.c.Stop()
				if err := wait(t, errc); err != nil {
					t.Fatalf("Start after Stop: %v", err)
				}
			})
		})
	}
}

// With FailWhileDisconnected, a call made while no session is joined
// fails at once with ErrNotConnected.
func TestComponentFailWhileDisconnected(t *testing.T) {
	be := testConfig(t).Backend
	c, err := NewComponent(ComponentConfig{
		Transports: []TransportConfig{{URL: "ws://" + refusedAddr(t) + "/ws",
			Retry: &RetryPolicy{MaxRetries: -1, InitialDelay: time.Hour, MaxDelay: time.Hour, Growth: 1}}},
		Backend: be, FailWhileDisconnected: true,
	})
	must(t, err)
	startComponent(t, c)
	if _, err := c.Call(context.Background(), "com.any", nil, nil, nil); !errors.Is(err, ErrNotConnected) {
		t.Fatalf("call: %v, want ErrNotConnected", err)
	}
}

// The first transport cannot connect: the second is used.
func TestComponentSecondTransport(t *testing.T) {
	forEachClientBackend(t, func(t *testing.T, as scheduler.AsyncSupport) {
		r := startLiveRouter(t)
		failures := make(chan error, 16)
		e := newEchoComponent(t, as, []TransportConfig{
			{URL: "ws://" + refusedAddr(t) + "/ws", Retry: fastRetry()},
			{URL: r.rawURL(), Retry: fastRetry()},
		}, func(cfg *ComponentConfig) {
			cfg.Hooks.OnConnectFailure = func(err error) { failures <- err }
		})
		startComponent(t, e.c)
		wait(t, e.readies)
		if err := wait(t, failures); !strings.Contains(err.Error(), "refused") {
			t.Fatalf("first transport failed with %v", err)
		}
		serves(t, r.client(t), e, "second")
	})
}

// IsFatal stops one transport (never tried again) and the next is tried;
// when none may be tried, Start says why for each.
func TestComponentIsFatal(t *testing.T) {
	be := testConfig(t).Backend
	fatalAddr, otherAddr := refusedAddr(t), refusedAddr(t)
	var fatalCalls atomic.Int32
	retry := fastRetry()
	retry.MaxRetries = 2
	c, err := NewComponent(ComponentConfig{
		Transports: []TransportConfig{
			{URL: "ws://" + fatalAddr + "/ws", Retry: fastRetry()}, // unlimited, but fatal
			{URL: "rs://" + otherAddr, Retry: retry},
		},
		Backend: be,
		IsFatal: func(err error) bool {
			fatalCalls.Add(1)
			return strings.Contains(err.Error(), fatalAddr)
		},
	})
	must(t, err)
	err = wait(t, startComponent(t, c))
	var ce *ComponentError
	if !errors.As(err, &ce) || !errors.Is(err, ErrTransportsExhausted) {
		t.Fatalf("Start: %v, want a *ComponentError", err)
	}
	f0, f1 := ce.Transports[0], ce.Transports[1]
	if !f0.Fatal || f0.Attempts != 1 || !strings.Contains(f0.URL, fatalAddr) {
		t.Fatalf("fatal transport: %+v", f0)
	}
	if f1.Fatal || f1.Attempts != 3 || f1.Err == nil {
		t.Fatalf("second transport: %+v, want 3 attempts (MaxRetries 2)", f1)
	}
	if n := fatalCalls.Load(); n != 4 {
		t.Fatalf("IsFatal called %d times, want 4 (once per failed attempt)", n)
	}
	for _, want := range []string{fatalAddr, otherAddr, "fatal", "3 attempts"} {
		if !strings.Contains(err.Error(), want) {
			t.Fatalf("error %q does not say %q", err, want)
		}
	}
}

// Stop during a backoff wait (here an hour long) returns promptly.
func TestComponentStopDuringBackoff(t *testing.T) {
	be := testConfig(t).Backend
	failed := make(chan error, 4)
	c, err := NewComponent(ComponentConfig{
		Transports: []TransportConfig{{URL: "ws://" + refusedAddr(t) + "/ws",
			Retry: &RetryPolicy{MaxRetries: -1, InitialDelay: time.Hour, MaxDelay: 2 * time.Hour, Growth: 1.5}}},
		Backend: be,
		Hooks:   Hooks{OnConnectFailure: func(err error) { failed <- err }},
	})
	must(t, err)
	errc := startComponent(t, c)
	wait(t, failed) // the immediate first attempt failed: now waiting ~1.5h
	c.Stop()
	if err := wait(t, errc); err != nil {
		t.Fatalf("Start after Stop: %v", err)
	}
	if _, err := c.Session(context.Background()); !errors.Is(err, ErrComponentDone) {
		t.Fatalf("Session after done: %v", err)
	}
}

// A peer that stops answering (a frozen path: nothing passes, nothing is
// closed) is detected by the client's keep-alive and replaced.
func TestComponentHalfOpen(t *testing.T) {
	forEachClientBackend(t, func(t *testing.T, as scheduler.AsyncSupport) {
		r := startLiveRouter(t)
		p := startProxy(t, r.addr, 0)
		opts := TransportOptions{PingInterval: 100 * time.Millisecond, PongTimeout: 100 * time.Millisecond}
		e := newEchoComponent(t, as, []TransportConfig{{URL: "ws://" + p.addr() + "/ws", Options: opts, Retry: fastRetry()}}, nil)
		startComponent(t, e.c)
		first := wait(t, e.readies)
		p.freeze()
		second := wait(t, e.readies)
		if second == first {
			t.Fatal("same session after a half-open connection")
		}
		serves(t, r.client(t), e, "replaced")
	})
}

// A handshake timeout is a failed attempt like any other: the loop goes
// on (autobahn-python stopped retrying there, PR #1034/#1040).
func TestComponentHandshakeTimeoutRetried(t *testing.T) {
	for _, kind := range []TransportType{WebSocket, RawSocket} {
		t.Run(string(kind), func(t *testing.T) {
			r := startLiveRouter(t)
			p := startProxy(t, r.addr, 2) // the first two connections get no answer
			url := "ws://" + p.addr() + "/ws"
			if kind == RawSocket {
				url = "rs://" + p.addr()
			}
			failures := make(chan error, 8)
			e := newEchoComponent(t, testConfig(t).Backend, []TransportConfig{{URL: url, Retry: fastRetry(),
				Options: TransportOptions{HandshakeTimeout: 150 * time.Millisecond}}}, func(cfg *ComponentConfig) {
				cfg.Hooks.OnConnectFailure = func(err error) { failures <- err }
			})
			startComponent(t, e.c)
			wait(t, e.readies)
			for range 2 {
				var ne net.Error
				if err := wait(t, failures); !errors.Is(err, context.DeadlineExceeded) && !(errors.As(err, &ne) && ne.Timeout()) {
					t.Fatalf("failure %v, want a handshake timeout", err)
				}
			}
			if n := p.acceptedCount(); n != 3 {
				t.Fatalf("%d connections, want 3", n)
			}
		})
	}
}

// Main runs once the session is ready; the component is done when it
// returns, with its error, and the session leaves.
func TestComponentMain(t *testing.T) {
	forEachClientBackend(t, func(t *testing.T, as scheduler.AsyncSupport) {
		r := startLiveRouter(t)
		left := make(chan *LeaveDetails, 1)
		e := newEchoComponent(t, as, []TransportConfig{{URL: r.wsURL()}}, func(cfg *ComponentConfig) {
			cfg.Main = func(ctx context.Context, s *Session) error {
				res, err := s.Call(ctx, "com.comp.echo", wamp.List{"self"}, nil, nil)
				if err != nil {
					return err
				}
				return errors.New("main says " + res.Args[0].(string))
			}
			cfg.Hooks.OnLeave = func(_ *Session, d *LeaveDetails) { left <- d }
		})
		err := wait(t, startComponent(t, e.c))
		if err == nil || err.Error() != "main says self" {
			t.Fatalf("Start: %v, want Main's error", err)
		}
		if d := wait(t, left); !d.Err.Goodbye || d.Err.Remote {
			t.Fatalf("left with %+v, want our GOODBYE", d)
		}
	})
}

// The session leaving on purpose ends the component with nil; the
// factory's hooks run for every session, before the component's.
func TestComponentLeaveAndFactory(t *testing.T) {
	r := startLiveRouter(t)
	rec := newRecorder()
	c, err := NewComponent(ComponentConfig{
		Transports: []TransportConfig{{URL: r.wsURL()}},
		Backend:    testConfig(t).Backend,
		Extra:      "xtra",
		SessionFactory: func(realm wamp.URI, extra any) Hooks {
			return Hooks{OnJoin: func(context.Context, *Session, *SessionDetails) error {
				rec.add("factory join %s %v", realm, extra)
				return nil
			}}
		},
		Hooks: Hooks{
			OnJoin: func(context.Context, *Session, *SessionDetails) error { rec.add("component join"); return nil },
			OnReady: func(_ context.Context, s *Session) {
				rec.add("ready extra=%v", s.Extra())
				go func() { _ = s.Leave(context.Background(), "") }()
			},
		},
	})
	must(t, err)
	if err := wait(t, startComponent(t, c)); err != nil {
		t.Fatalf("Start: %v", err)
	}
	rec.want(t, "factory join realm1 xtra", "component join", "ready extra=xtra")
}

func TestComponentConfigErrors(t *testing.T) {
	be := testConfig(t).Backend
	tests := []struct {
		name string
		cfg  ComponentConfig
		want string
	}{
		{"no transports", ComponentConfig{Backend: be}, "no Transports"},
		{"no backend", ComponentConfig{Transports: []TransportConfig{{URL: "ws://h/ws"}}}, "Backend is required"},
		{"bad scheme", ComponentConfig{Backend: be, Transports: []TransportConfig{{URL: "http://h/"}}}, "unsupported"},
		{"type mismatch", ComponentConfig{Backend: be, Transports: []TransportConfig{{Type: RawSocket, URL: "ws://h/ws"}}}, "Type"},
		{"serializers on rawsocket", ComponentConfig{Backend: be, Transports: []TransportConfig{{URL: "rs://h:1", Serializers: nil, Serializer: nil, Proxy: &Proxy{Host: "p", Port: 1}}}}, "Proxy is for WebSocket"},
		{"rawsocket without port", ComponentConfig{Backend: be, Transports: []TransportConfig{{URL: "rs://h"}}}, "host:port"},
		{"bad retry", ComponentConfig{Backend: be, Transports: []TransportConfig{{URL: "ws://h/ws", Retry: &RetryPolicy{MaxRetries: -5, Growth: 1}}}}, "MaxRetries"},
		{"tls on ws", ComponentConfig{Backend: be, Transports: []TransportConfig{{URL: "ws://h/ws", Endpoint: &Endpoint{TLS: &tls.Config{}}}}}, "Endpoint.TLS"},
		{"bad endpoint", ComponentConfig{Backend: be, Transports: []TransportConfig{{URL: "ws://h/ws", Endpoint: &Endpoint{Type: "tcp", Host: "h"}}}}, "Endpoint"},
		{"unix endpoint with proxy", ComponentConfig{Backend: be, Transports: []TransportConfig{{URL: "ws://h/ws", Endpoint: &Endpoint{Path: "/x.sock"}, Proxy: &Proxy{Host: "p", Port: 1}}}}, "unix"},
		{"bad proxy", ComponentConfig{Backend: be, Transports: []TransportConfig{{URL: "ws://h/ws", Proxy: &Proxy{Host: "p"}}}}, "Proxy needs"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := NewComponent(tc.cfg)
			if !errors.Is(err, ErrConfig) || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want ErrConfig containing %q", err, tc.want)
			}
		})
	}
}

// On an event loop's goroutine, Start (which blocks) fails at once.
func TestComponentStartOnLoop(t *testing.T) {
	loop := eventloop.New(eventloop.Config{})
	t.Cleanup(func() { _ = loop.Close() })
	c, err := NewComponent(ComponentConfig{Transports: []TransportConfig{{URL: "ws://" + refusedAddr(t) + "/ws"}}, Backend: loop})
	must(t, err)
	errc := make(chan error, 1)
	loop.NewExecutor("test").Post(func() { errc <- c.Start(context.Background()) })
	if err := wait(t, errc); !errors.Is(err, scheduler.ErrWouldBlock) {
		t.Fatalf("Start on the loop: %v, want ErrWouldBlock", err)
	}
}

// Auth is sent in HELLO and OnChallenge answers CHALLENGE; a denied
// ticket made fatal by IsFatal ends the component with the router's
// reason.
func TestComponentAuth(t *testing.T) {
	r := startLiveRouter(t)
	r.app.SetAuthenticator(func(ctx context.Context, req *core.AuthRequest) (*core.Identity, error) {
		a, err := req.Challenge(ctx, "ticket", nil)
		if err != nil {
			return nil, err
		}
		if req.AuthID != "alice" || a.Signature != "secret" {
			return nil, &core.AbortError{URI: wamp.ErrAuthenticationDenied, Message: "wrong ticket"}
		}
		return &core.Identity{AuthID: "alice", AuthRole: "user", AuthExtra: wamp.Dict{"hi": "alice"}}, nil
	})
	newComp := func(ticket string, joined chan *SessionDetails) *Component {
		c, err := NewComponent(ComponentConfig{
			Transports: []TransportConfig{{URL: r.wsURL(), Retry: fastRetry()}},
			Backend:    testConfig(t).Backend,
			Auth: Auth{AuthID: "alice", AuthMethods: []string{"ticket"},
				OnChallenge: func(_ context.Context, c *wamp.Challenge) (string, wamp.Dict, error) {
					if c.AuthMethod != "ticket" {
						return "", nil, errors.New("unexpected method " + c.AuthMethod)
					}
					return ticket, nil, nil
				}},
			IsFatal: func(err error) bool { return errors.Is(err, ErrSessionClosed) },
			Hooks: Hooks{OnJoin: func(_ context.Context, _ *Session, d *SessionDetails) error {
				joined <- d
				return nil
			}},
		})
		must(t, err)
		return c
	}
	joined := make(chan *SessionDetails, 1)
	startComponent(t, newComp("secret", joined))
	d := wait(t, joined)
	if d.AuthID != "alice" || d.AuthRole != "user" || d.AuthMethod != "ticket" || d.AuthExtra["hi"] != "alice" {
		t.Fatalf("joined as %+v", d)
	}

	err := wait(t, startComponent(t, newComp("wrong", make(chan *SessionDetails, 1))))
	if !errors.Is(err, ErrTransportsExhausted) || !strings.Contains(err.Error(), "authentication_denied") {
		t.Fatalf("Start with a wrong ticket: %v", err)
	}
}
