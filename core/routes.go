package core

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strconv"

	"github.com/switchboard-wamp/switchboard/core/router"
	"github.com/switchboard-wamp/switchboard/core/wamp"
)

// routeKind is how a route matches called URIs.
type routeKind uint8

const (
	routeExact routeKind = iota
	routePrefix
	routeWildcard
	routeRegex
)

var routeKindNames = [...]string{"exact", "prefix", "wildcard", "regex"}

func (k routeKind) String() string { return routeKindNames[k] }

// match is the REGISTER match option of a dealer-backed route.
func (k routeKind) match() string {
	switch k {
	case routePrefix:
		return wamp.MatchPrefix
	case routeWildcard:
		return wamp.MatchWildcard
	}
	return ""
}

// route is one entry of a route set.
type route struct {
	kind    routeKind
	uri     wamp.URI       // exact URI, prefix or wildcard pattern
	pattern string         // regex, as written
	re      *regexp.Regexp // regex, anchored at both ends
	h       Handler
}

func (rt route) String() string {
	if rt.kind == routeRegex {
		return "regex route " + strconv.Quote(rt.pattern)
	}
	return rt.kind.String() + " route " + strconv.Quote(string(rt.uri))
}

// Routes is a set of application procedures, built once and added to the
// whole application (Application.AddRoutes: every realm, including realms
// added later) or to one realm (Realm.AddRoutes). The zero value is an
// empty set. Building a set is not safe for concurrent use; adding it
// copies it, so later changes to the set do not affect realms it was added
// to.
//
// A call resolves to the most specific route, and application routes
// compete with remote callees' registrations in the same dealer:
//
//  1. an exact route or registration of the called URI;
//  2. else the longest matching prefix route or registration;
//  3. else the best matching wildcard route or registration (the one with
//     the longest literal components before each wildcard);
//  4. else the first regular-expression route, in the order they were
//     added, whose pattern matches the whole URI;
//  5. else ERROR wamp.error.no_such_procedure.
//
// Exact, prefix and wildcard routes are registrations in the realm's
// dealer (match policies exact, prefix, wildcard), so remote callers and
// the registration rules (one callee per URI and policy) treat them like
// any other. Regular expressions have no WAMP match policy: the dealer
// hands calls that nothing else matches to the application (its fallback
// callee), which tries them. Calls under "wamp." never reach them.
type Routes struct {
	routes []route
	errs   []error
}

// Handle routes calls of exactly procedure to h.
func (rs *Routes) Handle(procedure wamp.URI, h Handler) {
	rs.add(route{kind: routeExact, uri: procedure, h: h})
}

// Prefix routes calls of every URI that starts with prefix (as a string:
// "com.a" also matches "com.ab") to h, unless a more specific route or
// registration matches.
func (rs *Routes) Prefix(prefix wamp.URI, h Handler) {
	rs.add(route{kind: routePrefix, uri: prefix, h: h})
}

// Wildcard routes calls of every URI that matches pattern to h: pattern has
// the same number of components as the URI, and its empty components
// ("com..get") match any one component.
func (rs *Routes) Wildcard(pattern wamp.URI, h Handler) {
	rs.add(route{kind: routeWildcard, uri: pattern, h: h})
}

// Regex routes calls of every URI that the regular expression pattern (Go
// RE2 syntax) matches as a whole to h, when no registration matches. Its
// named groups reach the handler as Invocation.Params. A pattern that does
// not compile is reported by AddRoutes.
func (rs *Routes) Regex(pattern string, h Handler) {
	re, err := regexp.Compile(`^(?:` + pattern + `)$`)
	if err != nil {
		rs.errs = append(rs.errs, fmt.Errorf("core: regex route %q: %w", pattern, err))
		return
	}
	rs.add(route{kind: routeRegex, pattern: pattern, re: re, h: h})
}

func (rs *Routes) add(rt route) {
	if rt.h == nil {
		rs.errs = append(rs.errs, fmt.Errorf("core: %s: nil handler", rt))
		return
	}
	rs.routes = append(rs.routes, rt)
}

