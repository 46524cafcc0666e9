package core

import (
	"sync"

	"github.com/switchboard-wamp/switchboard/core/wamp"
	"github.com/switchboard-wamp/switchboard/transport"
)

// Session is a joined WAMP session as the application sees it: its identity,
// its transport, and data the application keeps for it. A Session is created
// when its HELLO is accepted and is gone from its realm when it closes.
// Methods are safe for concurrent use.
type Session struct {
	ID    wamp.ID
	Realm *Realm
	// Identity established by authentication.
	AuthID, AuthRole, AuthMethod, AuthProvider string
	// Transport describes the connection (peer address, HTTP headers, ...).
	Transport transport.Info

	mu   sync.Mutex
	data map[string]any
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

// sessionTable is a realm's registry of joined remote sessions, read by
// handler tasks and written by connections' reader goroutines.
type sessionTable struct {
	mu sync.RWMutex
	m  map[wamp.ID]*Session
}

func (t *sessionTable) add(s *Session) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.m == nil {
		t.m = make(map[wamp.ID]*Session)
	}
	t.m[s.ID] = s
}

func (t *sessionTable) remove(id wamp.ID) {
	t.mu.Lock()
	defer t.mu.Unlock()
	delete(t.m, id)
}

func (t *sessionTable) get(id wamp.ID) (*Session, bool) {
	t.mu.RLock()
	defer t.mu.RUnlock()
	s, ok := t.m[id]
	return s, ok
}

// Session returns the joined session with the given ID.
func (r *Realm) Session(id wamp.ID) (*Session, bool) { return r.sessions.get(id) }
