package core

import (
	"context"
	"reflect"
	"testing"
	"time"
)

func TestRealmConfigInherit(t *testing.T) {
	roles := []Role{{Name: "r"}}
	defaults := RealmConfig{URI: "ignored", StrictURI: true, GoodbyeTimeout: time.Second, MaxSessions: 3, MaxOptionListLen: 10,
		Roles: roles, AuthorizerCacheTTL: time.Second, MaxHeldRequests: 2}
	tests := []struct {
		name     string
		rc, want RealmConfig
	}{
		{"all from the defaults", RealmConfig{URI: "a"},
			RealmConfig{URI: "a", StrictURI: true, GoodbyeTimeout: time.Second, MaxSessions: 3, MaxOptionListLen: 10,
				Roles: roles, AuthorizerCacheTTL: time.Second, MaxHeldRequests: 2}},
		{"own values win", RealmConfig{URI: "a", GoodbyeTimeout: time.Minute, MaxSessions: 1, MaxOptionListLen: 5,
			Roles: []Role{}, AuthorizerCacheTTL: time.Minute, MaxHeldRequests: 1},
			RealmConfig{URI: "a", StrictURI: true, GoodbyeTimeout: time.Minute, MaxSessions: 1, MaxOptionListLen: 5,
				Roles: []Role{}, AuthorizerCacheTTL: time.Minute, MaxHeldRequests: 1}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := tc.rc.inherit(defaults); !reflect.DeepEqual(got, tc.want) {
				t.Errorf("inherit = %+v, want %+v", got, tc.want)
			}
			if got := tc.rc.inherit(RealmConfig{}); !reflect.DeepEqual(got, tc.rc) {
				t.Errorf("inherit(zero) = %+v, want %+v unchanged", got, tc.rc)
			}
		})
	}
}

func TestRealmConfigInheritAuthorizer(t *testing.T) {
	f := func(context.Context, *AuthorizationRequest) (bool, error) { return true, nil }
	got := RealmConfig{URI: "a"}.inherit(RealmConfig{Authorizer: f})
	if got.Authorizer == nil || !got.routerConfig().Authorizer {
		t.Error("the default realm config's Authorizer was not inherited and passed on")
	}
}

func TestRealmConfigRouterConfig(t *testing.T) {
	got := RealmConfig{URI: "a", MaxOptionListLen: 7}.routerConfig()
	if got.MaxOptionListLen != 7 || got.URI != "a" {
		t.Errorf("routerConfig = %+v, want MaxOptionListLen 7 passed on", got)
	}
}
