package cluster

import (
	"strconv"
	"sync"

	"github.com/switchboard-wamp/switchboard/core/engine"
	"github.com/switchboard-wamp/switchboard/core/router"
	"github.com/switchboard-wamp/switchboard/core/wamp"
)

// Sessions cluster-wide. Each node announces its realms' client sessions
// (not the application's own, not node sessions): ID, authid, authrole,
// authmethod, authprovider and transport. The other nodes keep them as
// remote session records of their routers (router.Realm.AddRemoteSession),
// so that wamp.session.count, list and get answer for the whole cluster;
// the records of a node go with its node session (it died, left or
// restarted). wamp.session.on_join and on_leave need nothing of this: they
// are publications, and cross nodes as any publication does. Session IDs
// stay unique across nodes: the IDs a node draws (SessionIDs) skip those
// of the other nodes' sessions it knows.

// remoteIDs is the set of session IDs of other nodes this node knows, in
// every realm: a count per ID (an ID in two realms counts twice). Safe for
// concurrent use.
type remoteIDs struct {
	mu  sync.Mutex
	ids map[wamp.ID]int
}

func (s *remoteIDs) add(id wamp.ID) {
	s.mu.Lock()
	if s.ids == nil {
		s.ids = make(map[wamp.ID]int)
	}
	s.ids[id]++
	s.mu.Unlock()
}

func (s *remoteIDs) remove(id wamp.ID) {
	s.mu.Lock()
	if s.ids[id]--; s.ids[id] <= 0 {
		delete(s.ids, id)
	}
	s.mu.Unlock()
}

func (s *remoteIDs) has(id wamp.ID) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.ids[id] > 0
}

// sessionIDs draws from an IDSource, skipping the IDs of remote sessions.
type sessionIDs struct {
	inner engine.IDSource
	known *remoteIDs
}

// maxRedraws bounds the draws of one ID: with IDs drawn at random from
// 2^53, a second collision in a row does not happen; the bound only keeps
// a broken IDSource (a constant) from looping.
const maxRedraws = 8

func (s sessionIDs) NextID() wamp.ID {
	id := s.inner.NextID()
	for range maxRedraws {
		if !s.known.has(id) {
			return id
		}
		id = s.inner.NextID()
	}
	return id
}

// SessionIDs returns an IDSource that draws from ids but never an ID this
// node knows as a session of another node. The application draws its
// session IDs from it.
func (n *Node) SessionIDs(ids engine.IDSource) engine.IDSource {
	return sessionIDs{inner: ids, known: &n.remoteSessions}
}

func init() {
	kinds[KindSession] = kindHandler{added: sessionAdded, removed: sessionRemoved, detached: sessionsDetached}
}

// sessionNotice announces a client session that joined or left the realm.
// Executor-only.
func (r *Realm) sessionNotice(no *router.Notice) {
	key := strconv.FormatUint(uint64(no.Session), 10)
	if no.Kind == router.NoticeLeft {
		r.n.Withdraw(r.uri, KindSession, key)
		return
	}
	in := no.Info
	t := in.Transport
	r.n.Announce(r.uri, KindSession, key, []any{int64(no.Session), in.AuthID, in.AuthRole, in.AuthMethod,
		in.AuthProvider, t.Type, t.Serializer, t.Peer, t.TLS})
}

// remoteSession reads an announced session.
func remoteSession(node string, v []any) (router.RemoteSession, bool) {
	if len(v) != 9 {
		return router.RemoteSession{}, false
	}
	id, ok := wamp.ToID(v[0])
	str := func(i int) string { s, _ := v[i].(string); return s }
	tls, _ := v[8].(bool)
	return router.RemoteSession{ID: id, Node: node, AuthID: str(1), AuthRole: str(2), AuthMethod: str(3),
			AuthProvider: str(4), Transport: router.TransportInfo{Type: str(5), Serializer: str(6), Peer: str(7), TLS: tls}},
		ok && id != 0
}

// sessionAdded records another node's session. Executor-only.
func sessionAdded(r *Realm, ns *nodeSession, _ string, value, old []any) {
	rs, ok := remoteSession(ns.node, value)
	if !ok {
		return
	}
	if old == nil {
		r.n.remoteSessions.add(rs.ID)
	}
	r.e.Router().AddRemoteSession(rs)
}

// sessionRemoved forgets another node's session. Executor-only.
func sessionRemoved(r *Realm, ns *nodeSession, _ string, value []any) {
	if rs, ok := remoteSession(ns.node, value); ok {
		r.n.remoteSessions.remove(rs.ID)
		r.e.Router().RemoveRemoteSession(rs.ID)
	}
}

// sessionsDetached forgets every session of ns's node in the realm.
// ns.state still holds them. Executor-only.
func sessionsDetached(r *Realm, ns *nodeSession) {
	for k, v := range ns.state {
		if k.kind == KindSession {
			if rs, ok := remoteSession(ns.node, v); ok {
				r.n.remoteSessions.remove(rs.ID)
			}
		}
	}
	r.e.Router().RemoveRemoteSessions(ns.node)
}
