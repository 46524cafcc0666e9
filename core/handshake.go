package core

import (
	"context"
	"errors"
	"runtime/debug"

	"github.com/switchboard-wamp/switchboard/core/router"
	"github.com/switchboard-wamp/switchboard/core/wamp"
)

// The engine's part of the session handshake. The states, the deadline and
// every decision live in the pure router (core/router/handshake.go); the
// realm's executor carries out the steps it asks for (router.HandshakeOp)
// and feeds their outcomes back as events. Everything here runs on the
// realm's executor except the tasks it spawns (the authenticator, the
// session-open hooks), which post their outcome back; no lock orders any of
// it.

// handshake is the engine's record of one session in its handshake, from
// HELLO to WELCOME or its end. Executor-owned, except ctx and answers,
// which the authenticator's task uses.
type handshake struct {
	realm *Realm
	sid   wamp.ID
	c     *conn
	hello *wamp.Hello

	// ctx is cancelled when the handshake ends, either way: the
	// authenticator and the hooks' contexts derive from it.
	ctx    context.Context
	cancel context.CancelFunc
	// answers carries the router's answer to the authenticator's
	// outstanding Challenge (capacity 1: at most one is outstanding).
	answers chan challengeAnswer

	sess      *Session // built at HandshakeOpen
	hooksLeft int      // session-open hooks still running
	failure   error    // the first hook failure
	ended     bool     // HandshakeEnd came while hooks were running
}

// challengeAnswer is the client's AUTHENTICATE, or why there is none.
type challengeAnswer struct {
	msg     *wamp.Authenticate
	refusal string
}

// hello starts the handshake of a connection whose HELLO chose this realm.
// Executor-only.
func (r *Realm) hello(sid wamp.ID, c *conn, hello *wamp.Hello) {
	ctx, cancel := context.WithCancel(r.app.admitCtx)
	r.hs[sid] = &handshake{realm: r, sid: sid, c: c, hello: hello, ctx: ctx, cancel: cancel,
		answers: make(chan challengeAnswer, 1)}
	r.outlets[sid] = c.peer
	cfg := router.HelloConfig{
		Deadline:     c.start.Add(r.app.cfg.HandshakeTimeout),
		Authenticate: r.authenticator() != nil,
	}
	if hello.Realm != r.uri {
		cfg.Realm = hello.Realm
	}
	r.r.Hello(r.as.Now(), sid, hello, cfg, &r.fx)
}

// handshakeStep carries out one step the router asked for. Steps may feed
// the router at once (no hooks to run: Opened), which only appends to r.fx
// for the apply loop. Executor-only.
func (r *Realm) handshakeStep(op router.HandshakeOp) {
	hs := r.hs[op.Session]
	if hs == nil {
		return
	}
	switch op.Kind {
	case router.HandshakeAuthenticate:
		r.startAuthenticator(hs)
	case router.HandshakeAnswer:
		select { // at most one Challenge is outstanding; a stale answer is dropped
		case hs.answers <- challengeAnswer{msg: op.Answer, refusal: op.Refusal}:
		default:
		}
	case router.HandshakeOpen:
		r.open(hs, op.Info)
	case router.HandshakeWelcome:
		delete(r.hs, hs.sid)
		hs.cancel()
	case router.HandshakeEnd:
		hs.cancel()
		if op.Reason != "" {
			r.log.Debug("handshake ended", "session", hs.sid, "peer", hs.c.peer.Info().PeerAddr, "reason", string(op.Reason))
		}
		if hs.hooksLeft > 0 {
			hs.ended = true // the last hook to finish ends the session
			return
		}
		delete(r.hs, hs.sid)
		if hs.sess != nil {
			hs.sess.end()
		}
	}
}

// startAuthenticator runs the realm's authenticator as a task that may
// block; its outcome comes back to the executor as Authenticated or
// Refused. Executor-only.
func (r *Realm) startAuthenticator(hs *handshake) {
	auth := r.authenticator()
	if auth == nil { // removed since HELLO: nobody can admit the session
		r.r.Refused(r.as.Now(), hs.sid, wamp.ErrAuthenticationFailed, "authentication failed", &r.fx)
		return
	}
	req := r.authRequest(hs)
	work := func(ctx context.Context) {
		id, err := r.runAuthenticator(ctx, auth, req)
		r.ex.Post(func() {
			r.authenticated(hs, id, err)
			r.apply()
		})
	}
	if err := r.spawnBlocking(r.handlerContext(hs.ctx, nil), work); err != nil {
		r.r.Refused(r.as.Now(), hs.sid, wamp.ErrAuthenticationFailed, "the router could not run the authentication", &r.fx)
	}
}

