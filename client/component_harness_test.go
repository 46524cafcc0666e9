package client

import (
	"context"
	"errors"
	"io"
	"net"
	"sync"
	"testing"
	"time"

	"github.com/switchboard-wamp/switchboard/adapters/goroutine"
	"github.com/switchboard-wamp/switchboard/core"
	"github.com/switchboard-wamp/switchboard/core/serialize"
	"github.com/switchboard-wamp/switchboard/scheduler"
	"github.com/switchboard-wamp/switchboard/tests/testrouter"
	"github.com/switchboard-wamp/switchboard/transport"
)

// forEachClientBackend runs f once per backend of the test matrix, with a
// fresh client backend closed at cleanup.
func forEachClientBackend(t *testing.T, f func(t *testing.T, as scheduler.AsyncSupport)) {
	for _, b := range testrouter.Backends() {
		t.Run(b.Name, func(t *testing.T) {
			as := b.New()
			t.Cleanup(func() { _ = as.Close() })
			f(t, as)
		})
	}
}

// liveRouter is a real router (WebSocket and RawSocket on one TCP port)
// that a test can stop and start again on the same address: each start
// is a new Application, so sessions get new IDs and hold no old state.
type liveRouter struct {
	t    *testing.T
	addr string

	mu      sync.Mutex
	running bool
	app     *core.Application
	be      scheduler.AsyncSupport
	ws      *transport.WebSocketServer
	rs      *transport.RawSocketServer
	mux     *transport.Mux
	served  chan error
}

// Router keep-alive in these tests: a connection the client gave up on
// (half-open) is dropped by the router within a second.
const routerPing = 300 * time.Millisecond

func startLiveRouter(t *testing.T) *liveRouter {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	must(t, err)
	r := &liveRouter{t: t, addr: ln.Addr().String()}
	r.serve(ln)
	t.Cleanup(r.stop)
	return r
}

func (r *liveRouter) wsURL() string  { return "ws://" + r.addr + "/ws" }
func (r *liveRouter) rawURL() string { return "rs://" + r.addr }

func (r *liveRouter) serve(ln net.Listener) {
	r.t.Helper()
	be := goroutine.New(goroutine.Config{})
	app, err := core.New(core.Config{Backend: be, Realms: []core.RealmConfig{{URI: "realm1"}}})
	must(r.t, err)
	sers := []serialize.Serializer{serialize.JSON, serialize.MsgPack, serialize.CBOR}
	ws, err := transport.NewWebSocketServer(transport.WebSocketConfig{Serializers: sers,
		PingInterval: routerPing, PongTimeout: routerPing}, app)
	must(r.t, err)
	rs, err := transport.NewRawSocketServer(transport.RawSocketConfig{Serializers: sers,
		PingInterval: routerPing, PongTimeout: routerPing}, app)
	must(r.t, err)
	mux := transport.NewMux(ws, rs, transport.MuxConfig{})
	served := make(chan error, 1)
	go func() { served <- mux.Serve(ln) }()
	r.mu.Lock()
	r.running, r.app, r.be, r.ws, r.rs, r.mux, r.served = true, app, be, ws, rs, mux, served
	r.mu.Unlock()
}

// start listens again on the same address.
func (r *liveRouter) start() {
	r.t.Helper()
	ln, err := net.Listen("tcp", r.addr)
	must(r.t, err)
	r.serve(ln)
}

// stop shuts the router down: GOODBYE wamp.close.system_shutdown to every
// session, then every connection and the listener closed.
func (r *liveRouter) stop() {
	r.mu.Lock()
	defer r.mu.Unlock()
	if !r.running {
		return
	}
	r.running = false
	ctx, cancel := context.WithTimeout(context.Background(), guard)
	defer cancel()
	if err := r.app.Close(ctx); err != nil {
		r.t.Errorf("router close: %v", err)
	}
	r.mux.Close()
	r.ws.Close()
	r.rs.Close()
	select {
	case <-r.served:
	case <-time.After(guard):
		r.t.Error("router: Serve did not return")
	}
	_ = r.be.Close()
}

