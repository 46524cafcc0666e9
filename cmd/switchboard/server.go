package main

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"sync"
	"time"

	"github.com/switchboard-wamp/switchboard/adapters/eventloop"
	"github.com/switchboard-wamp/switchboard/adapters/goroutine"
	"github.com/switchboard-wamp/switchboard/adapters/pool"
	"github.com/switchboard-wamp/switchboard/auth"
	"github.com/switchboard-wamp/switchboard/core"
	"github.com/switchboard-wamp/switchboard/core/serialize"
	"github.com/switchboard-wamp/switchboard/core/wamp"
	"github.com/switchboard-wamp/switchboard/scheduler"
	"github.com/switchboard-wamp/switchboard/transport"
)

// server is a running router: backend, application and listeners, and
// the operator endpoint (metrics.go).
type server struct {
	log     *slog.Logger
	backend scheduler.AsyncSupport
	app     *core.Application
	obs     *observer  // what the metrics read
	ops     *opsServer // the operator endpoint; nil when off

	mu        sync.Mutex // guards listeners, draining and cfg
	listeners []*listener
	budget    *transport.OutboundBudget // shared by every listener's peers
	inbound   *transport.InboundBudget  // the same for the messages being read
	draining  bool
	cfg       Config                // the configuration running (reload.go changes it)
	level     *slog.LevelVar        // the log level, when a reload may change it; nil otherwise
	auths     map[string]*realmAuth // by realm URI: the authentication admitting now
}

// realmAuth is a realm's authenticator and the users its auth section
// lists.
type realmAuth struct {
	a     *auth.Authenticator
	users map[string]bool
}

// listener is one listening socket and what serves it.
type listener struct {
	url    string
	ln     net.Listener
	closer func()        // closes the transport servers and their peers
	done   chan struct{} // closed when Serve has returned, with err set
	err    error
	http   *http.Server // set when HTTP (WebSocket) is served
	ws     *transport.WebSocketServer
	rs     *transport.RawSocketServer
}

func newBackend(name string, log *slog.Logger) scheduler.AsyncSupport {
	switch name {
	case "eventloop":
		return eventloop.New(eventloop.Config{Logger: log})
	case "pool":
		return pool.New(pool.Config{Logger: log})
	default:
		return goroutine.New(goroutine.Config{Logger: log})
	}
}

// start builds the router from c and begins serving every listener; it
// returns once all are bound.
func start(c Config, log *slog.Logger) (*server, error) {
	backend := newBackend(c.Backend, log)
	realms := make([]core.RealmConfig, len(c.Realms))
	for i, r := range c.Realms {
		realms[i] = r.core()
	}
	obs := newObserver()
	cc := core.Config{Backend: backend, Realms: realms, Logger: log, Metrics: obs.engine,
		HandshakeTimeout: c.HandshakeTimeout, InflightBytesPerSession: c.InflightBytesPerSession,
		MaxHandshakes: c.MaxHandshakes, MaxHandshakesPerAddress: c.MaxHandshakesPerAddress,
		RateLimit: c.RateLimit, RateBurst: c.RateBurst}
	if c.Cluster != nil {
		var err error
		if cc.Cluster, err = c.Cluster.config(); err != nil {
			backend.Close()
			return nil, err
		}
	}
	app, err := core.New(cc)
	if err != nil {
		backend.Close()
		return nil, err
	}
	s := &server{log: log, backend: backend, app: app, obs: obs, cfg: c,
		budget: transport.NewOutboundBudgetOverdraft(c.OutboundBudgetBytes, c.OutboundOverdraftBytes), inbound: transport.NewInboundBudget(c.InboundBudgetBytes)}
	for _, r := range c.Realms {
		if err := s.setAuth(r); err != nil {
			s.Shutdown(time.Second)
			return nil, err
		}
	}
	for _, lc := range c.Listeners {
		l, err := s.listen(c, lc)
		if err != nil {
			s.Shutdown(time.Second)
			return nil, err
		}
		s.listeners = append(s.listeners, l)
	}
	if c.Metrics.Address != "" {
		if err := s.startOps(c.Metrics); err != nil {
			s.Shutdown(time.Second)
			return nil, err
		}
	}
	return s, nil
}

