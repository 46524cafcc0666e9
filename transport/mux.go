package transport

import (
	"context"
	"crypto/tls"
	"io"
	"log/slog"
	"net"
	"net/http"
	"sync"
	"time"
)

// DefaultSniffTimeout is MuxConfig.SniffTimeout's default.
const DefaultSniffTimeout = 10 * time.Second

// MuxConfig configures a Mux. The zero value is useful.
type MuxConfig struct {
	// SniffTimeout bounds the wait for a connection's first octet, and the
	// TLS handshake before it on a tls.Listener (0 = 10s).
	SniffTimeout time.Duration
	// ReadHeaderTimeout bounds reading an HTTP request's headers
	// (0 = 10s); see http.Server.
	ReadHeaderTimeout time.Duration
	// IdleTimeout closes idle HTTP keep-alive connections (0 = 2m); see
	// http.Server. Upgraded WebSocket connections are not affected.
	IdleTimeout time.Duration
	// Logger receives the mux's and its HTTP server's logs
	// (nil = slog.Default()).
	Logger *slog.Logger
	// Stats receives the mux's counters: Panics, for a dispatch goroutine
	// that panicked (nil = private counters nobody reads).
	Stats *Stats
}

// Mux serves WebSocket (any HTTP) and RawSocket on one listener. It reads
// the first octet of every accepted connection: 0x7F, which no HTTP
// request starts with, is RawSocket; anything else is HTTP, served by an
// internal http.Server with the octet put back. Serve it on a
// tls.Listener for wss:// and rss:// on one port: the octet is read after
// the TLS handshake, and HTTP handlers see r.TLS as usual.
//
// The Mux owns the listeners and the HTTP connections it serves; it does
// not own the WebSocketServer or RawSocketServer it dispatches to: after
// Mux.Close, close them to end their connections. Safe for concurrent use.
type Mux struct {
	cfg MuxConfig
	rs  *RawSocketServer
	hs  *http.Server
	hl  *chanListener

	startHTTP sync.Once
	mu        sync.Mutex
	closed    bool
	listeners map[net.Listener]struct{}
	sniffing  map[net.Conn]struct{}
	wg        sync.WaitGroup // sniffing goroutines and the HTTP server
}

// NewMux returns a Mux that hands HTTP connections to ws (nil = 404 for
// every request) and RawSocket connections to rs (nil = such connections
// are closed).
func NewMux(ws http.Handler, rs *RawSocketServer, opts MuxConfig) *Mux {
	if opts.SniffTimeout <= 0 {
		opts.SniffTimeout = DefaultSniffTimeout
	}
	if opts.ReadHeaderTimeout <= 0 {
		opts.ReadHeaderTimeout = 10 * time.Second
	}
	if opts.IdleTimeout <= 0 {
		opts.IdleTimeout = 2 * time.Minute
	}
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	if opts.Stats == nil {
		opts.Stats = new(Stats)
	}
	if ws == nil {
		ws = http.NotFoundHandler()
	}
	m := &Mux{
		cfg:       opts,
		rs:        rs,
		hl:        newChanListener(),
		listeners: make(map[net.Listener]struct{}),
		sniffing:  make(map[net.Conn]struct{}),
	}
	m.hs = &http.Server{
		Handler:           withConnTLS(ws),
		ReadHeaderTimeout: opts.ReadHeaderTimeout,
		IdleTimeout:       opts.IdleTimeout,
		ConnContext:       rememberConn,
		ErrorLog:          slog.NewLogLogger(opts.Logger.Handler(), slog.LevelDebug),
	}
	return m
}

// Serve accepts connections on ln until Close, then returns
// ErrServerClosed; it returns another error if Accept fails permanently.
// It closes ln when it returns, and may be called for several listeners at
// once. Safe for concurrent use.
func (m *Mux) Serve(ln net.Listener) error {
	if !m.track(ln) {
		_ = ln.Close()
		return ErrServerClosed
	}
	defer m.untrack(ln)
	m.startHTTP.Do(func() {
		m.wg.Add(1)
		go func() {
			defer m.wg.Done()
			_ = m.hs.Serve(m.hl) // returns when Close closes hs
		}()
	})
	var delay time.Duration
	for {
		c, err := ln.Accept()
		if err != nil {
			if m.isClosed() {
				return ErrServerClosed
			}
			if te, ok := err.(interface{ Temporary() bool }); ok && te.Temporary() {
				delay = min(max(2*delay, 5*time.Millisecond), time.Second)
				m.cfg.Logger.Warn("transport: mux accept failed; retrying", "err", err, "delay", delay)
				time.Sleep(delay)
				continue
			}
			return err
		}
		delay = 0
		if !m.enter(c) {
			_ = c.Close()
			return ErrServerClosed
		}
		go m.dispatch(c)
	}
}

// Close stops every Serve (closing its listeners), closes connections not
// yet dispatched and the HTTP connections being served (not hijacked ones:
// close the WebSocketServer for those, and the RawSocketServer for
// RawSocket ones), and waits for the Mux's goroutines. Idempotent.
func (m *Mux) Close() {
	m.mu.Lock()
	m.closed = true
	for ln := range m.listeners {
		_ = ln.Close()
	}
	for c := range m.sniffing {
		_ = c.Close()
	}
	m.mu.Unlock()
	_ = m.hs.Close() // closes m.hl too
	m.hl.Close()
	m.wg.Wait()
}

