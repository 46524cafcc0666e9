package core

import (
	"context"
	"sync"

	"github.com/switchboard-wamp/switchboard/core/router"
	"github.com/switchboard-wamp/switchboard/core/wamp"
)

// Session is a remote WAMP session as the application sees it: its
// identity, its transport, and data the application keeps for it. A
// Session is created when its authentication succeeds (session hooks get it
// before WELCOME) and leaves its realm's registry when it closes. Exported
// fields are read-only; methods are safe for concurrent use.
type Session struct {
	ID    wamp.ID
	Realm *Realm
	// RealmName is the realm the client asked for, and the one its WELCOME
	// names. It is Realm.URI() except for sessions placed in the default
	// realm (Config.DefaultRealm).
	RealmName wamp.URI
	// Identity established by authentication.
	AuthID, AuthRole, AuthMethod, AuthProvider string
	// AuthExtra is what the authenticator returned in Identity.AuthExtra
	// (sent in WELCOME); nil for anonymous sessions.
	AuthExtra wamp.Dict
	// Transport describes the connection (peer address, HTTP headers, ...).
	Transport Connection

	parent context.Context // the application's life, ctx's parent

	mu      sync.Mutex
	ctx     context.Context // cancelled when the session ends; made by Context, on first use
	cancel  context.CancelFunc
	data    map[string]any
	closers []func(context.Context) // session hooks' close parts
	ended   bool
}

func newSession(r *Realm, id wamp.ID, asked wamp.URI, info router.SessionInfo, conn Connection) *Session {
	return &Session{ID: id, Realm: r, RealmName: asked, AuthID: info.AuthID, AuthRole: info.AuthRole,
		AuthMethod: info.AuthMethod, AuthProvider: info.AuthProvider, AuthExtra: info.AuthExtra,
		Transport: conn, parent: r.app.life}
}

// Context returns a context that is cancelled when the session ends. It
// carries no values. It is made on first use: a session nobody asks about
// holds no context (nor a place among its parent's children).
func (s *Session) Context() context.Context {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.ctx == nil {
		s.ctx, s.cancel = context.WithCancel(s.parent)
		if s.ended {
			s.cancel()
		}
	}
	return s.ctx
}

// Get returns the session data stored under key.
func (s *Session) Get(key string) (any, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	v, ok := s.data[key]
	return v, ok
}

// Set stores v under key in the session's data.
func (s *Session) Set(key string, v any) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.data == nil {
		s.data = make(map[string]any)
	}
	s.data[key] = v
}

// Delete removes key from the session's data.
func (s *Session) Delete(key string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.data, key)
}

// SendEvent sends an event on topic to this session alone (serverwamp's
// session.send_event): it is a publication from the application restricted
// to eligible=[s.ID], so the session receives it only if it is subscribed
// to a subscription matching topic (exact, prefix or wildcard) and nobody
// else does. It waits for the broker's acknowledgement and reports a
// refusal (an invalid topic URI) as an *Error; a session that is not
// subscribed, or has left, is not an error. Like Realm.Publish with
// Acknowledge it waits for the realm, so on an event-loop backend call it
// off the loop: from a session hook, a topic handler, a core.Blocking
// procedure, or any goroutine of your own.
func (s *Session) SendEvent(ctx context.Context, topic wamp.URI, args wamp.List, kwargs wamp.Dict) error {
	return s.Realm.Publish(ctx, topic, args, kwargs, &PublishOptions{Acknowledge: true, Eligible: []wamp.ID{s.ID}})
}

// Kill ends the session from the router: GOODBYE with reason (empty =
// wamp.close.killed), its subscriptions and registrations released at
// once; the connection closes when the client answers or the realm's
// GoodbyeTimeout passes. Killing a session that has left does nothing. It
// does not wait. Safe for concurrent use.
func (s *Session) Kill(reason wamp.URI) error {
	if reason == "" {
		reason = wamp.CloseKilled
	}
	if s.Realm.e.Kill(s.ID, reason) != nil {
		return ErrClosed
	}
	return nil
}

// Sessions returns the realm's remote sessions admitted now, in no
// particular order (a snapshot). Safe for concurrent use.
func (r *Realm) Sessions() []*Session { return r.sessions.all() }

// addCloser records a session hook's close part. After the session ended
// it runs at once.
func (s *Session) addCloser(f func(context.Context)) {
	s.mu.Lock()
	if !s.ended {
		s.closers = append(s.closers, f)
		s.mu.Unlock()
		return
	}
	s.mu.Unlock()
	s.Realm.runCleanup("session close hook", s, f)
}

// end finishes a session that was admitted (joined or not): it leaves the
// registry, its context is cancelled, and its hooks' close parts start.
// Once only; safe from any goroutine.
func (s *Session) end() {
	s.mu.Lock()
	if s.ended {
		s.mu.Unlock()
		return
	}
	s.ended = true
	closers := s.closers
	s.closers = nil
	cancel := s.cancel
	s.mu.Unlock()
	r := s.Realm
	r.sessions.remove(s.ID)
	if cancel != nil {
		cancel()
	}
	for _, f := range closers {
		r.runCleanup("session close hook", s, f)
	}
	r.app.work.done() // added by sessionTable.tryAdd
}

// sessionTable is a realm's registry of admitted remote sessions, read by
// handler tasks and written by connections' admissions and closes.
type sessionTable struct {
	mu  sync.RWMutex
	m   map[wamp.ID]*Session
	max int // 0 = no limit; set before the realm is published
}

// tryAdd registers s unless the table is at its limit. A registered
// session counts as Application.Close's pending work until its end.
func (t *sessionTable) tryAdd(s *Session) bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.max > 0 && len(t.m) >= t.max {
		return false
	}
	if t.m == nil {
		t.m = make(map[wamp.ID]*Session)
	}
	t.m[s.ID] = s
	s.Realm.app.work.add()
	return true
}

func (t *sessionTable) remove(id wamp.ID) {
	t.mu.Lock()
	defer t.mu.Unlock()
	delete(t.m, id)
}

// all returns the sessions registered now.
func (t *sessionTable) all() []*Session {
	t.mu.RLock()
	defer t.mu.RUnlock()
	out := make([]*Session, 0, len(t.m))
	for _, s := range t.m {
		out = append(out, s)
	}
	return out
}

func (t *sessionTable) get(id wamp.ID) (*Session, bool) {
	t.mu.RLock()
	defer t.mu.RUnlock()
	s, ok := t.m[id]
	return s, ok
}

// Session returns the admitted session with the given ID: joined, or still
// in its session hooks.
func (r *Realm) Session(id wamp.ID) (*Session, bool) { return r.sessions.get(id) }
