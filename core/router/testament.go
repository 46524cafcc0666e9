package router

import (
	"strconv"

	"github.com/switchboard-wamp/switchboard/core/wamp"
)

// Testaments (spec, advanced profile, "Testament"): publications a session
// leaves with the router, published when it goes, however it goes —
// GOODBYE, ABORT, a dropped connection, a protocol violation, kill, realm
// shutdown excepted (nobody is left to receive them). This router has no
// session resumption, so a session is detached and destroyed at the same
// moment: the detached scope is published first, then the destroyed scope,
// each in the order added. The publications take the broker's path, with
// the leaving session as publisher (disclose_me and the black- and
// white-lists of publish_options apply; acknowledge and exclude_me do
// not: nobody waits, and the publisher is gone). Each session holds at
// most RealmConfig.MaxTestaments of them, of at most
// RealmConfig.MaxTestamentBytes together.

// testamentScope is a testament's scope.
type testamentScope uint8

const (
	scopeDetached testamentScope = iota
	scopeDestroyed
	numScopes
)

// parseScope reads kwargs.scope of add_testament and flush_testaments
// (default "destroyed").
func parseScope(kwargs wamp.Dict) (testamentScope, bool) {
	v, present := kwargs["scope"]
	if !present || v == nil {
		return scopeDestroyed, true
	}
	switch v {
	case "destroyed":
		return scopeDestroyed, true
	case "detached":
		return scopeDetached, true
	}
	return 0, false
}

// testament is one publication held for when its session goes.
type testament struct {
	topic  wamp.URI
	opts   wamp.Dict
	args   wamp.List
	kwargs wamp.Dict
	size   int
}

// addTestament is wamp.session.add_testament [topic, args, kwargs]
// {publish_options, scope}: no result.
func (r *Realm) addTestament(s *session, m *wamp.Call) (wamp.List, *metaError) {
	const usage = "wamp.session.add_testament takes [topic|uri, args|list, kwargs|dict] and kwargs {publish_options|dict, scope|string}"
	if len(m.Args) < 1 || len(m.Args) > 3 {
		return nil, badArgs(usage)
	}
	topic, ok := m.Args[0].(string)
	args, okA := argOr[wamp.List](m.Args, 1)
	kwargs, okK := argOr[wamp.Dict](m.Args, 2)
	opts, okO := kwargOr[wamp.Dict](m.Kwargs, "publish_options")
	scope, okS := parseScope(m.Kwargs)
	if !ok || !okA || !okK || !okO || !okS {
		return nil, badArgs(usage)
	}
	u := wamp.URI(topic)
	switch {
	case !validURI(u, r.cfg.StrictURI, false):
		return nil, &metaError{uri: wamp.ErrInvalidURI, msg: "invalid topic URI " + quote(topic)}
	case reserved(u) && !s.info.Internal:
		return nil, &metaError{uri: wamp.ErrInvalidURI, msg: "topic URI " + quote(topic) + " is reserved"}
	}
	pub := &wamp.Publish{Request: 1, Options: opts, Topic: u}
	if err := wamp.ValidateOptions(pub); err != nil {
		return nil, &metaError{uri: wamp.ErrInvalidArgument, msg: "publish_options: " + violationReason(err)}
	}
	if msg := r.listOverLimit(s, pub); msg != "" {
		return nil, &metaError{uri: wamp.ErrInvalidArgument, msg: "publish_options: " + msg}
	}
	held := len(s.testaments[scopeDetached]) + len(s.testaments[scopeDestroyed])
	if held >= r.cfg.MaxTestaments {
		return nil, &metaError{uri: wamp.ErrInvalidArgument,
			msg: "this session already holds " + strconv.Itoa(held) + " testaments, the most this realm allows"}
	}
	budget := r.cfg.MaxTestamentBytes - s.testamentBytes
	size := len(topic) + valueSize(args, budget) + valueSize(kwargs, budget) + valueSize(opts, budget)
	if size > budget {
		return nil, &metaError{uri: wamp.ErrInvalidArgument,
			msg: "the session's testaments would exceed " + strconv.Itoa(r.cfg.MaxTestamentBytes) + " bytes, the most this realm allows"}
	}
	if len(kwargs) == 0 {
		kwargs = nil // an empty dict adds nothing to the EVENT
	}
	s.testaments[scope] = append(s.testaments[scope], testament{topic: u, opts: opts, args: args, kwargs: kwargs, size: size})
	s.testamentBytes += size
	return nil, nil
}

// flushTestaments is wamp.session.flush_testaments {scope}: the scope's
// testaments are dropped; no result.
func (r *Realm) flushTestaments(s *session, m *wamp.Call) (wamp.List, *metaError) {
	scope, ok := parseScope(m.Kwargs)
	if len(m.Args) > 0 || !ok {
		return nil, badArgs(`wamp.session.flush_testaments takes kwargs {scope: "destroyed"|"detached"} only`)
	}
	for _, t := range s.testaments[scope] {
		s.testamentBytes -= t.size
	}
	s.testaments[scope] = nil
	return nil, nil
}

// publishTestaments publishes s's testaments as s goes (depart).
func (r *Realm) publishTestaments(s *session, fx *Effects) {
	for scope := range s.testaments {
		list := s.testaments[scope]
		s.testaments[scope] = nil
		if r.closing {
			continue
		}
		for i := range list {
			r.publishTestament(s, &list[i], fx)
		}
	}
	s.testamentBytes = 0
}

// publishTestament delivers one testament, as a publication of s.
func (r *Realm) publishTestament(s *session, t *testament, fx *Effects) {
	matches := r.metaMatches(t.topic)
	if matches == nil {
		return
	}
	f := &r.broker.filter
	f.set(s, t.opts, matches)
	disclose, _ := wamp.OptBool(t.opts, wamp.OptDiscloseMe)
	p := publication{from: s, id: r.newID(), topic: t.topic, disclose: disclose, args: t.args, kwargs: t.kwargs,
		opts: t.opts, nodes: &r.broker.nodes}
	fanout(&p, matches, f, fx)
	f.reset()
	clear(matches)
}

// valueSize approximates the encoded size of a payload value, counting no
// further than limit (the bound of its caller) so that it does bounded
// work whatever the value.
func valueSize(v any, limit int) int {
	n := 0
	var walk func(v any)
	walk = func(v any) {
		if n > limit {
			return
		}
		switch x := v.(type) {
		case nil:
		case string:
			n += len(x) + 2
		case []byte:
			n += len(x) + 2
		case wamp.List:
			if x == nil {
				return
			}
			n += 2
			for _, e := range x {
				walk(e)
			}
		case wamp.Dict:
			if x == nil {
				return
			}
			n += 2
			for k, e := range x {
				n += len(k) + 3
				walk(e)
			}
		default:
			n += 9
		}
	}
	walk(v)
	return n
}