// client joins the router with a session of its own (a caller and
// publisher for the tests), left at cleanup.
func (r *liveRouter) client(t *testing.T) *Session {
	t.Helper()
	be := goroutine.New(goroutine.Config{})
	t.Cleanup(func() { _ = be.Close() })
	ctx, cancel := context.WithTimeout(context.Background(), guard)
	defer cancel()
	s, err := Dial(ctx, r.wsURL(), Config{Realm: "realm1", Backend: be})
	must(t, err)
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), guard)
		defer cancel()
		_ = s.Leave(ctx, "")
	})
	return s
}

// tcpProxy forwards connections to a target address. It can black-hole
// the first connections (accept, never answer) and freeze the live ones
// (stop forwarding both ways, sockets kept open: a half-open path).
type tcpProxy struct {
	ln     net.Listener
	target string

	mu        sync.Mutex
	blackhole int // connections still to black-hole
	links     []*proxyLink
	accepted  int
	wg        sync.WaitGroup
}

type proxyLink struct {
	client, server net.Conn
	frozen         chan struct{}
	once           sync.Once
}

func startProxy(t *testing.T, target string, blackhole int) *tcpProxy {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	must(t, err)
	p := &tcpProxy{ln: ln, target: target, blackhole: blackhole}
	p.wg.Add(1)
	go p.accept()
	t.Cleanup(p.close)
	return p
}

func (p *tcpProxy) addr() string { return p.ln.Addr().String() }

func (p *tcpProxy) accept() {
	defer p.wg.Done()
	for {
		c, err := p.ln.Accept()
		if err != nil {
			return
		}
		p.mu.Lock()
		p.accepted++
		l := &proxyLink{client: c, frozen: make(chan struct{})}
		p.links = append(p.links, l)
		hole := p.blackhole > 0
		if hole {
			p.blackhole--
		}
		p.mu.Unlock()
		if hole {
			continue // held open, never answered, closed with the proxy
		}
		s, err := net.Dial("tcp", p.target)
		if err != nil {
			_ = c.Close()
			continue
		}
		p.mu.Lock()
		l.server = s
		p.mu.Unlock()
		p.wg.Add(2)
		go p.pump(l, s, c)
		go p.pump(l, c, s)
	}
}

// pump copies src to dst until either closes; once frozen, it discards.
func (p *tcpProxy) pump(l *proxyLink, dst, src net.Conn) {
	defer p.wg.Done()
	buf := make([]byte, 32<<10)
	for {
		n, err := src.Read(buf)
		select {
		case <-l.frozen:
			if err != nil {
				return
			}
			continue // half-open: nothing gets through, nothing is closed
		default:
		}
		if n > 0 {
			if _, werr := dst.Write(buf[:n]); werr != nil {
				return
			}
		}
		if err != nil {
			if !errors.Is(err, io.EOF) {
				_ = dst.Close()
			} else if tc, ok := dst.(*net.TCPConn); ok {
				_ = tc.CloseWrite()
			}
			return
		}
	}
}

// freeze stops forwarding on every live link.
func (p *tcpProxy) freeze() {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, l := range p.links {
		l.once.Do(func() { close(l.frozen) })
	}
}

func (p *tcpProxy) acceptedCount() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.accepted
}

func (p *tcpProxy) close() {
	_ = p.ln.Close()
	p.mu.Lock()
	for _, l := range p.links {
		_ = l.client.Close()
		if l.server != nil {
			_ = l.server.Close()
		}
	}
	p.mu.Unlock()
	p.wg.Wait()
}

// refusedAddr returns a loopback address nobody listens on.
func refusedAddr(t *testing.T) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	must(t, err)
	addr := ln.Addr().String()
	must(t, ln.Close())
	return addr
}

// fastRetry is a retry policy for tests: immediate first attempt, then a
// few milliseconds, unlimited.
func fastRetry() *RetryPolicy {
	return &RetryPolicy{MaxRetries: -1, InitialDelay: 10 * time.Millisecond, MaxDelay: 100 * time.Millisecond, Growth: 1.5, Jitter: 0.1}
}

// startComponent runs c.Start on a goroutine; the returned channel gets
// its result. The component is stopped at cleanup.
func startComponent(t *testing.T, c *Component) chan error {
	errc := make(chan error, 1)
	go func() { errc <- c.Start(context.Background()) }()
	t.Cleanup(func() {
		c.Stop()
		select {
		case <-c.Done():
		case <-time.After(guard):
			t.Error("component did not stop")
		}
	})
	return errc
}
