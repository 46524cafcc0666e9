package core

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"sync"
	"time"

	"github.com/switchboard-wamp/switchboard/cluster"
	"github.com/switchboard-wamp/switchboard/core/engine"
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
	ErrRealmConfig  = errors.New("core: invalid realm config")
)

// ReasonTooManySessions is the ABORT reason of a HELLO for a realm that has
// RealmConfig.MaxSessions sessions already. The spec has no URI for it, so
// it is Switchboard's own, like wamp.CloseSlowConsumer.
const ReasonTooManySessions wamp.URI = "switchboard.error.too_many_sessions"

// ReasonTooManyHandshakes is the ABORT reason of a HELLO beyond
// Config.MaxHandshakes or MaxHandshakesPerAddress.
const ReasonTooManyHandshakes = engine.ReasonTooManyHandshakes

// Config configures an Application. Only Backend is required.
type Config struct {
	// Backend schedules all of the application's work. Required.
	Backend scheduler.AsyncSupport
	// Realms are created by New.
	Realms []RealmConfig
	// DefaultRealm, when not nil, turns the default realm on: New creates
	// it (URI "default" when empty), and a HELLO for a realm that is not
	// configured joins it instead of being aborted with
	// wamp.error.no_such_realm. Its sessions see the realm they asked for
	// in WELCOME (and in Session.RealmName), but share one realm: they can
	// call each other's procedures and receive each other's events, and
	// the default realm's own procedures, topic handlers, hooks and
	// authenticator apply to them. A realm added later with AddRealm takes
	// new sessions for its name from then on.
	//
	// serverwamp has the default realm on unless allow_default_realm=False;
	// here the zero value is off, for two reasons: a misspelt realm then
	// fails loudly instead of landing somewhere unexpected, and unlike
	// serverwamp (where clients only talk to the server) Switchboard routes
	// between clients, so a default realm silently connects clients that
	// asked for different realms.
	DefaultRealm *RealmConfig
	// RealmDefaults fills in the zero-valued fields of every RealmConfig:
	// those in Realms, DefaultRealm, and realms added later with AddRealm
	// (its URI is ignored; a true StrictURI cannot be turned off per realm).
	RealmDefaults RealmConfig
	// Logger receives the engine's logs; nil = slog.Default().
	Logger *slog.Logger
	// IDs draws session, publication, subscription and registration IDs;
	// nil = cryptographically seeded random IDs.
	IDs IDSource
	// HandshakeTimeout bounds how long a connection may take from connect
	// to WELCOME: sending HELLO, authentication (including CHALLENGE
	// round trips) and session hooks' open parts. 0 = 10s.
	HandshakeTimeout time.Duration
	// InboundQueueMax bounds each realm's inbound mailbox (messages). When
	// it is full, connections' readers wait, pushing back on the network.
	// 0 = 4096.
	InboundQueueMax int
	// InflightPerSession bounds the messages one connection may have
	// handed to its realm that the realm has not routed yet. At the bound
	// the connection's reader waits, so one flooding session cannot fill
	// the realm's mailbox ahead of everyone else, and the flow control of
	// congested receivers (transport.FlowControl) takes hold of a sender
	// within this many messages. 0 = 64.
	InflightPerSession int
	// InflightBytesPerSession bounds the same messages by their estimated
	// size (wamp.SizeHint): a connection's reader waits once they reach it,
	// so the memory one session's unrouted messages hold is at most this
	// plus one message, whose part past the bound is counted in the
	// transport's shared inbound budget until routed
	// (transport.FlowControl.HoldInbound). 0 = 64 KiB.
	InflightBytesPerSession int
	// MaxHandshakes bounds the sessions in their handshake (HELLO
	// received, no WELCOME yet: authenticating, or in the session hooks'
	// open parts) across all realms, and MaxHandshakesPerAddress those
	// from one source IP (unix sockets count in the total only). A HELLO
	// beyond MaxHandshakesPerAddress is answered with ABORT
	// switchboard.error.too_many_handshakes (engine.ReasonTooManyHandshakes);
	// one beyond MaxHandshakes takes the place of the oldest handshake in
	// flight, whose connection is closed (so a flood of HELLOs that never
	// finish, from however many addresses, cannot keep handshakes that
	// finish quickly out). Both are counted (Metrics.HandshakesRefused);
	// sessions already joined are not affected. With HandshakeTimeout they bound what a flood of HELLOs
	// that never finish authentication can hold. 0 = 4096 and 256; a
	// negative value is no limit.
	MaxHandshakes           int
	MaxHandshakesPerAddress int
	// RateLimit, when positive, is each remote session's message rate
	// limit (messages per second, counted from HELLO on), with bursts of
	// RateBurst messages (0 = one second's worth). A session over it is
	// slowed down, not refused: its connection's reader pauses until its
	// token bucket refills, so the peer's sends wait in TCP (counted in
	// Metrics.RateLimited). The clock is the backend's (Backend.Now).
	// 0 (or anything but a positive finite number) = no limit, the default.
	RateLimit float64
	RateBurst int
	// Metrics, when set, receives the engine's counters (handshake
	// timeouts, authentication failures by method) and call latencies;
	// nil = nothing counted. What is read from state when metrics are
	// scraped instead is in observe.go (SessionGroups, Ready).
	Metrics *Metrics
	// Cluster, when not nil, makes the application one node of a cluster
	// (package cluster): New connects to NATS, and every realm is shared
	// with the other nodes of the same realm name — subscriptions and
	// publications, registrations and calls. nil: a standalone router.
	// Its Log defaults to Logger.
	Cluster *cluster.Config
}

