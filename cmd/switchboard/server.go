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
	"time"

	"github.com/switchboard-wamp/switchboard/adapters/eventloop"
	"github.com/switchboard-wamp/switchboard/adapters/goroutine"
	"github.com/switchboard-wamp/switchboard/adapters/pool"
	"github.com/switchboard-wamp/switchboard/core"
	"github.com/switchboard-wamp/switchboard/core/serialize"
	"github.com/switchboard-wamp/switchboard/core/wamp"
	"github.com/switchboard-wamp/switchboard/scheduler"
	"github.com/switchboard-wamp/switchboard/transport"
)

// server is a running router: backend, application and listeners.
type server struct {
	log       *slog.Logger
	backend   scheduler.AsyncSupport
	app       *core.Application
	listeners []*listener
}

// listener is one listening socket and what serves it.
type listener struct {
	url    string
	ln     net.Listener
	closer func()       // closes the transport servers and their peers
	served chan error   // Serve's result
	http   *http.Server // set when HTTP (WebSocket) is served
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
		realms[i] = core.RealmConfig{URI: wamp.URI(r.URI), StrictURI: r.StrictURI, MaxOptionListLen: r.MaxOptionListLen,
			SessionKill: r.SessionKill, MaxTestaments: r.MaxTestaments, MaxTestamentBytes: r.MaxTestamentBytes,
			RetainedTopics: r.RetainedTopics, RetainedEventMaxBytes: r.RetainedEventMaxBytes}
		for _, h := range r.History {
			realms[i].History = append(realms[i].History,
				core.HistoryConfig{Topic: wamp.URI(h.Topic), Match: h.Match, Limit: h.Limit, MaxBytes: h.MaxBytes})
		}
	}
	app, err := core.New(core.Config{Backend: backend, Realms: realms, Logger: log})
	if err != nil {
		backend.Close()
		return nil, err
	}
	s := &server{log: log, backend: backend, app: app}
	for _, lc := range c.Listeners {
		l, err := s.listen(c, lc)
		if err != nil {
			s.Shutdown(time.Second)
			return nil, err
		}
		s.listeners = append(s.listeners, l)
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
	l := &listener{ln: ln, served: make(chan error, 1), url: scheme + "://" + ln.Addr().String()}
	if lc.Unix != "" {
		l.url = scheme + "+unix://" + lc.Unix
	}
	var ws *transport.WebSocketServer
	var rs *transport.RawSocketServer
	if lc.Type != "rawsocket" {
		ws, err = transport.NewWebSocketServer(transport.WebSocketConfig{
			Serializers: sers, MaxMessageBytes: c.MaxMessageBytes, OutboundQueueMax: c.OutboundQueue,
			AllowedOrigins: lc.AllowedOrigins, Compression: lc.Compression, Logger: s.log,
			MaxConnections: lc.MaxConnections, MaxConnectionsPerAddress: lc.MaxConnectionsPerAddress,
		}, s.app)
		if err == nil && lc.Type == "websocket" {
			l.url += lc.Path
		}
	}
	if err == nil && lc.Type != "websocket" {
		rs, err = transport.NewRawSocketServer(transport.RawSocketConfig{
			Serializers: sers, MaxMessageBytes: c.MaxMessageBytes, OutboundQueueMax: c.OutboundQueue, Logger: s.log,
			MaxConnections: lc.MaxConnections, MaxConnectionsPerAddress: lc.MaxConnectionsPerAddress,
		}, s.app)
	}
	if err != nil {
		ln.Close()
		return nil, err
	}
	s.serve(l, lc, ws, rs)
	return l, nil
}

// serve starts the goroutine that serves l with ws and/or rs.
func (s *server) serve(l *listener, lc ListenerConfig, ws *transport.WebSocketServer, rs *transport.RawSocketServer) {
	var h http.Handler
	if ws != nil {
		mux := http.NewServeMux()
		mux.Handle(lc.Path, ws)
		h = mux
	}
	switch lc.Type {
	case "websocket":
		l.http = &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second}
		l.closer = ws.Close
		go func() { l.served <- l.http.Serve(l.ln) }()
	case "rawsocket":
		l.closer = rs.Close
		go func() { l.served <- rs.Serve(l.ln) }()
	case "both":
		m := transport.NewMux(h, rs, transport.MuxConfig{Logger: s.log})
		l.closer = func() { m.Close(); ws.Close(); rs.Close() }
		go func() { l.served <- m.Serve(l.ln) }()
	}
}

// bind opens the listening socket: TCP, or a Unix socket whose stale file
// from an earlier run is removed first.
func bind(lc ListenerConfig) (net.Listener, error) {
	if lc.Unix == "" {
		ln, err := net.Listen("tcp", lc.Address)
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

// URLs lists the listeners' URLs, as clients dial them.
func (s *server) URLs() []string {
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
	var errs []error
	if err := s.app.Close(ctx); err != nil {
		errs = append(errs, fmt.Errorf("sessions did not all leave in time: %w", err))
	}
	for _, l := range s.listeners {
		if l.http != nil {
			if err := l.http.Shutdown(ctx); err != nil {
				errs = append(errs, err)
			}
		} else {
			l.ln.Close()
		}
		l.closer()
		err := <-l.served
		if err != nil && !errors.Is(err, http.ErrServerClosed) && !errors.Is(err, transport.ErrServerClosed) && !errors.Is(err, net.ErrClosed) {
			errs = append(errs, fmt.Errorf("%s: %w", l.url, err))
		}
	}
	if err := s.backend.Close(); err != nil {
		errs = append(errs, err)
	}
	if len(errs) == 0 {
		s.log.Info("stopped")
	}
	return errors.Join(errs...)
}