func (r *Realm) runAuthenticator(ctx context.Context, auth Authenticator, req *AuthRequest) (id *Identity, err error) {
	defer func() {
		if v := recover(); v != nil {
			err = panicError(v)
			r.log.Error("authenticator panicked", "session", req.SessionID, "panic", v, "stack", string(debug.Stack()))
		}
	}()
	return auth(ctx, req)
}

// authenticated feeds the authenticator's outcome to the router: an
// *AbortError refuses with its URI and message; any other error (logged,
// not sent) or no identity refuses with wamp.error.authentication_failed.
// Executor-only.
func (r *Realm) authenticated(hs *handshake, id *Identity, err error) {
	now := r.as.Now()
	if err == nil && id == nil {
		err = errors.New("core: authenticator returned neither an identity nor an error")
	}
	if err != nil {
		uri, msg := r.refusal(hs, err, wamp.ErrAuthenticationFailed, "authentication failed")
		r.r.Refused(now, hs.sid, uri, msg, &r.fx)
		return
	}
	r.r.Authenticated(now, hs.sid, router.SessionInfo{AuthID: id.AuthID, AuthRole: id.AuthRole,
		AuthMethod: id.AuthMethod, AuthProvider: id.AuthProvider, AuthExtra: id.AuthExtra}, &r.fx)
}

// refusal maps an authenticator's or hook's error to the ABORT it causes:
// an *AbortError's own URI and message; system_shutdown when the
// application is closing; else defURI and defMsg, with err logged.
func (r *Realm) refusal(hs *handshake, err error, defURI wamp.URI, defMsg string) (wamp.URI, string) {
	var ae *AbortError
	switch {
	case errors.As(err, &ae):
		return ae.URI, ae.Message
	case r.app.isClosed():
		return wamp.CloseSystemShutdown, "the router is shutting down"
	}
	if hs.ctx.Err() == nil {
		r.log.Warn("session refused", "session", hs.sid, "reason", string(defURI), "err", err)
	}
	return defURI, defMsg
}

// open builds the admitted session, checks the realm's session limit and
// runs the session-open hooks (concurrent tasks that may block); the last
// one to finish lets the router welcome the session (Opened) or refuse it.
// Executor-only.
func (r *Realm) open(hs *handshake, info router.SessionInfo) {
	now := r.as.Now()
	s := newSession(r, hs.sid, hs.hello.Realm, info, connectionOf(hs.c.peer.Info()))
	if !r.sessions.tryAdd(s) {
		r.r.Refused(now, hs.sid, ReasonTooManySessions, "realm "+string(r.uri)+" has reached its session limit", &r.fx)
		return
	}
	hs.sess = s
	hooks := r.sessionHooks()
	if len(hooks) == 0 {
		r.r.Opened(now, hs.sid, &r.fx)
		return
	}
	hs.hooksLeft = len(hooks)
	ctx := r.handlerContext(hs.ctx, s)
	for _, h := range hooks {
		err := r.spawnBlocking(ctx, func(ctx context.Context) {
			onClose, err := r.runHook(ctx, h, s)
			r.ex.Post(func() {
				r.hookDone(hs, onClose, err)
				r.apply()
			})
		})
		if err != nil {
			r.hookDone(hs, nil, err)
		}
	}
}

// hookDone records one session-open hook's outcome; after the last one the
// session is welcomed, refused, or (the handshake ended meanwhile) ended.
// Executor-only.
func (r *Realm) hookDone(hs *handshake, onClose func(context.Context), err error) {
	if onClose != nil {
		hs.sess.addCloser(onClose)
	}
	if err != nil && hs.failure == nil {
		hs.failure = err
	}
	if hs.hooksLeft--; hs.hooksLeft > 0 {
		return
	}
	now := r.as.Now()
	switch {
	case hs.ended:
		delete(r.hs, hs.sid)
		hs.sess.end()
	case hs.failure != nil:
		uri, msg := r.refusal(hs, hs.failure, wamp.ErrAuthorizationFailed, "the session could not be set up")
		r.r.Refused(now, hs.sid, uri, msg, &r.fx)
	default:
		r.r.Opened(now, hs.sid, &r.fx)
	}
}

// authRequest describes the HELLO to the authenticator.
func (r *Realm) authRequest(hs *handshake) *AuthRequest {
	d := hs.hello.Details
	q := &AuthRequest{SessionID: hs.sid, Realm: hs.hello.Realm, RealmURI: r.uri, Details: d,
		Transport: connectionOf(hs.c.peer.Info()), hs: hs}
	q.AuthID, _ = d["authid"].(string)
	q.AuthExtra, _ = d["authextra"].(wamp.Dict)
	if methods, ok := d["authmethods"].([]any); ok {
		for _, m := range methods {
			if s, ok := m.(string); ok {
				q.AuthMethods = append(q.AuthMethods, s)
			}
		}
	}
	return q
}
