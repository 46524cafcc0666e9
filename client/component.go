package client

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"sync"
	"time"

	"github.com/switchboard-wamp/switchboard/core/wamp"
	"github.com/switchboard-wamp/switchboard/scheduler"
)

var (
	// ErrNotConnected is returned by Component.Session (and Call, Publish)
	// while no session is joined, when FailWhileDisconnected is set or
	// the caller's ctx ended first.
	ErrNotConnected = errors.New("client: component not connected")
	// ErrComponentDone is returned by Component.Session once the
	// component has finished.
	ErrComponentDone = errors.New("client: component done")
	// ErrTransportsExhausted is matched by the error of Start when no
	// transport may be tried again (see *ComponentError).
	ErrTransportsExhausted = errors.New("client: every transport gave up")
)

// Auth is what a component authenticates with (autobahn's
// authentication): sent in HELLO, and the handler answering CHALLENGE.
// Any ChallengeHandler fits, including those of client/authenticate.
type Auth struct {
	AuthID      string
	AuthMethods []string
	AuthExtra   wamp.Dict
	OnChallenge ChallengeHandler
	// CheckWelcome is each session's Config.CheckWelcome: a refused
	// WELCOME fails the join (ErrWelcomeRefused), which is retried like a
	// failed connection unless IsFatal says otherwise.
	CheckWelcome func(details wamp.Dict) error
}

// SessionFactory returns the hooks of one new session, given the realm
// and ComponentConfig.Extra: autobahn's session_factory, which builds a
// fresh ApplicationSession (with its own state) for every connection. Go
// has no subclassing: per-session state lives in the hooks' closures.
type SessionFactory func(realm wamp.URI, extra any) Hooks

// ComponentConfig configures a Component (autobahn's Component
// arguments). Transports and Backend are required.
type ComponentConfig struct {
	// Main, when set, runs on Start's goroutine once the session is
	// ready; the component is done when it returns (its error is Start's),
	// and the session then leaves. ctx ends when the session does (Main
	// runs again on the next session when the connection was lost) or on
	// Stop. Without Main, the component runs until the session leaves on
	// purpose or Stop.
	Main func(ctx context.Context, s *Session) error
	// Transports are tried in turn, round-robin, each on its own retry
	// schedule (one URL: []TransportConfig{{URL: "ws://..."}}).
	Transports []TransportConfig
	// Realm to join; "" = "realm1" (autobahn's default).
	Realm wamp.URI
	// Extra is handed to the session (Session.Extra) and the factory.
	Extra any
	// Auth is what the component authenticates with.
	Auth Auth
	// SessionFactory, when set, is called for each new session; its hooks
	// run before Hooks.
	SessionFactory SessionFactory
	// IsFatal says whether an error (a failed connection or join, or the
	// end of a joined session) means its transport is never to be tried
	// again. Nil = never (autobahn's default).
	IsFatal func(err error) bool
	// Hooks are the lifecycle callbacks of every session.
	Hooks Hooks
	// Backend schedules the sessions' work and the retry timers.
	Backend scheduler.AsyncSupport
	// Logger receives the component's logs (nil = slog.Default()).
	Logger *slog.Logger
	// FailWhileDisconnected makes Session, Call and Publish fail at once
	// with ErrNotConnected while no session is joined, instead of waiting
	// for the next join up to their ctx's deadline.
	FailWhileDisconnected bool
	// JoinTimeout bounds HELLO to WELCOME, and then the declared
	// registrations and subscriptions (0 = 10s).
	JoinTimeout time.Duration
	// LeaveTimeout bounds the GOODBYE exchange on Stop (0 = 5s).
	LeaveTimeout time.Duration
	// EventQueueMax and InboxSize are the sessions' (see Config).
	EventQueueMax int
	InboxSize     int
	// Rand draws the retry jitter (nil = randomly seeded). Only this
	// component's Start uses it: do not share one between components.
	Rand *rand.Rand
}

