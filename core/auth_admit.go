package core

import (
	"context"
	"errors"
	"runtime/debug"
	"strconv"
	"sync"
	"sync/atomic"

	"github.com/switchboard-wamp/switchboard/core/router"
	"github.com/switchboard-wamp/switchboard/core/wamp"
)

// admission takes one accepted HELLO to WELCOME: authentication (anonymous
// inline, or an Authenticator as a backend task), the session limit, the
// session hooks' open parts (concurrent tasks), and finally the join, which
// runs on the realm's executor. No step waits for another task: each one
// starts the next when it finishes, so the admission never holds a worker
// of a bounded backend or the event loop while it waits.
//
// Until the join, the admission owns the Session it built: if the
// handshake ends first (connection dropped, timeout, protocol violation,
// application closing), the next step notices and cleans up, running the
// close parts of the hooks that opened.
type admission struct {
	c      *conn
	realm  *Realm
	hello  *wamp.Hello
	sid    wamp.ID
	ctx    context.Context // cancelled when the handshake ends, either way
	cancel context.CancelFunc

	info    router.SessionInfo // the admitted identity
	sess    *Session
	cleaned atomic.Bool

	mu      sync.Mutex // guards left and failure, written by hook tasks
	left    int
	failure error
}

func newAdmission(c *conn, realm *Realm, hello *wamp.Hello) *admission {
	ctx, cancel := context.WithCancel(c.app.admitCtx)
	return &admission{c: c, realm: realm, hello: hello, sid: c.app.cfg.IDs.NextID(), ctx: ctx, cancel: cancel}
}

// startAuthentication runs auth as a backend task that may block.
func (adm *admission) startAuthentication(auth Authenticator) {
	req := adm.authRequest()
	work := func(ctx context.Context) {
		id, err := adm.runAuthenticator(ctx, auth, req)
		if err != nil {
			adm.fail(err, wamp.ErrAuthenticationFailed, "authentication failed")
			return
		}
		if id == nil {
			adm.fail(errors.New("core: authenticator returned neither an identity nor an error"),
				wamp.ErrAuthenticationFailed, "authentication failed")
			return
		}
		adm.admit(req.identityInfo(id))
	}
	if err := adm.realm.spawnBlocking(adm.realm.handlerContext(adm.ctx, nil), work); err != nil {
		adm.fail(err, wamp.ErrAuthenticationFailed, "the router could not run the authentication")
	}
}

func (adm *admission) runAuthenticator(ctx context.Context, auth Authenticator, req *AuthRequest) (id *Identity, err error) {
	defer func() {
		if v := recover(); v != nil {
			err = panicError(v)
			adm.realm.log.Error("authenticator panicked", "session", adm.sid, "panic", v, "stack", string(debug.Stack()))
		}
	}()
	return auth(ctx, req)
}