// listen binds one listener and starts serving it.
func (s *server) listen(c Config, lc ListenerConfig) (*listener, error) {
	sers := make([]serialize.Serializer, len(lc.Serializers))
	for i, name := range lc.Serializers {
		sers[i], _ = serialize.ByName(name)
	}
	ln, err := bind(lc)
	if err != nil {
		return nil, err
	}
	scheme := map[string]string{"websocket": "ws", "rawsocket": "rs", "both": "ws+rs"}[lc.Type]
	if lc.TLS != nil {
		cfg, err := transport.LoadServerTLSConfig(lc.TLS.Cert, lc.TLS.Key)
		if err != nil {
			ln.Close()
			return nil, fmt.Errorf("listener %s: %w", ln.Addr(), err)
		}
		ln = tls.NewListener(ln, cfg)
		scheme = map[string]string{"ws": "wss", "rs": "rss", "ws+rs": "wss+rss"}[scheme]
	}
	l := &listener{ln: ln, done: make(chan struct{}), url: scheme + "://" + ln.Addr().String()}
	if lc.Unix != "" {
		l.url = scheme + "+unix://" + lc.Unix
	}
	var ws *transport.WebSocketServer
	var rs *transport.RawSocketServer
	if lc.Type != "rawsocket" {
		ws, err = transport.NewWebSocketServer(transport.WebSocketConfig{
			Serializers: sers, MaxMessageBytes: c.MaxMessageBytes, OutboundQueueMax: c.OutboundQueue,
			OutboundQueueBytes: c.OutboundQueueBytes, OutboundBudget: s.budget, StallTimeout: c.StallTimeout,
			EventStallTimeout: c.EventStallTimeout, InboundBudget: s.inbound,
			AllowedOrigins: lc.AllowedOrigins, Compression: lc.Compression, Logger: s.log,
			MaxConnections: lc.MaxConnections, MaxConnectionsPerAddress: lc.MaxConnectionsPerAddress,
			Stats: s.obs.stats,
		}, s.app)
		if err == nil && lc.Type == "websocket" {
			l.url += lc.Path
		}
	}
	if err == nil && lc.Type != "websocket" {
		rs, err = transport.NewRawSocketServer(transport.RawSocketConfig{
			Serializers: sers, MaxMessageBytes: c.MaxMessageBytes, OutboundQueueMax: c.OutboundQueue, Logger: s.log,
			OutboundQueueBytes: c.OutboundQueueBytes, OutboundBudget: s.budget, StallTimeout: c.StallTimeout,
			EventStallTimeout: c.EventStallTimeout, InboundBudget: s.inbound,
			MaxConnections: lc.MaxConnections, MaxConnectionsPerAddress: lc.MaxConnectionsPerAddress,
			Stats: s.obs.stats,
		}, s.app)
	}
	if err != nil {
		ln.Close()
		return nil, err
	}
	var h http.Handler
	if ws != nil {
		if h, err = httpHandler(lc, ws); err != nil {
			ln.Close()
			return nil, fmt.Errorf("listener %s: %w", l.url, err)
		}
	}
	l.ws, l.rs = ws, rs
	s.serve(l, lc, h)
	return l, nil
}

// httpHandler is what a listener serves over HTTP: the WebSocket endpoint
// at its path, and the static directory if it has one.
func httpHandler(lc ListenerConfig, ws *transport.WebSocketServer) (http.Handler, error) {
	mux := http.NewServeMux()
	mux.Handle(lc.Path, ws)
	if lc.Static != nil {
		pattern, files, err := staticHandler(*lc.Static)
		if err != nil {
			return nil, err
		}
		mux.Handle(pattern, files)
	}
	return mux, nil
}

// serve starts the goroutine that serves l with h (HTTP: WebSocket and
// static files) and/or l.rs.
func (s *server) serve(l *listener, lc ListenerConfig, h http.Handler) {
	ws, rs := l.ws, l.rs
	switch lc.Type {
	case "websocket":
		l.http = &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second}
		l.closer = ws.Close
		go l.run(func() error { return l.http.Serve(l.ln) })
	case "rawsocket":
		l.closer = rs.Close
		go l.run(func() error { return rs.Serve(l.ln) })
	case "both":
		m := transport.NewMux(h, rs, transport.MuxConfig{Logger: s.log})
		l.closer = func() { m.Close(); ws.Close(); rs.Close() }
		go l.run(func() error { return m.Serve(l.ln) })
	}
}

// run serves the listener until it stops: its goroutine.
func (l *listener) run(serve func() error) {
	l.err = serve()
	close(l.done)
}

// bind opens the listening socket: TCP, or a Unix socket whose stale file
// from an earlier run is removed first.
func bind(lc ListenerConfig) (net.Listener, error) {
	if lc.Unix == "" {
		ln, err := listenTCP(lc.Address)
		if err != nil {
			return nil, fmt.Errorf("listen %s: %w", lc.Address, err)
		}
		return ln, nil
	}
	if fi, err := os.Lstat(lc.Unix); err == nil && fi.Mode()&os.ModeSocket != 0 {
		os.Remove(lc.Unix)
	}
	ln, err := net.Listen("unix", lc.Unix)
	if err != nil {
		return nil, fmt.Errorf("listen unix %s: %w", lc.Unix, err)
	}
	return ln, nil
}

