package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"time"

	"github.com/switchboard-wamp/switchboard/adapters/goroutine"
	"github.com/switchboard-wamp/switchboard/core"
	"github.com/switchboard-wamp/switchboard/core/serialize"
	"github.com/switchboard-wamp/switchboard/core/wamp"
	"github.com/switchboard-wamp/switchboard/scheduler"
	"github.com/switchboard-wamp/switchboard/transport"
)

// server is a running router: backend, application, WebSocket endpoint and
// HTTP listener.
type server struct {
	log     *slog.Logger
	backend scheduler.AsyncSupport
	app     *core.Application
	ws      *transport.WebSocketServer
	http    *http.Server
	ln      net.Listener
	path    string
	served  chan error
}

// start builds the router and begins serving; it returns once the listener
// is bound.
func start(o options, log *slog.Logger) (*server, error) {
	backend := goroutine.New(goroutine.Config{Logger: log})
	realms := make([]core.RealmConfig, len(o.Realms))
	for i, r := range o.Realms {
		realms[i] = core.RealmConfig{URI: wamp.URI(r)}
	}
	app, err := core.New(core.Config{Backend: backend, Realms: realms, Logger: log})
	if err != nil {
		backend.Close()
		return nil, err
	}
	ws, err := transport.NewWebSocketServer(transport.WebSocketConfig{
		Serializers:      []serialize.Serializer{serialize.JSON},
		MaxMessageBytes:  o.MaxMessageBytes,
		OutboundQueueMax: o.OutboundQueue,
		Logger:           log,
	}, app)
	if err != nil {
		backend.Close()
		return nil, err
	}
	ln, err := net.Listen("tcp", o.Addr)
	if err != nil {
		backend.Close()
		return nil, fmt.Errorf("listen: %w", err)
	}
	mux := http.NewServeMux()
	mux.Handle(o.Path, ws)
	s := &server{
		log: log, backend: backend, app: app, ws: ws, ln: ln, path: o.Path,
		http:   &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second},
		served: make(chan error, 1),
	}
	go func() { s.served <- s.http.Serve(ln) }()
	return s, nil
}

// URL is the WebSocket URL clients connect to.
func (s *server) URL() string { return "ws://" + s.ln.Addr().String() + s.path }

// Shutdown says GOODBYE to every session, waits up to timeout for them to
// leave, then closes connections, the listener and the backend.
func (s *server) Shutdown(timeout time.Duration) error {
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	var errs []error
	if err := s.app.Close(ctx); err != nil {
		errs = append(errs, fmt.Errorf("sessions did not all leave in time: %w", err))
	}
	if err := s.http.Shutdown(ctx); err != nil {
		errs = append(errs, err)
	}
	s.ws.Close()
	if err := <-s.served; err != nil && !errors.Is(err, http.ErrServerClosed) {
		errs = append(errs, err)
	}
	if err := s.backend.Close(); err != nil {
		errs = append(errs, err)
	}
	if len(errs) == 0 {
		s.log.Info("stopped")
	}
	return errors.Join(errs...)
}