func (adm *admission) authRequest() *AuthRequest {
	d := adm.hello.Details
	q := &AuthRequest{SessionID: adm.sid, Realm: adm.hello.Realm, RealmURI: adm.realm.uri, Details: d,
		Transport: adm.c.peer.Info(), adm: adm}
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

// identityInfo fills in the defaults of an admitted identity.
func (q *AuthRequest) identityInfo(id *Identity) router.SessionInfo {
	info := router.SessionInfo{AuthID: id.AuthID, AuthRole: id.AuthRole, AuthMethod: id.AuthMethod,
		AuthProvider: id.AuthProvider, AuthExtra: id.AuthExtra}
	if info.AuthRole == "" {
		info.AuthRole = "authenticated"
	}
	if info.AuthMethod == "" {
		q.mu.Lock()
		info.AuthMethod = q.lastMethod
		q.mu.Unlock()
		if info.AuthMethod == "" {
			info.AuthMethod = "custom"
		}
	}
	if info.AuthProvider == "" {
		info.AuthProvider = "application"
	}
	return info
}

// admit builds the admitted session, checks the realm's session limit and
// runs the session hooks' open parts, then joins.
func (adm *admission) admit(info router.SessionInfo) {
	c, r := adm.c, adm.realm
	if c.state.Load() != connAdmitting {
		adm.cleanup()
		return
	}
	if info.AuthID == "" {
		info.AuthID = strconv.FormatUint(uint64(adm.sid), 10)
	}
	if adm.hello.Realm != r.uri {
		info.Realm = adm.hello.Realm
	}
	ti := c.peer.Info()
	adm.info = info
	s := newSession(r, adm.sid, adm.hello.Realm, info, ti)
	if !r.sessions.tryAdd(s) {
		adm.abort(ReasonTooManySessions, "realm "+string(r.uri)+" has reached its session limit")
		return
	}
	adm.sess = s
	hooks := r.sessionHooks()
	if len(hooks) == 0 {
		adm.join()
		return
	}
	adm.left = len(hooks)
	ctx := r.handlerContext(adm.ctx, s)
	for _, h := range hooks {
		err := r.spawnBlocking(ctx, func(ctx context.Context) {
			onClose, err := r.runHook(ctx, h, s)
			adm.hookDone(onClose, err)
		})
		if err != nil {
			adm.hookDone(nil, err)
		}
	}
}

// hookDone records one open part's outcome; the last one goes on.
func (adm *admission) hookDone(onClose func(context.Context), err error) {
	if onClose != nil {
		adm.sess.addCloser(onClose)
	}
	adm.mu.Lock()
	if err != nil && adm.failure == nil {
		adm.failure = err
	}
	adm.left--
	last, failure := adm.left == 0, adm.failure
	adm.mu.Unlock()
	if !last {
		return
	}
	if failure != nil {
		adm.fail(failure, wamp.ErrAuthorizationFailed, "the session could not be set up")
		return
	}
	adm.join()
}

// join hands the session to the realm's executor, which sends WELCOME.
func (adm *admission) join() {
	if !adm.realm.ex.Post(func() { adm.c.enter(adm) }) {
		adm.abort(wamp.CloseSystemShutdown, "the realm is closed")
	}
}

// enter joins the admitted session to the realm, unless the handshake
// ended meanwhile. The state becomes connJoined before WELCOME is sent, so
// every message the client sends after WELCOME takes the joined path.
// Executor-only.
func (c *conn) enter(adm *admission) {
	r := adm.realm
	if r.closing {
		adm.abort(wamp.CloseSystemShutdown, "realm is shutting down")
		return
	}
	c.mu.Lock()
	// Every way out of connAdmitting (timeout, abort, drop) takes mu, so
	// the state checked here holds until the Store below; the fields are
	// set first because the reader goroutine reads them once it sees
	// connJoined.
	if c.state.Load() != connAdmitting || c.adm != adm {
		c.mu.Unlock()
		adm.cleanup()
		return
	}
	c.realm, c.sid, c.sess = r, adm.sid, adm.sess
	r.outlets[adm.sid] = c.peer
	r.r.Join(r.as.Now(), adm.sid, adm.hello, adm.info, &r.fx)
	c.state.Store(connJoined)
	// A joined connection no longer needs its handshake: release the
	// admission (the HELLO, its contexts) and the timer, which an idle
	// session would otherwise keep for its whole life. Only the handshake
	// states read them, under mu.
	timer := c.timer
	c.adm, c.timer = nil, nil
	c.mu.Unlock()
	timer.Stop()
	adm.cancel()
	r.apply()
}

// fail ends the handshake because of err: an *AbortError gives the ABORT
// reason and message; otherwise defURI and defMsg (or system_shutdown when
// the application is closing), and err is logged.
func (adm *admission) fail(err error, defURI wamp.URI, defMsg string) {
	var ae *AbortError
	switch {
	case errors.As(err, &ae):
		adm.abort(ae.URI, ae.Message)
		return
	case adm.c.app.isClosed():
		adm.abort(wamp.CloseSystemShutdown, "the router is shutting down")
		return
	}
	if adm.ctx.Err() == nil {
		adm.realm.log.Warn("session refused", "session", adm.sid, "reason", string(defURI), "err", err)
	}
	adm.abort(defURI, defMsg)
}

// abort sends ABORT (if the handshake is still on) and cleans up.
func (adm *admission) abort(reason wamp.URI, msg string) {
	c := adm.c
	c.mu.Lock()
	var then func()
	if c.adm == adm {
		then = c.endHandshake(connAdmitting, abortMsg(reason, msg))
	}
	c.mu.Unlock()
	if then != nil {
		then()
	}
	adm.cleanup()
}

// cleanup releases what a handshake that did not join holds: its context,
// and the session with its hooks' close parts. Once only.
func (adm *admission) cleanup() {
	if !adm.cleaned.CompareAndSwap(false, true) {
		return
	}
	adm.cancel()
	if adm.sess != nil {
		adm.sess.end()
	}
}
