package router

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/switchboard-wamp/switchboard/core/wamp"
)

// Static authorization: which of the four actions (call, register,
// publish, subscribe) a session may take on which URIs, decided by its
// authrole from a per-realm table of roles (RealmConfig.Authorization).
//
// A role holds permissions, each a URI rule (exact, prefix or wildcard, as
// for subscriptions and registrations) with the actions it allows and
// whether the role may disclose its identity (CALL's and PUBLISH's
// disclose_me). For a URI the most specific rule of the role decides:
//
//	exact > longest prefix > wildcard, wildcards ranked as the dealer
//	ranks pattern registrations (the most literal components before the
//	first wildcard, then before the second, ...)
//
// A rule grants what it lists and nothing else: a more specific rule that
// omits an action takes it away for its URIs. A URI no rule matches is
// denied, and so is every URI for a role the table does not list (as in
// Crossbar.io: once a realm has roles, an unknown role may do nothing).
// A realm without a table authorizes everything; Internal sessions are
// never checked.
//
// Pattern subscriptions and registrations (prefix, wildcard) are allowed
// only when the action is allowed for every URI the pattern can match, so
// a pattern cannot reach URIs a more specific rule denies: a prefix needs a
// prefix rule covering it and no denying rule inside it; a wildcard needs a
// covering prefix or wildcard rule and no denying rule that may match one
// of its URIs and outranks the cover (overlap is judged conservatively:
// when in doubt, denied).

// Action is what a session asks to do with a URI.
type Action uint8

// The authorized actions.
const (
	ActionCall Action = iota + 1
	ActionRegister
	ActionPublish
	ActionSubscribe
)

func (a Action) String() string {
	switch a {
	case ActionCall:
		return "call"
	case ActionRegister:
		return "register"
	case ActionPublish:
		return "publish"
	case ActionSubscribe:
		return "subscribe"
	}
	return "invalid"
}

// ParseAction reads "call", "register", "publish" or "subscribe".
func ParseAction(s string) (Action, bool) {
	for a := ActionCall; a <= ActionSubscribe; a++ {
		if a.String() == s {
			return a, true
		}
	}
	return 0, false
}

// Allow is what a permission grants on the URIs its rule matches.
type Allow struct {
	Call, Register, Publish, Subscribe bool
	// Disclose: the role may ask for its identity to be disclosed to
	// callees and subscribers (CALL's and PUBLISH's disclose_me); without
	// it such a request is refused with
	// wamp.error.option_disallowed.disclose_me.
	Disclose bool
}

// Has reports whether a grants act.
func (a Allow) Has(act Action) bool {
	switch act {
	case ActionCall:
		return a.Call
	case ActionRegister:
		return a.Register
	case ActionPublish:
		return a.Publish
	case ActionSubscribe:
		return a.Subscribe
	}
	return false
}

// Permission grants Allow on the URIs URI matches under Match: "exact"
// (the default when empty), "prefix" (every URI starting with URI, as a
// string: "com.example." for everything below com.example; the empty
// prefix matches every URI) or "wildcard" (empty components match
// any one component).
type Permission struct {
	URI   wamp.URI
	Match string
	Allow Allow
}

// Role is a named set of permissions; sessions have it as their authrole.
type Role struct {
	Name        string
	Permissions []Permission
}

// Authorization is a compiled, immutable table of roles: safe to share
// between realms and goroutines. Build it with NewAuthorization.
type Authorization struct {
	roles map[string]*roleRules
}

// roleRules are one role's permissions, indexed as subscriptions are.
type roleRules struct {
	index uriIndex[Allow]
}

// ErrAuthorization is wrapped by NewAuthorization's errors.
var ErrAuthorization = errors.New("router: invalid authorization")

// NewAuthorization compiles roles. It fails on a role without a name, a
// role listed twice, an unknown match policy, an invalid URI for its
// policy (loose rules; a prefix may be empty or end with "."), or the same URI and
// policy twice in one role.
func NewAuthorization(roles []Role) (*Authorization, error) {
	a := &Authorization{roles: make(map[string]*roleRules, len(roles))}
	for i, role := range roles {
		if role.Name == "" {
			return nil, fmt.Errorf("%w: role %d has no name", ErrAuthorization, i)
		}
		if _, dup := a.roles[role.Name]; dup {
			return nil, fmt.Errorf("%w: role %q is listed twice", ErrAuthorization, role.Name)
		}
		rr := &roleRules{index: newURIIndex[Allow]()}
		for j, p := range role.Permissions {
			policy, ok := parseMatch(wamp.Dict{wamp.OptMatch: p.Match})
			if !ok {
				return nil, fmt.Errorf("%w: role %q permission %d: unknown match %q", ErrAuthorization, role.Name, j, p.Match)
			}
			if !validRuleURI(p.URI, policy) {
				return nil, fmt.Errorf("%w: role %q permission %d: invalid URI %q for match %s", ErrAuthorization, role.Name, j, p.URI, policy)
			}
			if _, dup := rr.index.get(p.URI, policy); dup {
				return nil, fmt.Errorf("%w: role %q: URI %q with match %s is listed twice", ErrAuthorization, role.Name, p.URI, policy)
			}
			rr.index.add(p.URI, policy, p.Allow)
		}
		a.roles[role.Name] = rr
	}
	return a, nil
}

