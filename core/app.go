package core

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/switchboard-wamp/switchboard/core/router"
	"github.com/switchboard-wamp/switchboard/core/wamp"
	"github.com/switchboard-wamp/switchboard/scheduler"
	"github.com/switchboard-wamp/switchboard/transport"
)

// Sentinel errors of the engine.
var (
	ErrNoBackend    = errors.New("core: Config.Backend is nil (use goroutine.New, eventloop.New or pool.New)")
	ErrRealmExists  = errors.New("core: realm already exists")
	ErrClosed       = errors.New("core: application closed")
	ErrInvalidRealm = errors.New("core: invalid realm URI")
)

// Config configures an Application. Only Backend is required.
type Config struct {
	// Backend schedules all of the application's work. Required.
	Backend scheduler.AsyncSupport
	// Realms are created by New.
	Realms []RealmConfig
	// Logger receives the engine's logs; nil = slog.Default().
	Logger *slog.Logger
	// IDs draws session, publication, subscription and registration IDs;
	// nil = cryptographically seeded random IDs.
	IDs IDSource
	// HandshakeTimeout bounds how long a connection may take to send its
	// HELLO. 0 = 10s.
	HandshakeTimeout time.Duration
	// InboundQueueMax bounds each realm's inbound mailbox (messages). When
	// it is full, connections' readers wait, pushing back on the network.
	// 0 = 4096.
	InboundQueueMax int
}

func (c Config) withDefaults() Config {
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
	if c.IDs == nil {
		c.IDs = randomIDs{}
	}
	if c.HandshakeTimeout == 0 {
		c.HandshakeTimeout = 10 * time.Second
	}
	if c.InboundQueueMax == 0 {
		c.InboundQueueMax = 4096
	}
	return c
}

// RealmConfig configures one realm.
type RealmConfig struct {
	// URI names the realm; it must be a valid WAMP URI (loose rules).
	URI wamp.URI
	// StrictURI selects the spec's strict URI rules for the realm's topics
	// and procedures.
	StrictURI bool
	// GoodbyeTimeout is how long a router-initiated GOODBYE waits for the
	// peer's reply. 0 = 5s.
	GoodbyeTimeout time.Duration
}

// Application is a WAMP router plus the application's own procedures and
// topics, organised in realms. It is a transport.Acceptor: hand it to a
// transport server. Its methods are safe for concurrent use.
type Application struct {
	cfg Config
	log *slog.Logger

	mu     sync.RWMutex // guards realms, closed and routeSets
	realms map[wamp.URI]*Realm
	closed bool
	// routeSets are the application-wide route sets (routes_app.go), added
	// to every realm, including realms created later.
	routeSets [][]route
}

// New builds an Application and its configured realms.
func New(cfg Config) (*Application, error) {
	if cfg.Backend == nil {
		return nil, ErrNoBackend
	}
	cfg = cfg.withDefaults()
	a := &Application{cfg: cfg, log: cfg.Logger, realms: make(map[wamp.URI]*Realm)}
	for _, rc := range cfg.Realms {
		if _, err := a.AddRealm(rc); err != nil {
			return nil, err
		}
	}
	return a, nil
}

// Backend returns the scheduling backend the application runs on.
func (a *Application) Backend() scheduler.AsyncSupport { return a.cfg.Backend }

// AddRealm creates a realm. It fails if the URI is invalid or taken.
func (a *Application) AddRealm(rc RealmConfig) (*Realm, error) {
	if !wamp.ValidURI(rc.URI, false, false) {
		return nil, fmt.Errorf("%w: %q", ErrInvalidRealm, rc.URI)
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.closed {
		return nil, ErrClosed
	}
	if _, ok := a.realms[rc.URI]; ok {
		return nil, fmt.Errorf("%w: %q", ErrRealmExists, rc.URI)
	}
	r, err := newRealm(a, rc)
	if err != nil {
		return nil, err
	}
	a.realms[rc.URI] = r
	r.adoptRoutes(a.routeSets)
	return r, nil
}

// Realm returns the realm named uri.
func (a *Application) Realm(uri wamp.URI) (*Realm, bool) {
	a.mu.RLock()
	defer a.mu.RUnlock()
	r, ok := a.realms[uri]
	return r, ok
}

// Accept implements transport.Acceptor: it takes a new connection and
// returns the handler that runs its session. Called by transports.
func (a *Application) Accept(p transport.Peer) transport.Handler {
	return newConn(a, p)
}

// Close ends every session with GOODBYE wamp.close.system_shutdown and waits
// until they are gone (each has its realm's GoodbyeTimeout to answer) or ctx
// is done. New connections are refused afterwards. The backend is not closed:
// it belongs to whoever created it.
func (a *Application) Close(ctx context.Context) error {
	a.mu.Lock()
	a.closed = true
	realms := make([]*Realm, 0, len(a.realms))
	for _, r := range a.realms {
		realms = append(realms, r)
	}
	a.mu.Unlock()
	var errs []error
	for _, r := range realms {
		if err := r.shutdown(ctx, wamp.CloseSystemShutdown); err != nil {
			errs = append(errs, fmt.Errorf("realm %q: %w", r.uri, err))
		}
	}
	return errors.Join(errs...)
}

func (a *Application) isClosed() bool {
	a.mu.RLock()
	defer a.mu.RUnlock()
	return a.closed
}

// routerRealmConfig converts the public realm config into the router's.
func (rc RealmConfig) routerConfig() router.RealmConfig {
	return router.RealmConfig{URI: rc.URI, StrictURI: rc.StrictURI, GoodbyeTimeout: rc.GoodbyeTimeout}
}
