package client

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"sync"

	"github.com/switchboard-wamp/switchboard/core/serialize"
	"github.com/switchboard-wamp/switchboard/core/wamp"
	"github.com/switchboard-wamp/switchboard/scheduler"
)

// Run starts every component and returns when all of them are done
// (autobahn's run([...])): nil, or the errors of those that failed,
// joined, each naming its component's position. Ending ctx stops them
// all. Like Start, never call it from an event loop's goroutine.
func Run(ctx context.Context, components ...*Component) error {
	errs := make([]error, len(components))
	var wg sync.WaitGroup
	for i, c := range components {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := c.Start(ctx); err != nil {
				errs[i] = fmt.Errorf("client: component %d: %w", i, err)
			}
		}()
	}
	wg.Wait()
	return errors.Join(errs...)
}

// ApplicationRunner runs one session factory on one WebSocket or
// RawSocket URL: autobahn's ApplicationRunner(url, realm, extra,
// serializers, ssl, proxy, headers).run(make) and stop(). Like autobahn's,
// it does not reconnect unless Retry is set. Backend is required.
type ApplicationRunner struct {
	URL   string
	Realm wamp.URI // "" = "realm1"
	Extra any
	// Serializers are offered in preference order (nil = CBOR, JSON); a
	// RawSocket URL uses the first one (nil = CBOR).
	Serializers []serialize.Serializer
	// TLS configures wss:// and rss:// (nil = system defaults).
	TLS *tls.Config
	// Proxy is an HTTP CONNECT proxy (WebSocket only).
	Proxy *Proxy
	// Header holds extra WebSocket handshake headers.
	Header http.Header
	// Auth is what the session authenticates with.
	Auth    Auth
	Backend scheduler.AsyncSupport
	Logger  *slog.Logger
	// Retry, when set, makes the runner reconnect on this schedule;
	// nil = one connection, and Run returns when its session ends.
	Retry *RetryPolicy

	mu      sync.Mutex
	c       *Component
	stopped bool
}

// Run connects, runs the hooks make returns for the session, and returns
// when the session ends: nil when it left on purpose or Stop was called,
// else why (a *ComponentError for a lost or refused session).
func (r *ApplicationRunner) Run(ctx context.Context, make SessionFactory) error {
	c, err := NewComponent(r.componentConfig(make))
	if err != nil {
		return err
	}
	r.mu.Lock()
	r.c = c
	if r.stopped {
		c.Stop()
	}
	r.mu.Unlock()
	return c.Start(ctx)
}

// Stop leaves the session and stops reconnecting; Run then returns.
func (r *ApplicationRunner) Stop() {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.stopped = true
	if r.c != nil {
		r.c.Stop()
	}
}

func (r *ApplicationRunner) componentConfig(make SessionFactory) ComponentConfig {
	tc := TransportConfig{URL: r.URL, Proxy: r.Proxy, Header: r.Header, Retry: r.Retry}
	if u, err := url.Parse(r.URL); err == nil && (u.Scheme == "rs" || u.Scheme == "rss" || u.Scheme == "rs+unix") {
		if len(r.Serializers) > 0 {
			tc.Serializer = r.Serializers[0]
		}
	} else {
		tc.Serializers = r.Serializers
	}
	if r.TLS != nil {
		tc.Endpoint = &Endpoint{TLS: r.TLS}
	}
	cfg := ComponentConfig{
		Transports: []TransportConfig{tc}, Realm: r.Realm, Extra: r.Extra, Auth: r.Auth,
		SessionFactory: make, Backend: r.Backend, Logger: r.Logger,
	}
	if r.Retry == nil {
		cfg.IsFatal = func(error) bool { return true } // one connection only
	}
	return cfg
}