// validRuleURI: loose URI rules; a prefix may also be empty (every URI) or
// end with "." (every URI below a component, "com.example." not matching
// "com.examples").
func validRuleURI(u wamp.URI, policy matchPolicy) bool {
	if policy == matchPrefix {
		return u == "" || validURI(wamp.URI(strings.TrimSuffix(string(u), ".")), false, false)
	}
	return validURI(u, false, policy == matchWildcard)
}

// Allows reports whether role may take act on uri; match is the
// subscription's or registration's policy ("exact" or empty for calls and
// publications, "prefix", "wildcard"). An unknown match is denied; a nil
// table (no authorization) allows everything.
func (a *Authorization) Allows(role string, act Action, uri wamp.URI, match string) bool {
	if a == nil {
		return true
	}
	policy, ok := parseMatch(wamp.Dict{wamp.OptMatch: match})
	return ok && a.allows(role, act, uri, policy)
}

// MayDisclose reports whether role may disclose its identity when it
// calls or publishes to uri: the most specific rule for uri says so (a
// nil table: yes).
func (a *Authorization) MayDisclose(role string, uri wamp.URI) bool {
	if a == nil {
		return true
	}
	rr := a.roles[role]
	if rr == nil {
		return false
	}
	v, _, ok := rr.index.best(uri, true)
	return ok && v.Disclose
}

func (a *Authorization) allows(role string, act Action, uri wamp.URI, policy matchPolicy) bool {
	rr := a.roles[role]
	if rr == nil {
		return false
	}
	switch policy {
	case matchPrefix:
		return rr.allowsPrefix(act, string(uri))
	case matchWildcard:
		return rr.allowsWildcard(act, string(uri))
	}
	v, _, ok := rr.index.best(uri, true)
	return ok && v.Has(act)
}

// longestPrefixRule returns the longest prefix rule that s starts with.
func (rr *roleRules) longestPrefixRule(s string) (string, Allow, bool) {
	ix := &rr.index
	for i := len(ix.prefixLens) - 1; i >= 0; i-- {
		n := ix.prefixLens[i].n
		if n > len(s) {
			continue
		}
		if v, ok := ix.prefix[wamp.URI(s[:n])]; ok {
			return s[:n], v, true
		}
	}
	return "", Allow{}, false
}

// allowsPrefix: every URI starting with p must be allowed. A prefix rule
// covering p decides for the URIs no more specific rule matches; the more
// specific ones are exact rules and longer prefix rules inside p.
func (rr *roleRules) allowsPrefix(act Action, p string) bool {
	cover, v, ok := rr.longestPrefixRule(p)
	if !ok || !v.Has(act) {
		return false
	}
	for e, ev := range rr.index.exact {
		if strings.HasPrefix(string(e), p) && !ev.Has(act) {
			return false
		}
	}
	for q, qv := range rr.index.prefix {
		if len(q) > len(cover) && strings.HasPrefix(string(q), p) && !qv.Has(act) {
			return false
		}
	}
	return true
}

