package core

import (
	"fmt"
	"slices"
	"strings"

	"github.com/switchboard-wamp/switchboard/core/wamp"
)

// topicRoute is one topic handler and the topics it serves.
type topicRoute struct {
	pattern wamp.URI
	match   string // "exact", "prefix", "wildcard"
	comps   []string
	rank    []int // wildcard: literal components in each run between wildcards
	h       TopicHandler
}

// topicTable is an immutable set of topic routes (copy-on-write).
type topicTable struct {
	exact  map[wamp.URI]*topicRoute
	prefix []*topicRoute // longest first
	wild   []*topicRoute // in registration order
}

// with returns a copy of t (nil: empty) plus rt, or an error when the same
// pattern and match policy are already routed.
func (t *topicTable) with(rt *topicRoute) (*topicTable, error) {
	n := &topicTable{exact: map[wamp.URI]*topicRoute{}}
	if t != nil {
		for k, v := range t.exact {
			n.exact[k] = v
		}
		n.prefix = slices.Clone(t.prefix)
		n.wild = slices.Clone(t.wild)
	}
	dup := func(o *topicRoute) bool { return o.pattern == rt.pattern }
	switch rt.match {
	case wamp.MatchExact:
		if _, ok := n.exact[rt.pattern]; ok {
			return nil, fmt.Errorf("%w: exact %q", ErrTopicRouted, rt.pattern)
		}
		n.exact[rt.pattern] = rt
	case wamp.MatchPrefix:
		if slices.ContainsFunc(n.prefix, dup) {
			return nil, fmt.Errorf("%w: prefix %q", ErrTopicRouted, rt.pattern)
		}
		n.prefix = append(n.prefix, rt)
		slices.SortStableFunc(n.prefix, func(a, b *topicRoute) int { return len(b.pattern) - len(a.pattern) })
	case wamp.MatchWildcard:
		if slices.ContainsFunc(n.wild, dup) {
			return nil, fmt.Errorf("%w: wildcard %q", ErrTopicRouted, rt.pattern)
		}
		rt.comps = strings.Split(string(rt.pattern), ".")
		rt.rank = wildcardRank(rt.comps)
		n.wild = append(n.wild, rt)
	}
	return n, nil
}

// best returns the most specific route for topic (the topic URI a client
// subscribed to, which is itself a pattern for prefix and wildcard
// subscriptions): an exact route, else the longest prefix route, else the
// wildcard route that matches the longest runs of literal components
// first (the spec's precedence for pattern-based registrations); among
// equal wildcards, the first added.
func (t *topicTable) best(topic wamp.URI) (*topicRoute, bool) {
	if t == nil {
		return nil, false
	}
	if rt, ok := t.exact[topic]; ok {
		return rt, true
	}
	for _, rt := range t.prefix {
		if strings.HasPrefix(string(topic), string(rt.pattern)) {
			return rt, true
		}
	}
	var found *topicRoute
	for _, rt := range t.wild {
		if wildcardMatch(rt.comps, string(topic)) && (found == nil || slices.Compare(rt.rank, found.rank) > 0) {
			found = rt
		}
	}
	return found, found != nil
}

// moreSpecific reports whether route a is more specific than b (both
// match the same topic): exact over prefix over wildcard, a longer prefix
// over a shorter one, a higher wildcard rank over a lower one.
func moreSpecific(a, b *topicRoute) bool {
	class := func(rt *topicRoute) int {
		switch rt.match {
		case wamp.MatchExact:
			return 2
		case wamp.MatchPrefix:
			return 1
		}
		return 0
	}
	if ca, cb := class(a), class(b); ca != cb {
		return ca > cb
	}
	switch a.match {
	case wamp.MatchPrefix:
		return len(a.pattern) > len(b.pattern)
	case wamp.MatchWildcard:
		return slices.Compare(a.rank, b.rank) > 0
	}
	return false
}

// wildcardMatch reports whether u has len(comps) components and agrees with
// every non-empty pattern component.
func wildcardMatch(comps []string, u string) bool {
	parts := strings.Split(u, ".")
	if len(parts) != len(comps) {
		return false
	}
	for i, c := range comps {
		if c != "" && c != parts[i] {
			return false
		}
	}
	return true
}

// wildcardRank counts literal components in each run between wildcards; a
// lexicographically larger rank is a better match.
func wildcardRank(comps []string) []int {
	rank := []int{0}
	for _, c := range comps {
		if c == "" {
			rank = append(rank, 0)
		} else {
			rank[len(rank)-1]++
		}
	}
	return rank
}