// listenTCP listens on addr without TCP keepalive on the connections it
// accepts: both transports ping their peers (every 30 s, the transports'
// default, which the router keeps) and close the silent ones, so the
// kernel's probes would find nothing more, and enabling them costs four
// system calls per connection.
func listenTCP(addr string) (net.Listener, error) {
	lc := net.ListenConfig{KeepAlive: -1}
	return lc.Listen(context.Background(), "tcp", addr)
}

// URLs lists the listeners' URLs, as clients dial them.
func (s *server) URLs() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	urls := make([]string, len(s.listeners))
	for i, l := range s.listeners {
		urls[i] = l.url
	}
	return urls
}

// Shutdown says GOODBYE to every session, waits up to timeout for them to
// leave, then closes listeners, connections and the backend.
func (s *server) Shutdown(timeout time.Duration) error {
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	s.mu.Lock()
	s.draining = true
	ls := s.listeners
	s.mu.Unlock()
	var errs []error
	if err := s.app.Close(ctx); err != nil {
		errs = append(errs, fmt.Errorf("sessions did not all leave in time: %w", err))
	}
	for _, l := range ls {
		if l.http != nil {
			// After Drain the listener is closed already: closing it again
			// is no error.
			if err := l.http.Shutdown(ctx); err != nil && !errors.Is(err, net.ErrClosed) {
				errs = append(errs, err)
			}
		} else {
			l.ln.Close()
		}
		l.closer()
		<-l.done
		if err := l.err; err != nil && !errors.Is(err, http.ErrServerClosed) && !errors.Is(err, transport.ErrServerClosed) && !errors.Is(err, net.ErrClosed) {
			errs = append(errs, fmt.Errorf("%s: %w", l.url, err))
		}
	}
	if err := s.stopOps(ctx); err != nil {
		errs = append(errs, fmt.Errorf("metrics endpoint: %w", err))
	}
	if err := s.backend.Close(); err != nil {
		errs = append(errs, err)
	}
	if len(errs) == 0 {
		s.log.Info("stopped")
	}
	return errors.Join(errs...)
}

// setAuth gives realm r the authenticator its auth section describes.
func (s *server) setAuth(r RealmConfig) error {
	if r.Auth == nil {
		return nil
	}
	cfg, ps := r.Auth.build()
	if len(ps) > 0 {
		return fmt.Errorf("realm %s: auth.%v", r.URI, ps[0])
	}
	cfg.Logger = s.log.With("realm", r.URI)
	a, err := auth.New(cfg)
	if err != nil {
		return fmt.Errorf("realm %s: %w", r.URI, err)
	}
	realm, ok := s.app.Realm(wamp.URI(r.URI))
	if !ok {
		return fmt.Errorf("realm %s: not created", r.URI)
	}
	ra := &realmAuth{a: a, users: map[string]bool{}}
	for _, u := range r.Auth.Users {
		ra.users[u.AuthID] = true
	}
	s.setRealmAuth(r.URI, ra)
	realm.SetAuthenticator(s.guarded(r.URI, ra))
	s.log.Info("realm authentication", "realm", r.URI, "methods", a.Methods(), "users", len(r.Auth.Users))
	return nil
}

// setRealmAuth records what admits to realm now (nil: anonymous only).
func (s *server) setRealmAuth(realm string, ra *realmAuth) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.auths == nil {
		s.auths = map[string]*realmAuth{}
	}
	s.auths[realm] = ra
}

// guarded is ra's authenticator for realm, which refuses a user that a
// reload removed while its authentication was under way (a CHALLENGE
// answered after the reload): such a session would join after reloadAuth
// closed the user's sessions.
func (s *server) guarded(realm string, ra *realmAuth) core.Authenticator {
	return func(ctx context.Context, req *core.AuthRequest) (*core.Identity, error) {
		id, err := ra.a.Authenticate(ctx, req)
		if err != nil || id == nil || id.AuthMethod == "anonymous" {
			return id, err
		}
		s.mu.Lock()
		cur := s.auths[realm]
		s.mu.Unlock()
		if cur != ra && (cur == nil || !cur.users[id.AuthID]) {
			s.log.Info("authentication denied: the user was removed by a reload during its authentication", "realm", realm, "authid", id.AuthID)
			return nil, &core.AbortError{URI: wamp.ErrAuthenticationDenied, Message: "authentication denied"}
		}
		return id, nil
	}
}
