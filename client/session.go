package client

import (
	"context"
	"fmt"
	"log/slog"

	"github.com/switchboard-wamp/switchboard/core/peer"
	"github.com/switchboard-wamp/switchboard/core/wamp"
	"github.com/switchboard-wamp/switchboard/scheduler"
	"github.com/switchboard-wamp/switchboard/transport"
)

// DialFunc opens the connection a session runs on. It must install a as
// the connection's Acceptor (transport.DialWebSocket does) and return the
// connected Peer. Join uses it so that a session runs over any transport,
// including in-memory ones in tests.
type DialFunc func(ctx context.Context, a transport.Acceptor) (transport.Peer, error)

// Session is one joined WAMP client session. All its methods are safe for
// concurrent use by any number of goroutines.
//
// Internally one serial executor of Config.Backend owns the protocol state
// (a core/peer.Peer): methods post their request to it, or run it on the
// calling goroutine when it is idle and can be claimed (see run), and wait
// for the reply on a per-request queue; handlers and callbacks run as
// backend tasks, never on that executor.
type Session struct {
	cfg   Config
	as    scheduler.AsyncSupport
	ex    scheduler.Executor
	inbox scheduler.Mailbox
	log   *slog.Logger

	// ctx ends when the session does; it parents handler contexts.
	ctx    context.Context
	cancel context.CancelFunc

	// Written on the executor before joined is closed; read-only after.
	id      wamp.ID
	details wamp.Dict
	joined  chan struct{}
	// ready is closed after the join hooks ran (at once without hooks);
	// joinErr is written by a failed OnJoin before the session ends.
	ready   chan struct{}
	joinErr error
	// hooks runs the lifecycle Hooks, in order, off the executor.
	hooks *blockingStrand

	// err is written on the executor before done is closed.
	done chan struct{}
	err  *CloseError

	// Executor-only state.
	p         *peer.Peer
	fx, fxRun peer.Effects
	flushing  bool
	tp        transport.Peer
	inl       transport.InlineSender // tp, when messages are written inline (see run)
	isJoined  bool
	closeErr  *CloseError
	joinTimer scheduler.Timer
	connected bool // OnConnect was queued
	helloSent bool
	invs      map[wamp.ID]*running
}

// Join opens a connection with dial, joins cfg.Realm and returns the
// established session, once cfg.Hooks.OnJoin and OnReady have run. It fails with an error wrapping ErrConfig, the dial
// error, or a *CloseError (errors.As) carrying the router's ABORT reason;
// ctx and cfg.JoinTimeout bound the whole join.
func Join(ctx context.Context, dial DialFunc, cfg Config) (*Session, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	s := newSession(cfg.withDefaults())
	tp, err := dial(ctx, transport.AcceptorFunc(s.accept))
	if err != nil {
		s.post(func() { s.p.Drop(err, &s.fx); s.flush() })
		if h := cfg.Hooks.OnConnectFailure; h != nil {
			h(err)
		}
		return nil, fmt.Errorf("client: join realm %q: %w", cfg.Realm, err)
	}
	if !s.post(func() { s.start(tp) }) {
		tp.Close()
		return nil, fmt.Errorf("client: join realm %q: %w", cfg.Realm, scheduler.ErrClosed)
	}
	select {
	case <-s.ready:
		return s, nil
	case <-s.done:
	case <-ctx.Done():
		if !s.post(func() { s.abort(wamp.CloseNormal, context.Cause(ctx)) }) {
			return nil, fmt.Errorf("client: join realm %q: %w", cfg.Realm, ctx.Err())
		}
		<-s.done
	}
	if s.joinErr != nil {
		return nil, fmt.Errorf("client: join realm %q: %w", cfg.Realm, s.joinErr)
	}
	return nil, fmt.Errorf("client: join realm %q: %w", cfg.Realm, s.err)
}

func newSession(cfg Config) *Session {
	s := &Session{
		cfg:    cfg,
		as:     cfg.Backend,
		ex:     cfg.Backend.NewExecutor("client " + string(cfg.Realm)),
		log:    cfg.Logger.With("realm", string(cfg.Realm)),
		joined: make(chan struct{}),
		ready:  make(chan struct{}),
		done:   make(chan struct{}),
		invs:   make(map[wamp.ID]*running),
		p: peer.New(peer.Config{
			Realm: cfg.Realm, AuthID: cfg.AuthID, AuthMethods: cfg.AuthMethods, AuthExtra: cfg.AuthExtra,
		}),
	}
	s.ctx, s.cancel = context.WithCancel(context.Background())
	// Not s.ctx: OnLeave and OnDisconnect run after the session ended.
	s.hooks = &blockingStrand{as: s.as, ctx: context.Background()}
	s.inbox = s.as.NewMailbox(s.ex, cfg.InboxSize, s.receive)
	return s
}

