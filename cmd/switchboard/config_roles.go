package main

import (
	"fmt"
	"slices"

	"github.com/switchboard-wamp/switchboard/core"
	"github.com/switchboard-wamp/switchboard/core/wamp"
)

// RoleConfig is one role of a realm's static authorization
// (core.RealmConfig.Roles): sessions whose authrole is Name may do what its
// permissions allow, and nothing else. Authentication (users, methods)
// assigns roles by this name. Example:
//
//	realms:
//	  - uri: realm1
//	    roles:
//	      - name: anonymous
//	        permissions:
//	          - uri: com.example.public.
//	            match: prefix        # exact (default), prefix, wildcard
//	            allow: [call, subscribe]
//	      - name: writer
//	        permissions:
//	          - uri: com.example.
//	            match: prefix
//	            allow: [call, register, publish, subscribe, disclose]
//
// Absent roles: every session may do everything. Present (even empty): a
// role not listed may do nothing, and neither may any role on a URI none of
// its permissions matches; the most specific permission for a URI decides
// (exact > longest prefix > wildcard with the most leading literal
// components).
type RoleConfig struct {
	Name        string             `yaml:"name"`
	Permissions []PermissionConfig `yaml:"permissions"`
}

// PermissionConfig grants the actions in Allow (call, register, publish,
// subscribe, disclose) on the URIs URI matches under Match.
type PermissionConfig struct {
	URI   string   `yaml:"uri"`
	Match string   `yaml:"match"`
	Allow []string `yaml:"allow"`
}

var allowNames = []string{"call", "register", "publish", "subscribe", "disclose"}

// coreRoles converts the realm's roles (already validated); nil when the
// file has no roles key.
func (r RealmConfig) coreRoles() []core.Role {
	if r.Roles == nil {
		return nil
	}
	roles := make([]core.Role, len(r.Roles))
	for i, rc := range r.Roles {
		roles[i].Name = rc.Name
		for _, p := range rc.Permissions {
			var a core.Allow
			for _, name := range p.Allow {
				switch name {
				case "call":
					a.Call = true
				case "register":
					a.Register = true
				case "publish":
					a.Publish = true
				case "subscribe":
					a.Subscribe = true
				case "disclose":
					a.Disclose = true
				}
			}
			roles[i].Permissions = append(roles[i].Permissions, core.Permission{URI: wamp.URI(p.URI), Match: p.Match, Allow: a})
		}
	}
	return roles
}

// roleProblems lists the problems with the realm's roles, paths relative
// to the realm.
func (r RealmConfig) roleProblems() []configProblem {
	var ps []configProblem
	add := func(msg string, path ...any) { ps = append(ps, configProblem{path, msg}) }
	seen := map[string]bool{}
	for i, rc := range r.Roles {
		switch {
		case rc.Name == "":
			add("empty", "roles", i, "name")
		case seen[rc.Name]:
			add(fmt.Sprintf("%q: role listed twice", rc.Name), "roles", i, "name")
		}
		seen[rc.Name] = true
		pairs := map[[2]string]bool{}
		for j, p := range rc.Permissions {
			switch p.Match {
			case "", "exact", "prefix", "wildcard":
				one := core.Permission{URI: wamp.URI(p.URI), Match: p.Match}
				if err := (core.RealmConfig{URI: "r", Roles: []core.Role{{Name: "r", Permissions: []core.Permission{one}}}}).Validate(); err != nil {
					add(fmt.Sprintf("%q: not a valid URI for match %q", p.URI, matchOrExact(p.Match)), "roles", i, "permissions", j, "uri")
				}
			default:
				add(fmt.Sprintf("%q: want exact, prefix or wildcard", p.Match), "roles", i, "permissions", j, "match")
			}
			key := [2]string{p.URI, matchOrExact(p.Match)}
			if pairs[key] {
				add(fmt.Sprintf("%q with match %s: listed twice in this role", p.URI, key[1]), "roles", i, "permissions", j, "uri")
			}
			pairs[key] = true
			for n, a := range p.Allow {
				if !slices.Contains(allowNames, a) {
					add(fmt.Sprintf("%q: want one of %v", a, allowNames), "roles", i, "permissions", j, "allow", n)
				}
			}
		}
	}
	return ps
}

func matchOrExact(m string) string {
	if m == "" {
		return "exact"
	}
	return m
}
