package core

import (
	"context"
	"errors"
	"runtime/debug"
	"sync"

	"github.com/switchboard-wamp/switchboard/core/engine"
	"github.com/switchboard-wamp/switchboard/core/router"
	"github.com/switchboard-wamp/switchboard/core/wamp"
)

// host is a Realm as the engine sees it (engine.Host): what the
// application adds to the protocol — authentication, the session objects
// and their hooks, topic handlers, its own session. The engine calls these
// on the realm's executor; what may block runs as tasks that report back.
type host Realm

var _ engine.Host = (*host)(nil)

func (h *host) realm() *Realm { return (*Realm)(h) }

// Authenticates implements engine.Host.
func (h *host) Authenticates() bool { return h.realm().authenticator() != nil }

// Authenticate implements engine.Host: the authenticator runs as a task
// that may block; an *AbortError refuses with its URI and message, any
// other error (logged, not sent) or no identity refuses with
// wamp.error.authentication_failed.
func (h *host) Authenticate(hs *engine.Handshake, done func(router.SessionInfo, *engine.Refusal)) {
	r := h.realm()
	auth := r.authenticator()
	if auth == nil { // removed since HELLO: nobody can admit the session
		done(router.SessionInfo{}, &engine.Refusal{URI: wamp.ErrAuthenticationFailed, Message: "authentication failed"})
		return
	}
	req := r.authRequest(hs)
	work := func(ctx context.Context) {
		id, err := r.runAuthenticator(ctx, auth, req)
		if err == nil && id == nil {
			err = errors.New("core: authenticator returned neither an identity nor an error")
		}
		if err != nil {
			done(router.SessionInfo{}, r.refusal(hs, err, wamp.ErrAuthenticationFailed, "authentication failed"))
			return
		}
		done(router.SessionInfo{AuthID: id.AuthID, AuthRole: id.AuthRole, AuthMethod: id.AuthMethod,
			AuthProvider: id.AuthProvider, AuthExtra: id.AuthExtra}, nil)
	}
	if err := r.spawnBlocking(r.handlerContext(hs.Context(), nil), work); err != nil {
		done(router.SessionInfo{}, &engine.Refusal{URI: wamp.ErrAuthenticationFailed, Message: "the router could not run the authentication"})
	}
}

func (r *Realm) runAuthenticator(ctx context.Context, auth Authenticator, req *AuthRequest) (id *Identity, err error) {
	defer func() {
		if v := recover(); v != nil {
			err = panicError(v)
			r.sessionLog(req.SessionID, req.Transport.PeerAddr).Error("authenticator panicked", "panic", v, "stack", string(debug.Stack()))
		}
	}()
	return auth(ctx, req)
}

// refusal maps an authenticator's or hook's error to the ABORT it causes:
// an *AbortError's own URI and message; system_shutdown when the
// application is closing; else defURI and defMsg, with err logged.
func (r *Realm) refusal(hs *engine.Handshake, err error, defURI wamp.URI, defMsg string) *engine.Refusal {
	var ae *AbortError
	switch {
	case errors.As(err, &ae):
		return &engine.Refusal{URI: ae.URI, Message: ae.Message}
	case r.app.isClosed():
		return &engine.Refusal{URI: wamp.CloseSystemShutdown, Message: "the router is shutting down"}
	}
	if hs.Context().Err() == nil {
		r.sessionLog(hs.SessionID(), hs.Transport().PeerAddr).Warn("session refused", "reason", string(defURI), "err", err)
	}
	return &engine.Refusal{URI: defURI, Message: defMsg}
}

// Open implements engine.Host: it builds the admitted Session, checks the
// realm's session limit and runs the session-open hooks (concurrent tasks
// that may block); the last one to finish reports.
func (h *host) Open(hs *engine.Handshake, info router.SessionInfo, done func(*engine.Refusal)) (*engine.Refusal, bool) {
	r := h.realm()
	s := newSession(r, hs.SessionID(), hs.Hello().Realm, info, Connection(hs.Transport()))
	if !r.sessions.tryAdd(s) {
		return &engine.Refusal{URI: ReasonTooManySessions, Message: "realm " + string(r.uri) + " has reached its session limit"}, true
	}
	hooks := r.sessionHooks()
	if len(hooks) == 0 {
		return nil, true
	}
	o := &opening{r: r, hs: hs, s: s, left: len(hooks), done: done}
	ctx := r.handlerContext(hs.Context(), s)
	for _, hk := range hooks {
		err := r.spawnBlocking(ctx, func(ctx context.Context) {
			onClose, err := r.runHook(ctx, hk, s)
			o.hookDone(onClose, err)
		})
		if err != nil {
			o.hookDone(nil, err)
		}
	}
	return nil, false
}

// opening counts a session's hooks as they finish, on their own tasks.
type opening struct {
	r    *Realm
	hs   *engine.Handshake
	s    *Session
	done func(*engine.Refusal)

	mu      sync.Mutex // the hooks' join: they finish on their own tasks
	left    int
	failure error
}

// hookDone records one hook's outcome; the last one reports.
func (o *opening) hookDone(onClose func(context.Context), err error) {
	if onClose != nil {
		o.s.addCloser(onClose)
	}
	o.mu.Lock()
	if err != nil && o.failure == nil {
		o.failure = err
	}
	o.left--
	last, failure := o.left == 0, o.failure
	o.mu.Unlock()
	if !last {
		return
	}
	if failure != nil {
		o.done(o.r.refusal(o.hs, failure, wamp.ErrAuthorizationFailed, "the session could not be set up"))
		return
	}
	o.done(nil)
}

// End implements engine.Host: the session's context ends and its hooks'
// close parts start.
func (h *host) End(sid wamp.ID) {
	if s, ok := h.realm().sessions.get(sid); ok {
		s.end()
	}
}

// Notices implements engine.Host (topics.go).
// The cluster announces the subscriptions that appear and go.
func (h *host) Notices(fx *router.Effects) {
	r := h.realm()
	if c := r.cluster.Load(); c != nil {
		c.Notices(fx.Notify)
	}
	r.handleNotices(fx)
}

// Flush implements engine.Host: the application's own session sends what
// the round of effects made it want to send.
func (h *host) Flush() {
	if l := h.realm().local; l != nil {
		l.flush()
	}
}

// authRequest describes the HELLO to the authenticator.
func (r *Realm) authRequest(hs *engine.Handshake) *AuthRequest {
	d := hs.Hello().Details
	q := &AuthRequest{SessionID: hs.SessionID(), Realm: hs.Hello().Realm, RealmURI: r.uri, Details: d,
		Transport: Connection(hs.Transport()), hs: hs}
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
