package router

import (
	"time"

	"github.com/switchboard-wamp/switchboard/core/wamp"
)

// The session meta API's procedures. They see the realm's established
// client sessions: not those in their handshake or already told GOODBYE,
// nor the router's own Internal sessions (the application's session, node
// sessions), plus the sessions of other nodes of the cluster
// (cluster_sessions.go).

// authroleFilter reads the optional [filter_authroles|list[string]] of
// count and list: nil matches every session.
func authroleFilter(m *wamp.Call) (map[string]bool, bool) {
	if len(m.Args) > 1 {
		return nil, false
	}
	l, ok := argOr[wamp.List](m.Args, 0)
	if !ok || l == nil {
		return nil, ok
	}
	set := make(map[string]bool, len(l))
	for _, v := range l {
		role, ok := v.(string)
		if !ok {
			return nil, false
		}
		set[role] = true
	}
	return set, true
}

// visibleIDs returns the IDs of the visible sessions whose authrole is in
// roles (every one when roles is nil).
func (r *Realm) visibleIDs(roles map[string]bool) []wamp.ID {
	var ids []wamp.ID
	for _, s := range r.sessions {
		if s.visible() && (roles == nil || roles[s.info.AuthRole]) {
			ids = append(ids, s.id)
		}
	}
	for _, rs := range r.remote {
		if roles == nil || roles[rs.AuthRole] {
			ids = append(ids, rs.ID)
		}
	}
	return ids
}

// sessionCount is wamp.session.count [filter_authroles?] → [count].
func (r *Realm) sessionCount(_ time.Time, _ *session, m *wamp.Call, _ *Effects) (wamp.List, *metaError) {
	roles, ok := authroleFilter(m)
	if !ok {
		return nil, badArgs("wamp.session.count takes [filter_authroles|list[string]] or nothing")
	}
	return wamp.List{int64(len(r.visibleIDs(roles)))}, nil
}

// sessionList is wamp.session.list [filter_authroles?] → [session_ids].
func (r *Realm) sessionList(_ time.Time, _ *session, m *wamp.Call, _ *Effects) (wamp.List, *metaError) {
	roles, ok := authroleFilter(m)
	if !ok {
		return nil, badArgs("wamp.session.list takes [filter_authroles|list[string]] or nothing")
	}
	return wamp.List{idList(r.visibleIDs(roles))}, nil
}

// sessionGet is wamp.session.get [session] → [details], or
// wamp.error.no_such_session.
func (r *Realm) sessionGet(_ time.Time, _ *session, m *wamp.Call, _ *Effects) (wamp.List, *metaError) {
	id, ok := oneID(m)
	if !ok {
		return nil, badArgs("wamp.session.get takes [session|id]")
	}
	s := r.sessions[id]
	if s == nil || !s.visible() {
		if rs := r.remote[id]; rs != nil {
			return wamp.List{remoteDetails(rs)}, nil
		}
		return nil, noSuchSession(id)
	}
	return wamp.List{sessionDetails(s)}, nil
}

func noSuchSession(id wamp.ID) *metaError {
	return &metaError{uri: wamp.ErrNoSuchSession, msg: "no session with ID " + idString(id) + " in this realm"}
}

// killArgs reads the kill procedures' kwargs {reason|uri, message|string}
// (reason defaults to wamp.close.normal, as the spec says) into the
// GOODBYE's reason and details. err is set when killing is disabled or an
// argument is wrong.
func (r *Realm) killArgs(name string, m *wamp.Call) (wamp.URI, wamp.Dict, *metaError) {
	if !r.cfg.SessionKill {
		return "", nil, &metaError{uri: wamp.ErrNotAuthorized, msg: name + " is disabled by this realm's configuration"}
	}
	reason, okR := kwargOr[string](m.Kwargs, "reason")
	msg, okM := kwargOr[string](m.Kwargs, "message")
	if !okR || !okM {
		return "", nil, badArgs(name + " takes kwargs {reason|uri, message|string}, both optional")
	}
	if reason == "" {
		if _, given := m.Kwargs["reason"]; given && m.Kwargs["reason"] != nil {
			return "", nil, &metaError{uri: wamp.ErrInvalidURI, msg: "reason must be a valid non-empty URI"}
		}
		reason = string(wamp.CloseNormal)
	}
	if !validURI(wamp.URI(reason), false, false) {
		return "", nil, &metaError{uri: wamp.ErrInvalidURI, msg: "reason " + quote(truncate(reason, 128)) + " is not a valid URI"}
	}
	details := emptyDetails
	if _, given := m.Kwargs["message"]; given && m.Kwargs["message"] != nil {
		details = wamp.Dict{"message": msg}
	}
	return wamp.URI(reason), details, nil
}