// snapshot returns a copy of the routes, or the problems found while
// building the set.
func (rs *Routes) snapshot() ([]route, error) {
	if rs == nil {
		return nil, errors.New("core: nil Routes")
	}
	if err := errors.Join(rs.errs...); err != nil {
		return nil, err
	}
	for i, a := range rs.routes {
		for _, b := range rs.routes[:i] {
			if a.kind != routeRegex && a.kind == b.kind && a.uri == b.uri {
				return nil, fmt.Errorf("core: %s appears twice", a)
			}
		}
	}
	return slices.Clone(rs.routes), nil
}

// AddRoutes adds a route set to the realm: its exact, prefix and wildcard
// routes become registrations in the dealer, its regular-expression routes
// are tried for calls nothing else matches. It is all or nothing: when the
// dealer refuses one route (wamp.error.procedure_already_exists,
// wamp.error.invalid_uri, as an *Error), the routes already registered are
// removed again. Safe for concurrent use; it waits for the realm's
// executor.
func (r *Realm) AddRoutes(ctx context.Context, rs *Routes) error {
	routes, err := rs.snapshot()
	if err != nil {
		return err
	}
	return r.addRoutes(ctx, routes)
}

func (r *Realm) addRoutes(ctx context.Context, routes []route) error {
	done := make(chan error, 1)
	if !r.e.Post(func() { done <- r.local.addRoutes(routes) }) {
		return ErrClosed
	}
	select {
	case err := <-done:
		return err
	case <-ctx.Done():
		// The routes are added anyway when the task runs.
		return ctx.Err()
	}
}

// addRoutes registers routes in one executor task, so that no other
// session's message is routed between them. Executor-only.
func (l *localSession) addRoutes(routes []route) error {
	if l.gone() {
		return ErrClosed
	}
	var made []wamp.ID
	for _, rt := range routes {
		if rt.kind == routeRegex {
			continue
		}
		opts := wamp.Dict{}
		if m := rt.kind.match(); m != "" {
			opts[wamp.OptMatch] = m
		}
		id, err := l.registerNow(rt.uri, rt.h, opts)
		if err != nil {
			for _, id := range made {
				l.unregisterNow(id)
			}
			return fmt.Errorf("core: %s: %w", rt, err)
		}
		made = append(made, id)
	}
	for _, rt := range routes {
		if rt.kind == routeRegex {
			l.regex = append(l.regex, rt)
		}
	}
	l.updateFallback()
	return nil
}

// matchRegex returns the first regular-expression route matching the
// called URI, and sets the invocation's Params. Executor-only.
func (l *localSession) matchRegex(call *Invocation) (Handler, bool) {
	for _, rt := range l.regex {
		m := rt.re.FindStringSubmatch(string(call.Procedure))
		if m == nil {
			continue
		}
		for i, name := range rt.re.SubexpNames() {
			if name != "" {
				if call.Params == nil {
					call.Params = make(map[string]string)
				}
				call.Params[name] = m[i]
			}
		}
		return rt.h, true
	}
	return nil, false
}

// updateFallback tells the dealer which calls the local session takes as
// fallback callee: all of them with a call handler, the unmatched ones
// with regular-expression routes, else none. The registration ID the
// dealer gives fallback INVOCATIONs (the same for the realm's lifetime) is
// made known to the peer, with fallbackToken. Executor-only.
func (l *localSession) updateFallback() {
	if l.gone() {
		return
	}
	mode := router.FallbackOff
	switch {
	case l.callHandler != nil:
		mode = router.FallbackAll
	case len(l.regex) > 0:
		mode = router.FallbackUnmatched
	}
	reg, err := l.realm.e.Router().SetFallback(l.sid, mode)
	if err != nil {
		l.realm.log.Error("cannot set the dealer's fallback callee", "err", err)
		return
	}
	if reg == 0 || reg == l.fallbackReg {
		return
	}
	if err := l.p.AddRegistration(reg, fallbackToken{}); err != nil {
		// Unreachable while established; never route calls the peer
		// would take for a protocol violation.
		_, _ = l.realm.e.Router().SetFallback(l.sid, router.FallbackOff)
		l.realm.log.Error("cannot set the dealer's fallback callee", "err", err)
		return
	}
	l.fallbackReg = reg
}
