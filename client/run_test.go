package client

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/switchboard-wamp/switchboard/core/serialize"
	"github.com/switchboard-wamp/switchboard/core/wamp"
	"github.com/switchboard-wamp/switchboard/scheduler"
	"github.com/switchboard-wamp/switchboard/transport"
)

// Run returns when both components are done: one whose Main returns at
// once, one whose Main waits for an event published by the first.
func TestRunTwoComponents(t *testing.T) {
	forEachClientBackend(t, func(t *testing.T, as scheduler.AsyncSupport) {
		r := startLiveRouter(t)
		subscribed := make(chan struct{})
		got := make(chan any, 1)
		listener, err := NewComponent(ComponentConfig{
			Transports: []TransportConfig{{URL: r.rawURL()}}, Backend: as,
			Main: func(ctx context.Context, s *Session) error {
				_, err := s.Subscribe(ctx, "com.run.go", func(e *Event) { got <- e.Args[0] }, nil)
				close(subscribed)
				if err != nil {
					return err
				}
				select {
				case v := <-got:
					if v != "go" {
						return errors.New("wrong event")
					}
					return nil
				case <-ctx.Done():
					return ctx.Err()
				}
			},
		})
		must(t, err)
		publisher, err := NewComponent(ComponentConfig{
			Transports: []TransportConfig{{URL: r.wsURL()}}, Backend: as,
			Main: func(ctx context.Context, s *Session) error {
				select {
				case <-subscribed:
				case <-ctx.Done():
					return ctx.Err()
				}
				return s.Publish(ctx, "com.run.go", wamp.List{"go"}, nil, &PublishOptions{Acknowledge: true})
			},
		})
		must(t, err)
		ctx, cancel := context.WithTimeout(context.Background(), guard)
		defer cancel()
		if err := Run(ctx, listener, publisher); err != nil {
			t.Fatalf("Run: %v", err)
		}
	})
}

// Run reports which component failed.
func TestRunReportsFailures(t *testing.T) {
	r := startLiveRouter(t)
	be := testConfig(t).Backend
	ok, err := NewComponent(ComponentConfig{Transports: []TransportConfig{{URL: r.wsURL()}}, Backend: be,
		Main: func(context.Context, *Session) error { return nil }})
	must(t, err)
	bad, err := NewComponent(ComponentConfig{Transports: []TransportConfig{{URL: r.wsURL()}}, Backend: be,
		Main: func(context.Context, *Session) error { return errors.New("broken") }})
	must(t, err)
	err = Run(context.Background(), ok, bad)
	if err == nil || !strings.Contains(err.Error(), "component 1: broken") {
		t.Fatalf("Run: %v", err)
	}
}

// ApplicationRunner runs the factory's hooks; Stop ends Run with nil.
// Without Retry, a lost session ends Run with the reason.
func TestApplicationRunner(t *testing.T) {
	forEachClientBackend(t, func(t *testing.T, as scheduler.AsyncSupport) {
		r := startLiveRouter(t)
		ready := make(chan any, 2)
		factory := func(realm wamp.URI, extra any) Hooks {
			return Hooks{OnReady: func(_ context.Context, s *Session) { ready <- extra }}
		}
		runner := &ApplicationRunner{URL: r.wsURL(), Extra: "x", Backend: as}
		errc := goErr(func() error { return runner.Run(context.Background(), factory) })
		if got := wait(t, ready); got != "x" {
			t.Fatalf("extra %v", got)
		}
		runner.Stop()
		if err := wait(t, errc); err != nil {
			t.Fatalf("Run after Stop: %v", err)
		}

		lost := &ApplicationRunner{URL: r.rawURL(), Backend: as}
		errc = goErr(func() error { return lost.Run(context.Background(), factory) })
		wait(t, ready)
		r.stop()
		err := wait(t, errc)
		var ce *ComponentError
		if !errors.As(err, &ce) || !strings.Contains(err.Error(), "system_shutdown") {
			t.Fatalf("Run after the router stopped: %v", err)
		}
	})
}

func goErr(f func() error) chan error {
	c := make(chan error, 1)
	go func() { c <- f() }()
	return c
}

// connectProxy is an HTTP CONNECT proxy for tests; targets records each
// CONNECT's target.
type connectProxy struct {
	hs      *httptest.Server
	mu      sync.Mutex
	targets []string
	conns   []net.Conn
	wg      sync.WaitGroup
}