// sessionKill is wamp.session.kill [session] {reason, message}: GOODBYE to
// that session (not the caller's own: no_such_session); no result.
func (r *Realm) sessionKill(now time.Time, caller *session, m *wamp.Call, fx *Effects) (wamp.List, *metaError) {
	reason, details, err := r.killArgs("wamp.session.kill", m)
	if err != nil {
		return nil, err
	}
	id, ok := oneID(m)
	if !ok {
		return nil, badArgs("wamp.session.kill takes [session|id]")
	}
	s := r.sessions[id]
	if rs := r.remote[id]; s == nil && rs != nil {
		return nil, &metaError{uri: ErrRemoteSession, msg: "session " + idString(id) + " is on cluster node " +
			quote(rs.Node) + ": wamp.session.kill reaches the sessions of the node it is called on"}
	}
	if s == nil || !s.visible() || s == caller {
		return nil, noSuchSession(id)
	}
	r.goodbye(now, s, reason, details, fx)
	return nil, nil
}

// killWhere says GOODBYE to every visible session but the caller for
// which match holds, in session ID order, and returns their IDs.
func (r *Realm) killWhere(now time.Time, caller *session, reason wamp.URI, details wamp.Dict, match func(*session) bool, fx *Effects) wamp.List {
	var ids []wamp.ID
	for _, s := range r.sessions {
		if s != caller && s.visible() && match(s) {
			ids = append(ids, s.id)
		}
	}
	l := idList(ids) // sorted
	for _, v := range l {
		r.goodbye(now, r.sessions[wamp.ID(v.(int64))], reason, details, fx)
	}
	return l
}

// sessionKillByAuthID is wamp.session.kill_by_authid [authid] {reason,
// message} → [sessions|list]: the IDs of the sessions killed.
func (r *Realm) sessionKillByAuthID(now time.Time, caller *session, m *wamp.Call, fx *Effects) (wamp.List, *metaError) {
	reason, details, err := r.killArgs("wamp.session.kill_by_authid", m)
	if err != nil {
		return nil, err
	}
	authid, ok := oneURI(m, 0)
	if !ok {
		return nil, badArgs("wamp.session.kill_by_authid takes [authid|string]")
	}
	killed := r.killWhere(now, caller, reason, details, func(s *session) bool { return s.info.AuthID == string(authid) }, fx)
	return wamp.List{killed}, nil
}

// sessionKillByAuthRole is wamp.session.kill_by_authrole [authrole]
// {reason, message} → [count].
func (r *Realm) sessionKillByAuthRole(now time.Time, caller *session, m *wamp.Call, fx *Effects) (wamp.List, *metaError) {
	reason, details, err := r.killArgs("wamp.session.kill_by_authrole", m)
	if err != nil {
		return nil, err
	}
	role, ok := oneURI(m, 0)
	if !ok {
		return nil, badArgs("wamp.session.kill_by_authrole takes [authrole|string]")
	}
	killed := r.killWhere(now, caller, reason, details, func(s *session) bool { return s.info.AuthRole == string(role) }, fx)
	return wamp.List{int64(len(killed))}, nil
}

// sessionKillAll is wamp.session.kill_all {reason, message} → [count]:
// every session but the caller's.
func (r *Realm) sessionKillAll(now time.Time, caller *session, m *wamp.Call, fx *Effects) (wamp.List, *metaError) {
	reason, details, err := r.killArgs("wamp.session.kill_all", m)
	if err != nil {
		return nil, err
	}
	if len(m.Args) > 0 {
		return nil, badArgs("wamp.session.kill_all takes no positional arguments")
	}
	killed := r.killWhere(now, caller, reason, details, func(*session) bool { return true }, fx)
	return wamp.List{int64(len(killed))}, nil
}
