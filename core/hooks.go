package core

import (
	"context"
	"runtime/debug"
	"sync"
	"sync/atomic"

	"github.com/switchboard-wamp/switchboard/scheduler"
)

// SessionHook runs when a session opens and, through the function it
// returns, when the session closes: the Go form of serverwamp's session
// state handlers (an async generator whose first part runs on open and
// second part on close).
//
// The open part runs after authentication and before WELCOME, as a backend
// task that may block (on the eventloop backend off the loop, on a helper
// goroutine), concurrently with the session's other hooks;
// the handshake waits for all of them (HandshakeTimeout still applies), so
// session data they Set is in place before the session's first call. ctx
// carries the session (SessionFrom), the application's dependencies (Dep)
// and is cancelled if the connection drops during the handshake.
//
// Returning an error rejects the session: its client gets ABORT with the
// error's URI when it is an *AbortError, else
// wamp.error.authorization_failed (the error text is logged, not sent).
//
// A non-nil onClose runs exactly once when the session ends, for whatever
// reason (GOODBYE from either side, ABORT, kill, shutdown, a dropped
// connection, or the handshake failing after this hook opened), even when
// the hook itself returned an error. It runs as a task whose ctx carries the
// session and dependencies and is cancelled only if Application.Close gives
// up waiting; Close waits for every onClose.
type SessionHook func(ctx context.Context, s *Session) (onClose func(ctx context.Context), err error)

// scope is what the application registers at application or realm level:
// authenticator, session hooks, topic routes and dependencies. The
// application's scope applies to every realm, including realms added later;
// a realm's own registrations apply to it alone. Readers load snapshots
// without locking; writers copy under mu.
type scope struct {
	mu     sync.Mutex // serialises writers
	auth   atomic.Pointer[Authenticator]
	hooks  atomic.Pointer[[]SessionHook]
	topics atomic.Pointer[topicTable]
	deps   depScope
}

func (sc *scope) addHook(h SessionHook) {
	sc.mu.Lock()
	defer sc.mu.Unlock()
	var hs []SessionHook
	if old := sc.hooks.Load(); old != nil {
		hs = append(hs, *old...)
	}
	hs = append(hs, h)
	sc.hooks.Store(&hs)
}

func (sc *scope) hookList() []SessionHook {
	if hs := sc.hooks.Load(); hs != nil {
		return *hs
	}
	return nil
}

// OnSession adds a session hook that runs for every session of every realm
// of the application, including realms added later. Hooks added while
// sessions are open apply to sessions opened afterwards. Safe for concurrent
// use.
func (a *Application) OnSession(h SessionHook) {
	if h != nil {
		a.sc.addHook(h)
	}
}

// OnSession adds a session hook that runs for every session of this realm,
// concurrently with the application's hooks. Safe for concurrent use.
func (r *Realm) OnSession(h SessionHook) {
	if h != nil {
		r.sc.addHook(h)
	}
}

// sessionHooks returns the hooks that run for a new session of r: the
// application's, then the realm's.
func (r *Realm) sessionHooks() []SessionHook {
	app, own := r.app.sc.hookList(), r.sc.hookList()
	if len(own) == 0 {
		return app
	}
	if len(app) == 0 {
		return own
	}
	return append(append(make([]SessionHook, 0, len(app)+len(own)), app...), own...)
}

// spawnBlocking runs f as a task that may block (scheduler.SpawnBlocking):
// off the loop on an event-loop backend, so that a hook's database lookup
// does not hold the loop, else as a spawned task. Authenticators, session
// hooks and their close parts, topic handlers and their onLeave run this
// way: they are rare (per session, per subscription) and commonly wait on
// I/O or on the realm (an acknowledged Publish, SendEvent). Safe from any
// goroutine.
func (r *Realm) spawnBlocking(ctx context.Context, f func(context.Context)) error {
	return scheduler.SpawnBlocking(r.as, ctx, f)
}

// runHook runs the open part of a hook, turning a panic into an error.
func (r *Realm) runHook(ctx context.Context, h SessionHook, s *Session) (onClose func(context.Context), err error) {
	defer func() {
		if v := recover(); v != nil {
			err = panicError(v)
			s.log().Error("session hook panicked", "panic", v, "stack", string(debug.Stack()))
		}
	}()
	return h(ctx, s)
}

// runCleanup runs f (a session hook's onClose or a topic handler's onLeave)
// as a tracked task of the backend: Application.Close waits for it. ctx
// carries s and the realm's dependencies, and is cancelled only when Close
// stops waiting. Safe from any goroutine.
func (r *Realm) runCleanup(what string, s *Session, f func(context.Context)) {
	a := r.app
	a.work.add()
	ctx := r.handlerContext(a.life, s)
	err := r.spawnBlocking(ctx, func(ctx context.Context) {
		defer a.work.done()
		defer func() {
			if v := recover(); v != nil {
				r.logFor(s).Error(what+" panicked", "panic", v, "stack", string(debug.Stack()))
			}
		}()
		f(ctx)
	})
	if err != nil {
		a.work.done()
		r.logFor(s).Error(what+" not run: the backend refused the task", "err", err)
	}
}

// tracker counts work that Application.Close waits for: sessions that have
// not finished closing, and cleanup tasks.
type tracker struct {
	mu   sync.Mutex
	n    int
	zero chan struct{} // closed when n drops to 0
}

func (t *tracker) add() {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.n == 0 {
		t.zero = make(chan struct{})
	}
	t.n++
}

func (t *tracker) done() {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.n--
	if t.n == 0 {
		close(t.zero)
	}
}

// wait returns when the count is 0, or ctx's error when ctx ends first.
func (t *tracker) wait(ctx context.Context) error {
	t.mu.Lock()
	if t.n == 0 {
		t.mu.Unlock()
		return nil
	}
	zero := t.zero
	t.mu.Unlock()
	select {
	case <-zero:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