// Component connects to a router over its transports, joins a realm,
// re-establishes its declared registrations and subscriptions on every
// join, and reconnects with backoff until it is done (autobahn's
// Component). Its methods are safe for concurrent use.
type Component struct {
	cfg        ComponentConfig
	transports []*plannedTransport
	log        *slog.Logger

	mu      sync.Mutex
	started bool
	stopped bool
	stop    context.CancelCauseFunc // set by Start
	regs    []declaredReg
	subs    []declaredSub
	current *Session      // the ready session, nil while disconnected
	changed chan struct{} // closed (and replaced) when current changes
	over    bool          // Start has returned
	done    chan struct{}
}

type declaredReg struct {
	procedure wamp.URI
	h         Handler
	opts      *RegisterOptions
}

type declaredSub struct {
	topic wamp.URI
	h     EventHandler
	opts  *SubscribeOptions
}

// NewComponent validates cfg and returns a component ready to Start.
func NewComponent(cfg ComponentConfig) (*Component, error) {
	if cfg.Realm == "" {
		cfg.Realm = "realm1"
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.JoinTimeout == 0 {
		cfg.JoinTimeout = 10 * time.Second
	}
	if cfg.LeaveTimeout == 0 {
		cfg.LeaveTimeout = 5 * time.Second
	}
	if cfg.Rand == nil {
		cfg.Rand = rand.New(rand.NewPCG(rand.Uint64(), rand.Uint64()))
	}
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	c := &Component{cfg: cfg, log: cfg.Logger.With("realm", string(cfg.Realm)),
		changed: make(chan struct{}), done: make(chan struct{})}
	for i, tc := range cfg.Transports {
		p, err := tc.plan(cfg.Logger)
		if err != nil {
			return nil, fmt.Errorf("client: component: Transports[%d]: %w", i, err)
		}
		c.transports = append(c.transports, p)
	}
	return c, nil
}

func (cfg ComponentConfig) validate() error {
	if len(cfg.Transports) == 0 {
		return fmt.Errorf("%w: component: no Transports", ErrConfig)
	}
	if cfg.LeaveTimeout < 0 {
		return fmt.Errorf("%w: component: negative LeaveTimeout", ErrConfig)
	}
	return cfg.sessionConfig().Validate()
}

// sessionConfig is the Config of the component's sessions, without hooks.
func (cfg ComponentConfig) sessionConfig() Config {
	return Config{
		Realm: cfg.Realm, Backend: cfg.Backend, AuthID: cfg.Auth.AuthID, AuthMethods: cfg.Auth.AuthMethods,
		AuthExtra: cfg.Auth.AuthExtra, OnChallenge: cfg.Auth.OnChallenge, CheckWelcome: cfg.Auth.CheckWelcome, Extra: cfg.Extra,
		Logger: cfg.Logger, JoinTimeout: cfg.JoinTimeout, EventQueueMax: cfg.EventQueueMax, InboxSize: cfg.InboxSize,
	}
}

// ErrStarted is returned by Register and Subscribe after Start, and by a
// second Start.
var ErrStarted = errors.New("client: component already started")

// Register declares a procedure (autobahn's @component.register): it is
// registered on every session, before Hooks.OnJoin, so it answers calls
// again after each reconnect with no user code. A refusal fails the
// join, which is retried like a failed connection. Call before Start.
func (c *Component) Register(procedure wamp.URI, h Handler, opts *RegisterOptions) error {
	if h == nil {
		return errors.New("client: component register: nil Handler")
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.started {
		return fmt.Errorf("client: component register %s: %w", procedure, ErrStarted)
	}
	c.regs = append(c.regs, declaredReg{procedure, h, opts})
	return nil
}

// Subscribe declares a subscription (autobahn's @component.subscribe),
// made on every session before Hooks.OnJoin. Call before Start.
func (c *Component) Subscribe(topic wamp.URI, h EventHandler, opts *SubscribeOptions) error {
	if h == nil {
		return errors.New("client: component subscribe: nil EventHandler")
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.started {
		return fmt.Errorf("client: component subscribe %s: %w", topic, ErrStarted)
	}
	c.subs = append(c.subs, declaredSub{topic, h, opts})
	return nil
}

// declare makes the declared registrations and subscriptions on s.
func (c *Component) declare(ctx context.Context, s *Session) error {
	ctx, cancel := context.WithTimeout(ctx, c.cfg.JoinTimeout)
	defer cancel()
	for _, r := range c.regs {
		if _, err := s.Register(ctx, r.procedure, r.h, r.opts); err != nil {
			return err
		}
	}
	for _, sub := range c.subs {
		if _, err := s.Subscribe(ctx, sub.topic, sub.h, sub.opts); err != nil {
			return err
		}
	}
	return nil
}

// Stop stops reconnecting and leaves the current session (a backoff wait
// ends at once); Start then returns nil. It does not wait: use Done.
// Stopping before Start makes Start return at once.
func (c *Component) Stop() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.stopped = true
	if c.stop != nil {
		c.stop(errStopped)
	}
}

var errStopped = errors.New("client: component stopped")

// Done returns a channel closed when Start has returned.
func (c *Component) Done() <-chan struct{} { return c.done }

// Session returns the current session once it is ready (joined, its
// declarations in place, OnJoin and OnReady run). While disconnected it
// waits for the next one until ctx ends, or fails at once when
// FailWhileDisconnected is set; both errors match ErrNotConnected. Once
// the component is done it fails with ErrComponentDone. Do not call it
// from OnJoin or OnReady, which run before the session is current: they
// get the session as an argument.
func (c *Component) Session(ctx context.Context) (*Session, error) {
	for {
		c.mu.Lock()
		s, over, ch := c.current, c.over, c.changed
		c.mu.Unlock()
		switch {
		case s != nil && s.Err() == nil:
			return s, nil
		case over:
			return nil, ErrComponentDone
		case c.cfg.FailWhileDisconnected:
			return nil, ErrNotConnected
		}
		select {
		case <-ch:
		case <-ctx.Done():
			return nil, fmt.Errorf("%w: %w", ErrNotConnected, ctx.Err())
		}
	}
}

// Call calls procedure on the current session, waiting for one as Session
// does. A call is sent once: if the session ends before the result, it
// fails (matching ErrSessionClosed) and is not repeated. A call the
// session refused without sending it (it had begun to leave: the router
// is shutting down, say) waits for the next session instead.
func (c *Component) Call(ctx context.Context, procedure wamp.URI, args wamp.List, kwargs wamp.Dict, opts *CallOptions) (*Result, error) {
	for {
		s, err := c.Session(ctx)
		if err != nil {
			return nil, fmt.Errorf("client: call %s: %w", procedure, err)
		}
		res, err := s.Call(ctx, procedure, args, kwargs, opts)
		if !notSent(err) || c.awaitOther(ctx, s) != nil {
			return res, err
		}
	}
}

// Publish publishes on the current session, waiting for one as Session
// does; like Call, a publication the session refused without sending it
// waits for the next session.
func (c *Component) Publish(ctx context.Context, topic wamp.URI, args wamp.List, kwargs wamp.Dict, opts *PublishOptions) error {
	for {
		s, err := c.Session(ctx)
		if err != nil {
			return fmt.Errorf("client: publish %s: %w", topic, err)
		}
		err = s.Publish(ctx, topic, args, kwargs, opts)
		if !notSent(err) || c.awaitOther(ctx, s) != nil {
			return err
		}
	}
}

// awaitOther waits until s is no longer the current session (it ended);
// it fails when ctx ends first or the component is done.
func (c *Component) awaitOther(ctx context.Context, s *Session) error {
	for {
		c.mu.Lock()
		cur, over, ch := c.current, c.over, c.changed
		c.mu.Unlock()
		switch {
		case over:
			return ErrComponentDone
		case cur != s:
			return nil
		}
		select {
		case <-ch:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

// setCurrent publishes the ready session (nil when it ended) and wakes
// Session's waiters.
func (c *Component) setCurrent(s *Session) {
	c.mu.Lock()
	c.current = s
	close(c.changed)
	c.changed = make(chan struct{})
	c.mu.Unlock()
}
