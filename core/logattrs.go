package core

import (
	"log/slog"

	"github.com/switchboard-wamp/switchboard/core/wamp"
)

// Every session-scoped log line names the session, its realm and its
// peer's address ("session", "realm", "peer"): a realm's logger carries
// the realm, these add the other two. They build a logger only when a line
// is written (rare paths: failures, panics).

// sessionLog is the realm's logger with a session's ID and peer address.
func (r *Realm) sessionLog(id wamp.ID, peer string) *slog.Logger {
	return r.log.With("session", id, "peer", peer)
}

// logSession is sessionLog for an admitted session known by its ID; a
// session already gone is named without its peer.
func (r *Realm) logSession(id wamp.ID) *slog.Logger {
	if s, ok := r.sessions.get(id); ok {
		return s.log()
	}
	return r.log.With("session", id)
}

// log is the session's logger: session, realm and peer.
func (s *Session) log() *slog.Logger {
	return s.Realm.sessionLog(s.ID, s.Transport.PeerAddr)
}

// logFor is s's logger, or the realm's when there is no session (a
// cleanup that belongs to no remote session).
func (r *Realm) logFor(s *Session) *slog.Logger {
	if s == nil {
		return r.log
	}
	return s.log()
}