// Defaults of Config.MaxHandshakes and MaxHandshakesPerAddress. A
// handshake lasts milliseconds when nothing is wrong, so thousands in
// flight at once mean a flood; what each holds is its connection's
// buffers and its HELLO (at most the transport's message limit), for at
// most HandshakeTimeout.
const (
	DefaultMaxHandshakes           = 4096
	DefaultMaxHandshakesPerAddress = 256
)

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
	if c.InflightPerSession == 0 {
		c.InflightPerSession = 64
	}
	if c.InflightBytesPerSession == 0 {
		c.InflightBytesPerSession = 64 << 10
	}
	if !(c.RateLimit > 0) || math.IsInf(c.RateLimit, 1) {
		c.RateLimit = 0 // not a positive finite rate (NaN included): no limit
	}
	if c.MaxHandshakes == 0 {
		c.MaxHandshakes = DefaultMaxHandshakes
	}
	if c.MaxHandshakesPerAddress == 0 {
		c.MaxHandshakesPerAddress = DefaultMaxHandshakesPerAddress
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
	// MaxSessions limits the realm's remote sessions (joined, or in their
	// session hooks); a HELLO beyond it is aborted with
	// ReasonTooManySessions after authentication. 0 = no limit.
	MaxSessions int
	// MaxOptionListLen is the most entries a list-valued option of a
	// client's request may hold (PUBLISH's exclude, eligible,
	// exclude_authid, eligible_authid, exclude_authrole,
	// eligible_authrole; forward_for of PUBLISH, SUBSCRIBE, CALL and
	// REGISTER). A request over it is answered with ERROR
	// wamp.error.invalid_argument (a PUBLISH only when acknowledge=true;
	// otherwise it is discarded) before any routing work. The
	// application's own calls and publications are exempt.
	// 0 = router.DefaultMaxOptionListLen (1024).
	MaxOptionListLen int
	// Roles, when not nil, turn static authorization on (authz.go): what
	// each authrole may call, register, publish and subscribe to, by URI.
	// A role not listed may do nothing. An empty non-nil list denies
	// every client everything. Realm.SetRoles changes it later.
	Roles []Role
	// Authorizer, when not nil, is asked about every request the roles
	// allow (authz.go); Realm.SetAuthorizer changes it later.
	// AuthorizerCacheTTL is how long a session's verdicts are cached (0:
	// not cached: every request asks). MaxHeldRequests bounds the
	// requests of one session waiting for verdicts (0 = 64).
	Authorizer         Authorizer
	AuthorizerCacheTTL time.Duration
	MaxHeldRequests    int
	// SessionKill lets clients kill other sessions of the realm with the
	// session meta API (wamp.session.kill, kill_by_authid,
	// kill_by_authrole, kill_all). Off (the default), those calls are
	// answered with wamp.error.not_authorized.
	SessionKill bool
	// MaxTestaments and MaxTestamentBytes bound the testaments one session
	// may leave (wamp.session.add_testament): how many, and their
	// approximate size together. 0 = router.DefaultMaxTestaments (16) and
	// router.DefaultMaxTestamentBytes (64 KiB).
	MaxTestaments     int
	MaxTestamentBytes int
	// RetainedTopics turns event retention on (PUBLISH retain, SUBSCRIBE
	// get_retained): at most this many topics keep their last retained
	// event, each of at most RetainedEventMaxBytes (approximately; 0 =
	// router.DefaultRetainedEventMaxBytes, 16 KiB). 0 = off.
	RetainedTopics        int
	RetainedEventMaxBytes int
	// MaxPendingCallsPerSession bounds the calls one client session may
	// have outstanding (routed, not yet answered); a CALL beyond it is
	// answered at once with ERROR switchboard.error.too_many_pending_calls
	// (router.ErrTooManyPendingCalls). The application's own calls are
	// exempt. 0 = router.DefaultMaxPendingCallsPerSession (1000).
	MaxPendingCallsPerSession int
	// History lists the subscriptions (topic and match) whose events the
	// realm keeps for wamp.subscription.get_events, each bounded by Limit
	// events and MaxBytes (0 = 100 events, 256 KiB). Empty = no history.
	History []HistoryConfig
}

