package router

import (
	"cmp"
	"slices"
	"time"

	"github.com/switchboard-wamp/switchboard/core/wamp"
)

// Meta procedures (session, registration and subscription meta API,
// testaments; spec, advanced profile) are answered by the router itself: a
// CALL to one of them gets RESULT or ERROR at once and reaches no callee.
// Clients cannot register under "wamp." (uri.go), so no session can
// shadow them. The caller's call options (timeout, receive_progress) do
// not apply: nothing is pending. Arguments that do not fit a procedure's
// signature are answered with wamp.error.invalid_argument naming it.

// metaProc answers one meta procedure call from s: its RESULT arguments,
// or the error to answer instead.
type metaProc func(r *Realm, now time.Time, s *session, m *wamp.Call, fx *Effects) (wamp.List, *metaError)

// metaError is a meta procedure's ERROR: URI and message (Args[0]).
type metaError struct {
	uri wamp.URI
	msg string
}

func badArgs(usage string) *metaError { return &metaError{uri: wamp.ErrInvalidArgument, msg: usage} }

// metaProcs maps each meta procedure to its implementation (filled in
// init: the procedures refer to the Realm's methods).
var metaProcs map[wamp.URI]metaProc

func init() {
	metaProcs = map[wamp.URI]metaProc{
		"wamp.session.count":            (*Realm).sessionCount,
		"wamp.session.list":             (*Realm).sessionList,
		"wamp.session.get":              (*Realm).sessionGet,
		"wamp.session.kill":             (*Realm).sessionKill,
		"wamp.session.kill_by_authid":   (*Realm).sessionKillByAuthID,
		"wamp.session.kill_by_authrole": (*Realm).sessionKillByAuthRole,
		"wamp.session.kill_all":         (*Realm).sessionKillAll,
		"wamp.session.add_testament": func(r *Realm, _ time.Time, s *session, m *wamp.Call, _ *Effects) (wamp.List, *metaError) {
			return r.addTestament(s, m)
		},
		"wamp.session.flush_testaments": func(r *Realm, _ time.Time, s *session, m *wamp.Call, _ *Effects) (wamp.List, *metaError) {
			return r.flushTestaments(s, m)
		},
		"wamp.registration.list":              (*Realm).registrationList,
		"wamp.registration.lookup":            (*Realm).registrationLookup,
		"wamp.registration.match":             (*Realm).registrationMatch,
		"wamp.registration.get":               (*Realm).registrationGet,
		"wamp.registration.list_callees":      (*Realm).registrationListCallees,
		"wamp.registration.count_callees":     (*Realm).registrationCountCallees,
		"wamp.subscription.list":              (*Realm).subscriptionList,
		"wamp.subscription.lookup":            (*Realm).subscriptionLookup,
		"wamp.subscription.match":             (*Realm).subscriptionMatch,
		"wamp.subscription.get":               (*Realm).subscriptionGet,
		"wamp.subscription.list_subscribers":  (*Realm).subscriptionListSubscribers,
		"wamp.subscription.count_subscribers": (*Realm).subscriptionCountSubscribers,
		"wamp.subscription.get_events":        (*Realm).subscriptionGetEvents,
	}
}

// metaCall answers a CALL to a meta procedure and reports whether
// m.Procedure is one.
func (r *Realm) metaCall(now time.Time, s *session, m *wamp.Call, fx *Effects) bool {
	proc, ok := metaProcs[m.Procedure]
	if !ok {
		return false
	}
	args, err := proc(r, now, s, m, fx)
	if err != nil {
		fx.send(s.id, errorMsg(wamp.CALL, m.Request, err.uri, err.msg))
		return true
	}
	fx.send(s.id, &wamp.Result{Request: m.Request, Details: emptyDetails, Args: args})
	return true
}

// argOr returns args[i] as a T; absent or null gives the zero T. ok is
// false for another type.
func argOr[T any](args wamp.List, i int) (T, bool) {
	var zero T
	if i >= len(args) || args[i] == nil {
		return zero, true
	}
	v, ok := args[i].(T)
	return v, ok
}

// kwargOr returns kwargs[key] as a T; absent or null gives the zero T.
func kwargOr[T any](kwargs wamp.Dict, key string) (T, bool) {
	var zero T
	v, present := kwargs[key]
	if !present || v == nil {
		return zero, true
	}
	t, ok := v.(T)
	return t, ok
}

// oneID reads a meta procedure's only positional argument, an ID.
func oneID(m *wamp.Call) (wamp.ID, bool) {
	if len(m.Args) != 1 {
		return 0, false
	}
	return wamp.ToID(m.Args[0])
}

// oneURI reads a meta procedure's first positional argument, a URI, with
// at most extra more.
func oneURI(m *wamp.Call, extra int) (wamp.URI, bool) {
	if len(m.Args) < 1 || len(m.Args) > 1+extra {
		return "", false
	}
	u, ok := m.Args[0].(string)
	return wamp.URI(u), ok
}

// idList renders IDs as a sorted List (orders are unspecified by the
// spec; sorted keeps answers deterministic).
func idList(ids []wamp.ID) wamp.List {
	slices.SortFunc(ids, cmp.Compare[wamp.ID])
	l := make(wamp.List, len(ids))
	for i, id := range ids {
		l[i] = int64(id)
	}
	return l
}

// isoTime renders a creation time as the meta API's ISO 8601 string.
func isoTime(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05.000Z") }