// start attaches the connection and sends HELLO. Executor-only.
func (s *Session) start(tp transport.Peer) {
	s.tp = tp
	if writesInline(s.as, s.ex) {
		s.inl, _ = tp.(transport.InlineSender)
	}
	if s.p.Closed() { // the connection dropped before dial returned
		tp.Close()
		return
	}
	s.connectedHook()
	s.helloSent = true
	_ = s.p.Hello(&s.fx)
	s.joinTimer = s.as.AfterFunc(s.cfg.JoinTimeout, func() {
		s.post(func() {
			if !s.isJoined {
				s.abort(wamp.ErrTimeout, ErrJoinTimeout)
			}
		})
	})
	s.flush()
}

// ID returns the session ID the router assigned in WELCOME.
func (s *Session) ID() wamp.ID { return s.id }

// Extra returns Config.Extra (autobahn's ComponentConfig.extra).
func (s *Session) Extra() any { return s.cfg.Extra }

// Details returns the WELCOME details (authid, authrole, roles, ...). The
// map is shared: do not modify it.
func (s *Session) Details() wamp.Dict { return s.details }

// Done returns a channel closed when the session has ended.
func (s *Session) Done() <-chan struct{} { return s.done }

// Err returns nil while the session is open, then a *CloseError telling
// why it ended (it matches ErrSessionClosed).
func (s *Session) Err() error {
	select {
	case <-s.done:
		return s.err
	default:
		return nil
	}
}

// Leave says GOODBYE with reason ("" = wamp.close.normal), waits for the
// router's GOODBYE, and closes the connection. If ctx ends first the
// connection is closed anyway and ctx's error is returned. Leave returns
// nil when the session ended with a GOODBYE exchange (including one the
// router started meanwhile); called on a session that had already ended,
// it returns Err().
func (s *Session) Leave(ctx context.Context, reason wamp.URI) error {
	select {
	case <-s.done:
		return s.err
	default:
	}
	if err := s.mayWait("leave"); err != nil {
		return err
	}
	if !s.post(func() { _ = s.p.Leave(reason, &s.fx); s.flush() }) {
		return s.closedError("leave")
	}
	select {
	case <-s.done:
	case <-ctx.Done():
		if s.post(func() { s.p.Drop(context.Cause(ctx), &s.fx); s.flush() }) {
			<-s.done
		}
		return fmt.Errorf("client: leave: %w", ctx.Err())
	}
	if s.err.Goodbye {
		return nil
	}
	return s.err
}

// mayWait fails with scheduler.ErrWouldBlock when the caller runs on an
// event loop's goroutine, where waiting for the router's answer would
// deadlock the loop (the answer is processed by that same goroutine).
func (s *Session) mayWait(op string) error {
	if scheduler.OnLoop(s.as) {
		return fmt.Errorf("client: %s: %w (register the handler with Blocking: true, or call from another goroutine)", op, scheduler.ErrWouldBlock)
	}
	return nil
}

// post runs f on the session executor; false when the backend is closed.
func (s *Session) post(f func()) bool { return s.ex.Post(f) }

// run runs f on the session executor: on the calling goroutine when the
// executor is idle and can be claimed (scheduler.RunOrPost: the event loop
// and the pool), else posted. For a request made by a goroutine that waits
// for its answer next (Call, an acknowledged Publish) or is about to end (a
// handler's answer), this saves waking the executor's goroutine, and the
// message then goes out on the same goroutine (see writesInline). false
// when the backend is closed.
func (s *Session) run(f func()) bool { return scheduler.RunOrPost(s.ex, f) }

// writesInline reports whether the session writes a message on the
// goroutine that produced it when its connection has nothing queued
// (transport.InlineSender): on the backends whose executors are claimed
// (the event loop, the pool), where that goroutine is a caller, a reader
// or a loop for which a write costs less than waking the connection's
// writer. The goroutine backend keeps its writer goroutines, as its
// router does.
func writesInline(as scheduler.AsyncSupport, ex scheduler.Executor) bool {
	_, claimable := ex.(scheduler.ExecutorClaimer)
	_, loop := as.(scheduler.Loop)
	return claimable || loop
}

// abort ends the session for a local reason, sending ABORT. Executor-only.
func (s *Session) abort(reason wamp.URI, cause error) {
	s.p.Abort(reason, cause, &s.fx)
	s.flush()
}