// dispatch reads the first octet and hands the connection on. It runs on
// its own goroutine, counted by the Mux until a RawSocket connection is
// handed to the RawSocketServer, which then serves it from this goroutine.
// A panic (in the TLS handshake with the peer, say) closes only c, logged
// and counted in Stats.Panics.
func (m *Mux) dispatch(c net.Conn) {
	counted := true // by m.wg
	defer func() {
		if r := recover(); r != nil {
			_ = readerPanic(m.cfg.Logger, m.cfg.Stats, "mux dispatch", remoteAddr(c), r)
			m.forget(c)
			_ = c.Close()
		}
		if counted {
			m.wg.Done()
		}
	}()
	first, err := m.sniff(c)
	m.forget(c)
	if err == nil && first == rsMagic && m.rs != nil && m.rs.enter() {
		counted = false
		m.wg.Done()        // counted by the RawSocketServer from here
		handedOff := false // then the peer's end marks the WaitGroup done
		defer func() {
			if !handedOff {
				m.rs.wg.Done()
			}
		}()
		handedOff = m.rs.serve(c, []byte{first}, true)
		return
	}
	switch {
	case err != nil:
		m.cfg.Logger.Debug("transport: mux: no first octet", "peer", remoteAddr(c), "err", err)
		_ = c.Close()
	case first == rsMagic: // no RawSocketServer, or it is closed
		_ = c.Close()
	case !m.hl.deliver(&peekedConn{Conn: c, first: []byte{first}}):
		_ = c.Close()
	}
}

// sniff reads one octet within SniffTimeout, after the TLS handshake if c
// is a TLS connection.
func (m *Mux) sniff(c net.Conn) (byte, error) {
	deadline := time.Now().Add(m.cfg.SniffTimeout)
	if tc, ok := c.(*tls.Conn); ok {
		ctx, cancel := context.WithDeadline(context.Background(), deadline)
		err := tc.HandshakeContext(ctx)
		cancel()
		if err != nil {
			return 0, err
		}
	}
	_ = c.SetReadDeadline(deadline)
	var b [1]byte
	_, err := io.ReadFull(c, b[:])
	_ = c.SetReadDeadline(time.Time{})
	return b[0], err
}

// enter tracks a connection being sniffed and counts its goroutine.
func (m *Mux) enter(c net.Conn) bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.closed {
		return false
	}
	m.sniffing[c] = struct{}{}
	m.wg.Add(1)
	return true
}

// forget stops tracking c as a connection being sniffed.
func (m *Mux) forget(c net.Conn) {
	m.mu.Lock()
	delete(m.sniffing, c)
	m.mu.Unlock()
}

func (m *Mux) isClosed() bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.closed
}

func (m *Mux) track(ln net.Listener) bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.closed {
		return false
	}
	m.listeners[ln] = struct{}{}
	return true
}

func (m *Mux) untrack(ln net.Listener) {
	m.mu.Lock()
	delete(m.listeners, ln)
	m.mu.Unlock()
	_ = ln.Close()
}

// peekedConn is a connection whose first octet was read by the Mux; Read
// returns it first. NetConn unwraps it (isTLS, handlers).
type peekedConn struct {
	net.Conn
	first []byte // read by the HTTP server's connection goroutine only
}

func (c *peekedConn) Read(p []byte) (int, error) {
	if len(c.first) > 0 {
		n := copy(p, c.first)
		c.first = c.first[n:]
		return n, nil
	}
	return c.Conn.Read(p)
}

// NetConn returns the wrapped connection.
func (c *peekedConn) NetConn() net.Conn { return c.Conn }

// chanListener is the net.Listener of the Mux's http.Server: dispatch
// delivers connections to it.
type chanListener struct {
	ch   chan net.Conn
	done chan struct{}
	once sync.Once
}

func newChanListener() *chanListener {
	return &chanListener{ch: make(chan net.Conn), done: make(chan struct{})}
}

// deliver hands c to the HTTP server; false if the listener is closed.
func (l *chanListener) deliver(c net.Conn) bool {
	select {
	case l.ch <- c:
		return true
	case <-l.done:
		return false
	}
}

func (l *chanListener) Accept() (net.Conn, error) {
	select {
	case c := <-l.ch:
		return c, nil
	case <-l.done:
		return nil, net.ErrClosed
	}
}

func (l *chanListener) Close() error {
	l.once.Do(func() { close(l.done) })
	return nil
}

func (l *chanListener) Addr() net.Addr { return muxAddr{} }

type muxAddr struct{}

func (muxAddr) Network() string { return "mux" }
func (muxAddr) String() string  { return "mux" }

// connKey is the context key under which the Mux's http.Server keeps the
// connection, so withConnTLS can find its TLS state.
type connKey struct{}

func rememberConn(ctx context.Context, c net.Conn) context.Context {
	return context.WithValue(ctx, connKey{}, c)
}

// withConnTLS fills r.TLS for requests on a TLS connection the Mux
// unwrapped: http.Server only recognises a *tls.Conn it accepted itself.
func withConnTLS(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.TLS == nil {
			if tc := tlsConnOf(r.Context().Value(connKey{})); tc != nil {
				st := tc.ConnectionState()
				r = r.WithContext(r.Context()) // a shallow copy we may change
				r.TLS = &st
			}
		}
		h.ServeHTTP(w, r)
	})
}

// tlsConnOf returns the *tls.Conn v is or wraps, or nil.
func tlsConnOf(v any) *tls.Conn {
	for {
		switch c := v.(type) {
		case *tls.Conn:
			return c
		case interface{ NetConn() net.Conn }:
			v = c.NetConn()
		default:
			return nil
		}
	}
}
