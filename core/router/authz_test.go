package router

import (
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/switchboard-wamp/switchboard/core/wamp"
)

// TestAuthorizationPatternsSound checks on random tables over a small URI
// universe that a pattern subscription the table allows reaches only URIs
// the table allows one by one (no pattern escapes a more specific denying
// rule), and that an exact URI is allowed exactly when its most specific
// rule says so.
func TestAuthorizationPatternsSound(t *testing.T) {
	words := []string{"a", "b", "ab"}
	var universe []string
	var build func(prefix string, depth int)
	build = func(prefix string, depth int) {
		if depth == 0 {
			return
		}
		for _, w := range words {
			u := w
			if prefix != "" {
				u = prefix + "." + w
			}
			universe = append(universe, u)
			build(u, depth-1)
		}
	}
	build("", 3)
	rng := rand.New(rand.NewPCG(1, 2))
	pick := func() string { return universe[rng.IntN(len(universe))] }
	wild := func() string { // a URI of the universe with some components emptied
		c := strings.Split(pick(), ".")
		for i := range c {
			if rng.IntN(2) == 0 {
				c[i] = ""
			}
		}
		return strings.Join(c, ".")
	}
	prefix := func() string {
		switch u := pick(); rng.IntN(3) {
		case 0:
			return u + "."
		case 1:
			return u[:rng.IntN(len(u)+1)]
		default:
			return u
		}
	}
	allowed := map[string]int{}
	for round := 0; round < 400; round++ {
		var perms []Permission
		seen := map[string]bool{}
		for range 1 + rng.IntN(6) {
			var p Permission
			switch rng.IntN(3) {
			case 0:
				p = Permission{URI: wamp.URI(pick()), Match: "exact"}
			case 1:
				p = Permission{URI: wamp.URI(prefix()), Match: "prefix"}
			default:
				p = Permission{URI: wamp.URI(wild()), Match: "wildcard"}
			}
			p.Allow.Subscribe = rng.IntN(3) > 0
			if key := p.Match + " " + string(p.URI); !seen[key] && validRuleURI(p.URI, mustMatch(p.Match)) {
				seen[key] = true
				perms = append(perms, p)
			}
		}
		a, err := NewAuthorization([]Role{{Name: "r", Permissions: perms}})
		if err != nil {
			t.Fatal(err)
		}
		for range 20 {
			var pat, match string
			if rng.IntN(2) == 0 {
				pat, match = prefix(), "prefix"
			} else {
				pat, match = wild(), "wildcard"
			}
			if !a.Allows("r", ActionSubscribe, wamp.URI(pat), match) {
				continue
			}
			allowed[match]++
			comps := strings.Split(pat, ".")
			for _, u := range universe {
				covered := strings.HasPrefix(u, pat)
				if match == "wildcard" {
					covered = wildMatch(comps, u)
				}
				if covered && !a.Allows("r", ActionSubscribe, wamp.URI(u), "exact") {
					t.Fatalf("table %+v allows %s pattern %q, which reaches denied URI %q", perms, match, pat, u)
				}
			}
		}
	}
	if allowed["prefix"] < 30 || allowed["wildcard"] < 30 {
		t.Fatalf("patterns allowed: %v; the test exercises too little", allowed)
	}
}

func mustMatch(s string) matchPolicy {
	p, _ := parseMatch(wamp.Dict{wamp.OptMatch: s})
	return p
}

func TestAuthorizationUnknownRoleAndMatch(t *testing.T) {
	a, err := NewAuthorization([]Role{{Name: "r", Permissions: []Permission{
		{URI: "", Match: "prefix", Allow: Allow{Call: true, Disclose: true}}}}})
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		role, uri, match string
		act              Action
		want             bool
	}{
		{"r", "x.y", "", ActionCall, true},
		{"r", "x.y", "exact", ActionPublish, false},
		{"other", "x.y", "", ActionCall, false},
		{"r", "x.y", "regex", ActionCall, false},
	}
	for _, c := range cases {
		if got := a.Allows(c.role, c.act, wamp.URI(c.uri), c.match); got != c.want {
			t.Errorf("Allows(%q, %v, %q, %q) = %v, want %v", c.role, c.act, c.uri, c.match, got, c.want)
		}
	}
	if !a.MayDisclose("r", "x") || a.MayDisclose("other", "x") {
		t.Error("MayDisclose: want true for r, false for an unknown role")
	}
	var none *Authorization
	if !none.Allows("x", ActionPublish, "a", "") || !none.MayDisclose("x", "a") {
		t.Error("a nil table must allow everything")
	}
	if _, err := NewAuthorization([]Role{{Name: ""}}); err == nil {
		t.Error("a role without a name compiled")
	}
	if _, err := NewAuthorization([]Role{{Name: "r"}, {Name: "r"}}); err == nil {
		t.Error("a role listed twice compiled")
	}
}
