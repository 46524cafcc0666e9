package router

import (
	"slices"
	"strings"

	"github.com/switchboard-wamp/switchboard/core/wamp"
)

// matchPolicy is a subscription's or registration's options.match.
type matchPolicy uint8

const (
	matchExact    matchPolicy = iota // the URI itself
	matchPrefix                      // any URI with this string prefix (spec: com.a matches com.a-b too)
	matchWildcard                    // same component count; empty components match any one component
)

func (p matchPolicy) String() string {
	switch p {
	case matchPrefix:
		return "prefix"
	case matchWildcard:
		return "wildcard"
	}
	return "exact"
}

// parseMatch reads options.match (already type-checked by
// wamp.ValidateOptions); ok is false for an unknown policy.
func parseMatch(opts wamp.Dict) (p matchPolicy, ok bool) {
	s, _ := wamp.OptString(opts, wamp.OptMatch)
	switch s {
	case "", wamp.MatchExact:
		return matchExact, true
	case wamp.MatchPrefix:
		return matchPrefix, true
	case wamp.MatchWildcard:
		return matchWildcard, true
	}
	return 0, false
}

// uriIndex maps URIs to the subscriptions or registrations that match them,
// under the three match policies. It serves both the broker (all matches)
// and the dealer (the single best match).
type uriIndex[T any] struct {
	exact  map[wamp.URI]T
	prefix map[wamp.URI]T
	// prefixLens holds the distinct lengths of prefix patterns (ascending)
	// with their use counts, so a lookup probes only lengths that exist.
	prefixLens []lenCount
	wild       map[wamp.URI]*wildEntry[T]
	// wildByComps groups wildcard patterns by component count, in
	// insertion order.
	wildByComps map[int][]*wildEntry[T]
}

type lenCount struct{ n, count int }

// wildEntry is one wildcard pattern, pre-split.
type wildEntry[T any] struct {
	comps []string
	// rank is the number of literal components in each run between
	// wildcards; a lexicographically larger rank is a better match
	// (spec: "longest portion of URI components matched before each
	// wildcard").
	rank []int
	val  T
}

func newURIIndex[T any]() uriIndex[T] {
	return uriIndex[T]{
		exact:       map[wamp.URI]T{},
		prefix:      map[wamp.URI]T{},
		wild:        map[wamp.URI]*wildEntry[T]{},
		wildByComps: map[int][]*wildEntry[T]{},
	}
}

// get returns the entry stored for exactly (u, p).
func (ix *uriIndex[T]) get(u wamp.URI, p matchPolicy) (T, bool) {
	switch p {
	case matchPrefix:
		v, ok := ix.prefix[u]
		return v, ok
	case matchWildcard:
		if e, ok := ix.wild[u]; ok {
			return e.val, true
		}
		var zero T
		return zero, false
	}
	v, ok := ix.exact[u]
	return v, ok
}

// add stores v under (u, p); (u, p) must not be present.
func (ix *uriIndex[T]) add(u wamp.URI, p matchPolicy, v T) {
	switch p {
	case matchExact:
		ix.exact[u] = v
	case matchPrefix:
		ix.prefix[u] = v
		i, found := slices.BinarySearchFunc(ix.prefixLens, len(u), func(e lenCount, n int) int { return e.n - n })
		if found {
			ix.prefixLens[i].count++
		} else {
			ix.prefixLens = slices.Insert(ix.prefixLens, i, lenCount{n: len(u), count: 1})
		}
	case matchWildcard:
		comps := strings.Split(string(u), ".")
		e := &wildEntry[T]{comps: comps, rank: wildRank(comps), val: v}
		ix.wild[u] = e
		ix.wildByComps[len(comps)] = append(ix.wildByComps[len(comps)], e)
	}
}

// remove deletes (u, p) if present.
func (ix *uriIndex[T]) remove(u wamp.URI, p matchPolicy) {
	switch p {
	case matchExact:
		delete(ix.exact, u)
	case matchPrefix:
		if _, ok := ix.prefix[u]; !ok {
			return
		}
		delete(ix.prefix, u)
		i, _ := slices.BinarySearchFunc(ix.prefixLens, len(u), func(e lenCount, n int) int { return e.n - n })
		if ix.prefixLens[i].count--; ix.prefixLens[i].count == 0 {
			ix.prefixLens = slices.Delete(ix.prefixLens, i, i+1)
		}
	case matchWildcard:
		e, ok := ix.wild[u]
		if !ok {
			return
		}
		delete(ix.wild, u)
		n := len(e.comps)
		group := ix.wildByComps[n]
		if i := slices.Index(group, e); i >= 0 {
			group = slices.Delete(group, i, i+1)
		}
		if len(group) == 0 {
			delete(ix.wildByComps, n)
		} else {
			ix.wildByComps[n] = group
		}
	}
}

// appendAll appends every entry matching the concrete URI u: the exact
// one, then prefix patterns from shortest to longest, then wildcard
// patterns in the order they were added.
func (ix *uriIndex[T]) appendAll(dst []T, u wamp.URI) []T {
	if v, ok := ix.exact[u]; ok {
		dst = append(dst, v)
	}
	for _, lc := range ix.prefixLens {
		if lc.n > len(u) {
			break
		}
		if v, ok := ix.prefix[u[:lc.n]]; ok {
			dst = append(dst, v)
		}
	}
	if len(ix.wild) > 0 {
		for _, e := range ix.wildByComps[strings.Count(string(u), ".")+1] {
			if wildMatch(e.comps, string(u)) {
				dst = append(dst, e.val)
			}
		}
	}
	return dst
}

// best returns the single best entry for the concrete URI u (spec,
// pattern-based registration): an exact match, else the longest prefix,
// else the wildcard pattern with the best rank. Pattern entries are skipped
// when patterns is false.
func (ix *uriIndex[T]) best(u wamp.URI, patterns bool) (T, matchPolicy, bool) {
	if v, ok := ix.exact[u]; ok {
		return v, matchExact, true
	}
	var zero T
	if !patterns {
		return zero, 0, false
	}
	for i := len(ix.prefixLens) - 1; i >= 0; i-- {
		n := ix.prefixLens[i].n
		if n > len(u) {
			continue
		}
		if v, ok := ix.prefix[u[:n]]; ok {
			return v, matchPrefix, true
		}
	}
	if len(ix.wild) == 0 {
		return zero, 0, false
	}
	var found *wildEntry[T]
	for _, e := range ix.wildByComps[strings.Count(string(u), ".")+1] {
		if wildMatch(e.comps, string(u)) && (found == nil || slices.Compare(e.rank, found.rank) > 0) {
			found = e
		}
	}
	if found == nil {
		return zero, 0, false
	}
	return found.val, matchWildcard, true
}

// wildMatch reports whether u has len(comps) components and agrees with
// every non-empty pattern component. It does not allocate.
func wildMatch(comps []string, u string) bool {
	for i, c := range comps {
		end := strings.IndexByte(u, '.')
		last := i == len(comps)-1
		if end < 0 != last {
			return false
		}
		part := u
		if !last {
			part, u = u[:end], u[end+1:]
		}
		if c != "" && c != part {
			return false
		}
	}
	return true
}

// wildRank counts literal components in each run between wildcards.
func wildRank(comps []string) []int {
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