// HistoryConfig keeps the event history of one subscription (router
// package: HistoryConfig).
type HistoryConfig = router.HistoryConfig

// inherit fills rc's zero-valued fields from d.
func (rc RealmConfig) inherit(d RealmConfig) RealmConfig {
	rc.StrictURI = rc.StrictURI || d.StrictURI
	rc.GoodbyeTimeout = cmp.Or(rc.GoodbyeTimeout, d.GoodbyeTimeout)
	rc.MaxSessions = cmp.Or(rc.MaxSessions, d.MaxSessions)
	rc.MaxOptionListLen = cmp.Or(rc.MaxOptionListLen, d.MaxOptionListLen)
	if rc.Roles == nil {
		rc.Roles = d.Roles
	}
	if rc.Authorizer == nil {
		rc.Authorizer = d.Authorizer
	}
	rc.AuthorizerCacheTTL = cmp.Or(rc.AuthorizerCacheTTL, d.AuthorizerCacheTTL)
	rc.MaxHeldRequests = cmp.Or(rc.MaxHeldRequests, d.MaxHeldRequests)
	rc.SessionKill = rc.SessionKill || d.SessionKill
	rc.MaxTestaments = cmp.Or(rc.MaxTestaments, d.MaxTestaments)
	rc.MaxTestamentBytes = cmp.Or(rc.MaxTestamentBytes, d.MaxTestamentBytes)
	rc.RetainedTopics = cmp.Or(rc.RetainedTopics, d.RetainedTopics)
	rc.RetainedEventMaxBytes = cmp.Or(rc.RetainedEventMaxBytes, d.RetainedEventMaxBytes)
	rc.MaxPendingCallsPerSession = cmp.Or(rc.MaxPendingCallsPerSession, d.MaxPendingCallsPerSession)
	if rc.History == nil {
		rc.History = d.History
	}
	return rc
}

// Validate reports what is wrong with rc (ErrInvalidRealm, ErrRealmConfig).
func (rc RealmConfig) Validate() error {
	switch {
	case !wamp.ValidURI(rc.URI, false, false):
		return fmt.Errorf("%w: %q", ErrInvalidRealm, rc.URI)
	case rc.MaxSessions < 0:
		return fmt.Errorf("%w: realm %q: MaxSessions %d < 0", ErrRealmConfig, rc.URI, rc.MaxSessions)
	case rc.GoodbyeTimeout < 0:
		return fmt.Errorf("%w: realm %q: GoodbyeTimeout %v < 0", ErrRealmConfig, rc.URI, rc.GoodbyeTimeout)
	case rc.MaxOptionListLen < 0:
		return fmt.Errorf("%w: realm %q: MaxOptionListLen %d < 0", ErrRealmConfig, rc.URI, rc.MaxOptionListLen)
	case rc.MaxPendingCallsPerSession < 0:
		return fmt.Errorf("%w: realm %q: MaxPendingCallsPerSession %d < 0", ErrRealmConfig, rc.URI, rc.MaxPendingCallsPerSession)
	case rc.MaxTestaments < 0:
		return fmt.Errorf("%w: realm %q: MaxTestaments %d < 0", ErrRealmConfig, rc.URI, rc.MaxTestaments)
	case rc.MaxTestamentBytes < 0:
		return fmt.Errorf("%w: realm %q: MaxTestamentBytes %d < 0", ErrRealmConfig, rc.URI, rc.MaxTestamentBytes)
	case rc.RetainedTopics < 0 || rc.RetainedEventMaxBytes < 0:
		return fmt.Errorf("%w: realm %q: RetainedTopics %d and RetainedEventMaxBytes %d must not be negative",
			ErrRealmConfig, rc.URI, rc.RetainedTopics, rc.RetainedEventMaxBytes)
	}
	for i, h := range rc.History {
		if err := ValidHistory(h); err != "" {
			return fmt.Errorf("%w: realm %q: History[%d]: %s", ErrRealmConfig, rc.URI, i, err)
		}
	}
	return rc.validateAuthz()
}

