package router

import (
	"github.com/switchboard-wamp/switchboard/core/wamp"
)

// Remote session records make the session meta API cluster-wide: the
// driver keeps, for each other node, the client sessions it announced, and
// wamp.session.count, list and get answer from them as from the realm's
// own sessions. They are records only: no meta event is emitted for them
// here (the node that has the session publishes on_join and on_leave, and
// those cross the cluster as any publication does), and the kill
// procedures reach only this node's sessions: wamp.session.kill of a
// remote session is answered with ERROR ErrRemoteSession naming its node,
// and kill_by_authid, kill_by_authrole and kill_all leave remote sessions
// alone.

// ErrRemoteSession answers wamp.session.kill of a session on another
// node: the kill procedures act on the sessions of the node called. No
// spec URI says "that session is elsewhere".
const ErrRemoteSession wamp.URI = "switchboard.error.remote_session"

// RemoteSession is a session of another node, as announced by it.
type RemoteSession struct {
	ID           SessionID
	Node         string
	AuthID       string
	AuthRole     string
	AuthMethod   string
	AuthProvider string
	Transport    TransportInfo
}

// AddRemoteSession records (or replaces) a session of another node. A
// record whose ID is a local session of the realm is ignored (the local
// one wins; session IDs are drawn to be unique, see KnowsSession).
// Executor-only.
func (r *Realm) AddRemoteSession(rs RemoteSession) {
	if _, local := r.sessions[rs.ID]; local || rs.ID == 0 {
		return
	}
	if r.remote == nil {
		r.remote = map[SessionID]*RemoteSession{}
	}
	r.remote[rs.ID] = &rs
}

// RemoveRemoteSession forgets a session of another node. Executor-only.
func (r *Realm) RemoveRemoteSession(id SessionID) { delete(r.remote, id) }

// RemoveRemoteSessions forgets every session of node (it left the
// cluster) and returns how many there were. Executor-only.
func (r *Realm) RemoveRemoteSessions(node string) int {
	n := 0
	for id, rs := range r.remote {
		if rs.Node == node {
			delete(r.remote, id)
			n++
		}
	}
	return n
}

// KnowsSession reports whether id is a session of the realm, local (in
// any state) or remote: the driver draws another ID for a new session
// when it is. Executor-only.
func (r *Realm) KnowsSession(id SessionID) bool {
	if _, ok := r.sessions[id]; ok {
		return true
	}
	_, ok := r.remote[id]
	return ok
}

// remoteDetails is the session meta API's description of rs.
func remoteDetails(rs *RemoteSession) wamp.Dict {
	d := wamp.Dict{
		"session":      int64(rs.ID),
		"authid":       rs.AuthID,
		"authrole":     rs.AuthRole,
		"authmethod":   rs.AuthMethod,
		"authprovider": rs.AuthProvider,
		"node":         rs.Node,
	}
	if t := rs.Transport.Dict(); t != nil {
		d["transport"] = t
	}
	return d
}
