package engine

import (
	"context"
	"errors"
	"log/slog"
	"sync"
	"time"

	"github.com/switchboard-wamp/switchboard/core/router"
	"github.com/switchboard-wamp/switchboard/core/wamp"
	"github.com/switchboard-wamp/switchboard/scheduler"
	"github.com/switchboard-wamp/switchboard/transport"
)

// The engine's part of the session handshake. The states, the deadline and
// every decision live in the pure router (core/router/handshake.go); the
// realm's executor carries out the steps it asks for (router.HandshakeOp),
// the Host runs what may block (the authenticator, the session-open hooks)
// off the executor, and the outcomes come back as events. No lock orders
// any of it.

// Errors of Handshake.Challenge.
var (
	// ErrHandshakeEnded: the connection closed, the handshake timed out or
	// the application is closing.
	ErrHandshakeEnded = errors.New("core: the session's handshake has ended")
	// ErrChallengePending: a CHALLENGE is already waiting for its
	// AUTHENTICATE.
	ErrChallengePending = errors.New("core: a CHALLENGE is already waiting for its AUTHENTICATE")
)

// Handshake is one session in its handshake, from HELLO to WELCOME or its
// end, as the Host sees it. Its methods are safe for concurrent use.
type Handshake struct {
	realm *Realm
	sid   wamp.ID
	c     *conn
	hello *wamp.Hello

	// mu guards what is made on first use: most handshakes (anonymous,
	// no session-open hook) need neither a context nor a channel.
	mu sync.Mutex
	// ctx is cancelled when the handshake ends, either way (over).
	ctx    context.Context
	cancel context.CancelFunc
	over   bool
	// answers carries the router's answer to the outstanding Challenge
	// (capacity 1: at most one is outstanding).
	answers chan challengeAnswer

	// Executor-owned.
	opening bool   // Host.Open's done has not come yet
	ended   bool   // HandshakeEnd came while opening
	refused bool   // the engine fed the router a refusal (not a timeout)
	method  string // the method of the last CHALLENGE, for Metrics
}

// authMethod is the method an authentication failure is counted under:
// the last CHALLENGE's, else the first the client offered, else
// anonymous. Executor-only.
func (h *Handshake) authMethod() string {
	if h.method != "" {
		return h.method
	}
	if ms, ok := h.hello.Details["authmethods"].([]any); ok && len(ms) > 0 {
		if m, ok := ms[0].(string); ok {
			return m
		}
	}
	return "anonymous"
}

// challengeAnswer is the client's AUTHENTICATE, or why there is none.
type challengeAnswer struct {
	msg     *wamp.Authenticate
	refusal string
}

// SessionID is the ID the session has, if welcomed.
func (h *Handshake) SessionID() wamp.ID { return h.sid }

// Hello is the session's HELLO.
func (h *Handshake) Hello() *wamp.Hello { return h.hello }

// Transport describes the connection.
func (h *Handshake) Transport() transport.Info { return h.c.peer.Info() }

// Context is cancelled when the handshake ends, either way.
func (h *Handshake) Context() context.Context {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.ctx == nil {
		if h.over {
			h.ctx = endedContext
		} else {
			h.ctx, h.cancel = context.WithCancel(h.c.srv.Admit)
		}
	}
	return h.ctx
}

// endedContext is the Context of a handshake that ended before anyone
// asked for one.
var endedContext = func() context.Context {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	return ctx
}()

// end cancels the handshake's context, now or as soon as it is made.
func (h *Handshake) end() {
	h.mu.Lock()
	h.over = true
	if h.cancel != nil {
		h.cancel()
	}
	h.mu.Unlock()
}

// answerChan returns the channel of Challenge's answers, made on first use.
func (h *Handshake) answerChan() chan challengeAnswer {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.answers == nil {
		h.answers = make(chan challengeAnswer, 1)
	}
	return h.answers
}

// Challenge sends CHALLENGE {method, extra} and waits for the client's
// AUTHENTICATE. It returns ctx's error, ErrChallengePending while another
// CHALLENGE is outstanding, or ErrHandshakeEnded when the handshake ends
// first. An answer to a Challenge that gave up on its ctx is dropped.
func (h *Handshake) Challenge(ctx context.Context, method string, extra wamp.Dict) (*wamp.Authenticate, error) {
	answers, hctx := h.answerChan(), h.Context()
	select {
	case <-answers:
	default:
	}
	r := h.realm
	if hctx.Err() != nil || !r.ex.Post(func() {
		h.method = method
		r.Do(func(now time.Time, rr *router.Realm, fx *router.Effects) {
			rr.AuthChallenge(now, h.sid, method, extra, fx)
		})
	}) {
		return nil, ErrHandshakeEnded
	}
	// The client may never answer: on a backend with bounded workers the
	// wait must not hold one, or a flood of unanswered challenges would
	// stall every other session's authentication and handlers.
	var a challengeAnswer
	var err error
	scheduler.WaitOutside(r.as, ctx, func() {
		select {
		case a = <-answers:
		case <-ctx.Done():
			err = ctx.Err()
		case <-hctx.Done():
			err = ErrHandshakeEnded
		}
	})
	switch {
	case err != nil:
		return nil, err
	case a.msg != nil:
		return a.msg, nil
	case a.refusal == router.RefusalPending:
		return nil, ErrChallengePending
	}
	return nil, ErrHandshakeEnded
}