// ValidHistory says what is wrong with h, or "" when it is a valid
// RealmConfig.History entry.
func ValidHistory(h HistoryConfig) string {
	switch h.Match {
	case "", wamp.MatchExact, wamp.MatchPrefix, wamp.MatchWildcard:
	default:
		return fmt.Sprintf("match %q: want exact, prefix or wildcard", h.Match)
	}
	switch {
	case h.Topic == "" || !wamp.ValidURI(h.Topic, false, h.Match == wamp.MatchWildcard):
		return fmt.Sprintf("topic %q is not a valid URI", h.Topic)
	case h.Limit < 0 || h.MaxBytes < 0:
		return "Limit and MaxBytes must not be negative"
	}
	return ""
}

// Application is a WAMP router plus the application's own procedures and
// topics, organised in realms. It is a transport.Acceptor: hand it to a
// transport server. Its methods are safe for concurrent use.
type Application struct {
	cfg Config
	log *slog.Logger

	mu           sync.RWMutex // guards realms, defaultRealm, closed, draining and routeSets
	realms       map[wamp.URI]*Realm
	defaultRealm *Realm
	closed       bool
	draining     bool // Drain: new sessions are refused (reload.go)
	// routeSets are the application-wide route sets (routes_app.go), added
	// to every realm, including realms created later.
	routeSets [][]route

	// sc holds the application-level authenticator, session hooks, topic
	// routes and dependencies (hooks.go).
	sc scope
	// work counts admitted sessions that have not finished closing, and
	// cleanup tasks: Close waits for it.
	work tracker
	// admitCtx is cancelled when Close starts: admissions in progress stop.
	admitCtx  context.Context
	stopAdmit context.CancelFunc
	// life is cancelled when Close returns: the context of cleanups.
	life    context.Context
	endLife context.CancelFunc
	// srv accepts connections and hands each to its realm's engine.
	srv *engine.Server
	// node is the application's membership of a cluster (Config.Cluster);
	// nil when standalone.
	node *cluster.Node
}

// New builds an Application and its configured realms.
func New(cfg Config) (*Application, error) {
	if cfg.Backend == nil {
		return nil, ErrNoBackend
	}
	cfg = cfg.withDefaults()
	a := &Application{cfg: cfg, log: cfg.Logger, realms: make(map[wamp.URI]*Realm)}
	a.admitCtx, a.stopAdmit = context.WithCancel(context.Background())
	a.life, a.endLife = context.WithCancel(context.Background())
	a.srv = &engine.Server{
		Backend:                 cfg.Backend,
		IDs:                     cfg.IDs,
		Log:                     cfg.Logger,
		HandshakeTimeout:        cfg.HandshakeTimeout,
		InflightPerSession:      cfg.InflightPerSession,
		InflightBytesPerSession: cfg.InflightBytesPerSession,
		MaxHandshakes:           cfg.MaxHandshakes,
		MaxHandshakesPerAddress: cfg.MaxHandshakesPerAddress,
		RateLimit:               cfg.RateLimit,
		RateBurst:               cfg.RateBurst,
		Admit:                   a.admitCtx,
		Metrics:                 cfg.Metrics,
		Closed:                  a.isClosed,
		RealmFor: func(uri wamp.URI) (*engine.Realm, bool) {
			r, ok := a.realmFor(uri)
			if !ok {
				return nil, false
			}
			return r.e, true
		},
	}
	if cfg.Cluster != nil {
		cc := *cfg.Cluster
		if cc.Log == nil {
			cc.Log = cfg.Logger
		}
		node, err := cluster.Start(cc, cfg.IDs)
		if err != nil {
			return nil, err
		}
		a.node = node
		a.srv.IDs = node.SessionIDs(cfg.IDs) // session IDs unique across nodes
	}
	for _, rc := range cfg.Realms {
		if _, err := a.AddRealm(rc); err != nil {
			a.closeNode()
			return nil, err
		}
	}
	if cfg.DefaultRealm != nil {
		rc := *cfg.DefaultRealm
		if rc.URI == "" {
			rc.URI = "default"
		}
		r, err := a.AddRealm(rc)
		if err != nil {
			a.closeNode()
			return nil, fmt.Errorf("core: default realm: %w", err)
		}
		a.mu.Lock()
		a.defaultRealm = r
		a.mu.Unlock()
	}
	return a, nil
}