func startConnectProxy(t *testing.T) *connectProxy {
	p := &connectProxy{}
	p.hs = httptest.NewServer(http.HandlerFunc(p.serve))
	t.Cleanup(func() {
		p.hs.Close()
		p.mu.Lock()
		for _, c := range p.conns {
			_ = c.Close()
		}
		p.mu.Unlock()
		p.wg.Wait()
	})
	return p
}

func (p *connectProxy) serve(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodConnect || r.Header.Get("Proxy-Authorization") != "Basic dGVzdA==" {
		http.Error(w, "no", http.StatusProxyAuthRequired)
		return
	}
	up, err := net.Dial("tcp", r.Host)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadGateway)
		return
	}
	c, _, err := http.NewResponseController(w).Hijack()
	if err != nil {
		_ = up.Close()
		return
	}
	p.mu.Lock()
	p.targets = append(p.targets, r.Host)
	p.conns = append(p.conns, c, up)
	p.mu.Unlock()
	_, _ = c.Write([]byte("HTTP/1.1 200 Connection established\r\n\r\n"))
	p.wg.Add(2)
	go func() { defer p.wg.Done(); _, _ = io.Copy(up, c); _ = up.Close() }()
	go func() { defer p.wg.Done(); _, _ = io.Copy(c, up); _ = c.Close() }()
}

func (p *connectProxy) proxy(t *testing.T) *Proxy {
	host, port, err := net.SplitHostPort(strings.TrimPrefix(p.hs.URL, "http://"))
	must(t, err)
	n, _ := strconv.Atoi(port)
	return &Proxy{Host: host, Port: n, Header: http.Header{"Proxy-Authorization": {"Basic dGVzdA=="}}}
}

// A WebSocket transport through an HTTP CONNECT proxy, and one whose
// Endpoint overrides the URL's host.
func TestComponentProxyAndEndpoint(t *testing.T) {
	r := startLiveRouter(t)
	p := startConnectProxy(t)
	host, port, _ := net.SplitHostPort(r.addr)
	n, _ := strconv.Atoi(port)
	for name, tc := range map[string]TransportConfig{
		"proxy":    {URL: r.wsURL(), Proxy: p.proxy(t)},
		"endpoint": {URL: "ws://router.invalid:1/ws", Endpoint: &Endpoint{Host: host, Port: n}},
	} {
		t.Run(name, func(t *testing.T) {
			e := newEchoComponent(t, testConfig(t).Backend, []TransportConfig{tc}, nil)
			startComponent(t, e.c)
			wait(t, e.readies)
			serves(t, r.client(t), e, name)
		})
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if len(p.targets) != 1 || p.targets[0] != r.addr {
		t.Fatalf("CONNECT targets %v, want [%s]", p.targets, r.addr)
	}
}

// A proxy that refuses the CONNECT fails the attempt with its status.
func TestComponentProxyRefused(t *testing.T) {
	p := startConnectProxy(t)
	px := p.proxy(t)
	px.Header = nil
	failed := make(chan error, 1)
	retry := fastRetry()
	retry.MaxRetries = 0
	c, err := NewComponent(ComponentConfig{
		Transports: []TransportConfig{{URL: "ws://127.0.0.1:1/ws", Proxy: px, Retry: retry}},
		Backend:    testConfig(t).Backend,
		Hooks:      Hooks{OnConnectFailure: func(err error) { failed <- err }},
	})
	must(t, err)
	startComponent(t, c)
	if err := wait(t, failed); !strings.Contains(err.Error(), "407") {
		t.Fatalf("failure %v, want the proxy's 407", err)
	}
}

// A WebSocket URL whose Endpoint is a unix socket path.
func TestComponentUnixEndpoint(t *testing.T) {
	e := newEngine(t)
	ws, err := transport.NewWebSocketServer(transport.WebSocketConfig{Serializers: serialize.All()}, e.app)
	must(t, err)
	sock := filepath.Join(t.TempDir(), "ws.sock")
	ln, err := net.Listen("unix", sock)
	must(t, err)
	hs := &http.Server{Handler: ws}
	go func() { _ = hs.Serve(ln) }()
	t.Cleanup(func() { _ = hs.Close(); ws.Close() })
	c := newEchoComponent(t, testConfig(t).Backend,
		[]TransportConfig{{URL: "ws://router.invalid/ws", Endpoint: &Endpoint{Path: sock}}}, nil)
	startComponent(t, c.c)
	wait(t, c.readies)
	res, err := c.c.Call(context.Background(), "com.comp.echo", wamp.List{"unix"}, nil, nil)
	must(t, err)
	if res.Args[0] != "unix" {
		t.Fatalf("echo %v", res.Args)
	}
}