// allowsWildcard: every URI the wildcard pattern w matches must be allowed.
func (rr *roleRules) allowsWildcard(act Action, w string) bool {
	comps := strings.Split(w, ".")
	first := -1
	for i, c := range comps {
		if c == "" {
			first = i
			break
		}
	}
	if first < 0 { // no wildcard component: one URI
		v, _, ok := rr.index.best(wamp.URI(w), true)
		return ok && v.Has(act)
	}
	// lead is what every matched URI starts with; only a prefix rule
	// that lead starts with covers them all.
	lead := strings.Join(comps[:first], ".")
	if first > 0 {
		lead += "."
	}
	for e, ev := range rr.index.exact {
		if !ev.Has(act) && wildMatch(comps, string(e)) {
			return false
		}
	}
	cover, v, ok := rr.longestPrefixRule(lead)
	if ok {
		// A prefix rule matches every URI of w and outranks every
		// wildcard rule: only longer prefix rules compete.
		if !v.Has(act) {
			return false
		}
		for q, qv := range rr.index.prefix {
			if len(q) > len(cover) && !qv.Has(act) && prefixMayMatch(string(q), comps) {
				return false
			}
		}
		return true
	}
	// No prefix rule covers w: every prefix rule that may match one of its
	// URIs outranks the wildcard cover.
	for q, qv := range rr.index.prefix {
		if !qv.Has(act) && prefixMayMatch(string(q), comps) {
			return false
		}
	}
	best := rr.wildcardCover(comps)
	if best == nil || !best.val.Has(act) {
		return false
	}
	for _, e := range rr.index.wildByComps[len(comps)] {
		if e != best && !e.val.Has(act) && wildOverlap(e.comps, comps) && slices.Compare(e.rank, best.rank) > 0 {
			return false
		}
	}
	return true
}

// wildcardCover returns the best-ranked wildcard rule matching every URI
// the pattern comps matches, or nil.
func (rr *roleRules) wildcardCover(comps []string) *wildEntry[Allow] {
	var best *wildEntry[Allow]
	for _, e := range rr.index.wildByComps[len(comps)] {
		covers := true
		for i, c := range e.comps {
			if c != "" && c != comps[i] {
				covers = false
				break
			}
		}
		if covers && (best == nil || slices.Compare(e.rank, best.rank) > 0) {
			best = e
		}
	}
	return best
}

// prefixMayMatch reports whether some URI the wildcard pattern comps
// matches starts with q: q's whole components agree with the pattern's
// (a wildcard agrees with anything), and its last, partial component
// begins the pattern's component there.
func prefixMayMatch(q string, comps []string) bool {
	qc := strings.Split(q, ".")
	if len(qc) > len(comps) {
		return false
	}
	last := len(qc) - 1
	for i, c := range qc[:last] {
		if comps[i] != "" && comps[i] != c {
			return false
		}
	}
	return comps[last] == "" || strings.HasPrefix(comps[last], qc[last])
}

// wildOverlap reports whether two wildcard patterns of the same length can
// match a common URI: their literal components agree wherever both have one.
func wildOverlap(a, b []string) bool {
	for i := range a {
		if a[i] != "" && b[i] != "" && a[i] != b[i] {
			return false
		}
	}
	return true
}

// SetAuthorization replaces the realm's authorization table (nil: every
// action allowed). It applies to requests from now on; subscriptions and
// registrations made earlier stay. Executor-only.
func (r *Realm) SetAuthorization(a *Authorization) { r.cfg.Authorization = a }

// authorize checks s's request m to take act on uri (under policy): the
// realm's table, then its dynamic authorizer (authz_dynamic.go); disclose
// is the request's disclose_me. It returns the ERROR URI and message of a
// refusal, "" when the request may go on, or held when it waits for the
// authorizer.
func (r *Realm) authorize(now time.Time, s *session, act Action, uri wamp.URI, policy matchPolicy, disclose bool,
	m wamp.Message, fx *Effects) (wamp.URI, string, bool) {
	if s.info.Internal {
		return "", "", false
	}
	if refusal, msg := r.denied(s, act, uri, policy, disclose); refusal != "" || !r.cfg.Authorizer {
		return refusal, msg, false
	}
	return r.askAuthorizer(now, s, authzKey{act: act, uri: uri, policy: policy, disclose: disclose}, m, fx)
}

// denied checks s's request to take act on uri (under policy) against the
// realm's table; disclose is the request's disclose_me. It returns the
// ERROR URI and message of a refusal, or "" when the request may go on.
func (r *Realm) denied(s *session, act Action, uri wamp.URI, policy matchPolicy, disclose bool) (wamp.URI, string) {
	a := r.cfg.Authorization
	if a == nil {
		return "", ""
	}
	role := s.info.AuthRole
	if !a.allows(role, act, uri, policy) {
		verb := act.String()
		if act == ActionPublish || act == ActionSubscribe {
			verb += " to"
		}
		what := quote(string(uri))
		if policy != matchExact {
			what = "the " + policy.String() + " pattern " + what
		}
		return wamp.ErrNotAuthorized, "role " + quote(role) + " may not " + verb + " " + what
	}
	if disclose && !a.MayDisclose(role, uri) {
		return wamp.ErrOptionDisallowedDiscloseMe, "role " + quote(role) + " may not disclose its identity on " + quote(string(uri))
	}
	return "", ""
}