// Backend returns the scheduling backend the application runs on.
func (a *Application) Backend() scheduler.AsyncSupport { return a.cfg.Backend }

// AddRealm creates a realm, its zero-valued fields filled from
// Config.RealmDefaults. It fails if the config is invalid or the URI taken.
// The application's authenticator, session hooks, topic handlers and
// dependencies apply to it at once.
func (a *Application) AddRealm(rc RealmConfig) (*Realm, error) {
	rc = rc.inherit(a.cfg.RealmDefaults)
	if err := rc.Validate(); err != nil {
		return nil, err
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
	r.sessions.max = rc.MaxSessions
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

// DefaultRealm returns the default realm; ok is false when it is off
// (Config.DefaultRealm).
func (a *Application) DefaultRealm() (r *Realm, ok bool) {
	a.mu.RLock()
	defer a.mu.RUnlock()
	return a.defaultRealm, a.defaultRealm != nil
}

// realmFor returns the realm a HELLO for uri joins: the realm of that name,
// else the default realm when it is on.
func (a *Application) realmFor(uri wamp.URI) (*Realm, bool) {
	a.mu.RLock()
	defer a.mu.RUnlock()
	if r, ok := a.realms[uri]; ok {
		return r, true
	}
	return a.defaultRealm, a.defaultRealm != nil
}

// Accept implements transport.Acceptor: it takes a new connection and
// returns the handler that runs its session. Called by transports.
func (a *Application) Accept(p transport.Peer) transport.Handler {
	return a.srv.Accept(p)
}

// Close ends every session with GOODBYE wamp.close.system_shutdown (and
// handshakes in progress with ABORT) and waits until they are gone (each has
// its realm's GoodbyeTimeout to answer) and every session close hook and
// topic onLeave has returned, or ctx is done; then the contexts of cleanups
// still running are cancelled. New connections are refused afterwards. The
// backend is not closed: it belongs to whoever created it.
func (a *Application) Close(ctx context.Context) error {
	a.mu.Lock()
	a.closed = true
	realms := make([]*Realm, 0, len(a.realms))
	for _, r := range a.realms {
		realms = append(realms, r)
	}
	a.mu.Unlock()
	a.stopAdmit()
	defer a.endLife()
	// Leave the cluster first: the other nodes drop this node's sessions
	// at once, and nothing more arrives from them while the realms close.
	a.closeNode()
	var errs []error
	for _, r := range realms {
		if err := r.shutdown(ctx, wamp.CloseSystemShutdown); err != nil {
			errs = append(errs, fmt.Errorf("realm %q: %w", r.uri, err))
		}
	}
	if err := a.work.wait(ctx); err != nil {
		errs = append(errs, fmt.Errorf("core: waiting for sessions to close and their close hooks: %w", err))
	}
	return errors.Join(errs...)
}

// Cluster returns the application's cluster node, nil when it is
// standalone (Config.Cluster).
func (a *Application) Cluster() *cluster.Node { return a.node }

// closeNode leaves the cluster, if the application is a node.
func (a *Application) closeNode() {
	if a.node != nil {
		a.node.Close()
	}
}

// isClosed reports whether new sessions are refused: Close or Drain ran.
func (a *Application) isClosed() bool {
	a.mu.RLock()
	defer a.mu.RUnlock()
	return a.closed || a.draining
}

// routerRealmConfig converts the public realm config into the router's.
func (rc RealmConfig) routerConfig() router.RealmConfig {
	// SubscribeApproval: every SUBSCRIBE is offered to the topic handlers
	// (topics.go), which approve it in the same step when none matches.
	c := router.RealmConfig{URI: rc.URI, StrictURI: rc.StrictURI, GoodbyeTimeout: rc.GoodbyeTimeout,
		SubscribeApproval: true, MaxOptionListLen: rc.MaxOptionListLen, SessionKill: rc.SessionKill,
		MaxTestaments: rc.MaxTestaments, MaxTestamentBytes: rc.MaxTestamentBytes,
		RetainedTopics: rc.RetainedTopics, RetainedEventMaxBytes: rc.RetainedEventMaxBytes, History: rc.History,
		MaxPendingCallsPerSession: rc.MaxPendingCallsPerSession}
	rc.authzConfig(&c)
	return c
}