// Delay waits d on the backend's clock, as a login-failure penalty does,
// without holding a bounded backend's place meanwhile (see Challenge).
// It returns ctx's error, or ErrHandshakeEnded when the handshake ends
// first; ctx must be the calling task's context or derived from it.
func (h *Handshake) Delay(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return h.endedErr()
	}
	done := make(chan struct{})
	t := h.realm.as.AfterFunc(d, func() { close(done) })
	defer t.Stop()
	var err error
	scheduler.WaitOutside(h.realm.as, ctx, func() {
		select {
		case <-done:
			err = h.endedErr()
		case <-ctx.Done():
			err = ctx.Err()
		case <-h.ctx.Done():
			err = ErrHandshakeEnded
		}
	})
	return err
}

// endedErr reports ErrHandshakeEnded once the handshake has ended.
func (h *Handshake) endedErr() error {
	if h.ctx.Err() != nil {
		return ErrHandshakeEnded
	}
	return nil
}

// hello starts the handshake of a connection whose HELLO chose this realm.
// Executor-only.
func (r *Realm) hello(sid wamp.ID, c *conn, hello *wamp.Hello) {
	r.hs[sid] = &Handshake{realm: r, sid: sid, c: c, hello: hello}
	r.outlets[sid] = c.peer
	cfg := router.HelloConfig{
		Deadline:     c.start.Add(c.srv.HandshakeTimeout),
		Authenticate: r.host.Authenticates(),
		Transport:    transportInfo(c.peer.Info()),
	}
	if hello.Realm != r.uri {
		cfg.Realm = hello.Realm
	}
	r.r.Hello(r.as.Now(), sid, hello, cfg, &r.fx)
}

// handshakeStep carries out one step the router asked for (duty 6).
// Executor-only.
func (r *Realm) handshakeStep(op router.HandshakeOp) {
	h := r.hs[op.Session]
	if h == nil {
		return
	}
	switch op.Kind {
	case router.HandshakeAuthenticate:
		r.host.Authenticate(h, func(info router.SessionInfo, refusal *Refusal) {
			r.ex.Post(func() {
				if refusal != nil {
					h.refused = true
					if refusal.URI != wamp.CloseSystemShutdown {
						r.metrics.authFailed(h.authMethod())
					}
				}
				r.Do(func(now time.Time, rr *router.Realm, fx *router.Effects) {
					if refusal != nil {
						rr.Refused(now, h.sid, refusal.URI, refusal.Message, fx)
						return
					}
					rr.Authenticated(now, h.sid, info, fx)
				})
			})
		})
	case router.HandshakeAnswer:
		select { // at most one Challenge is outstanding; a stale answer is dropped
		case h.answerChan() <- challengeAnswer{msg: op.Answer, refusal: op.Refusal}:
		default:
		}
	case router.HandshakeOpen:
		h.opening = true
		refusal, now := r.host.Open(h, op.Info, func(refusal *Refusal) {
			if !r.ex.Post(func() { r.opened(h, refusal) }) {
				r.host.End(h.sid) // the realm's executor is gone: release the session anyway
			}
		})
		if now {
			r.opened(h, refusal)
		}
	case router.HandshakeWelcome:
		h.c.handshakeDone()
		delete(r.hs, h.sid)
		h.end()
	case router.HandshakeEnd:
		h.c.handshakeDone()
		h.end()
		r.countEnd(h, op.Reason)
		if op.Reason != "" && r.log.Enabled(context.Background(), slog.LevelDebug) {
			r.sessionLog(h.sid).Debug("handshake ended", "reason", string(op.Reason))
		}
		if h.opening {
			h.ended = true // the Host's done ends the session
			return
		}
		delete(r.hs, h.sid)
		r.host.End(h.sid)
	}
}

// countEnd counts a handshake that ended for a reason Metrics follows. The
// router ends a handshake with wamp.error.authentication_failed itself only
// at its deadline, and with wamp.error.no_matching_auth_method itself for a
// realm without an authenticator; the other such ends are the engine's
// refusals, counted when they were made (h.refused).
// Executor-only.
func (r *Realm) countEnd(h *Handshake, reason wamp.URI) {
	switch {
	case reason == wamp.ErrAuthenticationFailed && !h.refused:
		r.metrics.handshakeTimedOut()
	case reason == wamp.ErrNoMatchingAuthMethod && !h.refused:
		r.metrics.authFailed(h.authMethod())
	}
}

// opened feeds Host.Open's outcome to the router, or ends the session when
// the handshake ended meanwhile. Executor-only.
func (r *Realm) opened(h *Handshake, refusal *Refusal) {
	h.opening = false
	if h.ended {
		delete(r.hs, h.sid)
		r.host.End(h.sid)
		return
	}
	h.refused = refusal != nil
	r.Do(func(now time.Time, rr *router.Realm, fx *router.Effects) {
		if refusal != nil {
			rr.Refused(now, h.sid, refusal.URI, refusal.Message, fx)
			return
		}
		rr.Opened(now, h.sid, fx)
	})
}

// transportInfo is what the session meta API's "transport" dict says of a
// connection (wamp.session.get, wamp.session.on_join): its kind
// ("websocket", "rawsocket"), serializer, peer address and whether it is
// TLS. Headers and cookies stay out: they may hold credentials.
func transportInfo(info transport.Info) router.TransportInfo {
	return router.TransportInfo{Type: info.Transport, Serializer: info.Serializer, Peer: info.PeerAddr, TLS: info.TLS}
}
