package core

import (
	"context"
	"reflect"
	"testing"
	"time"
)

func TestRealmConfigInherit(t *testing.T) {
	roles := []Role{{Name: "r"}}
	hist := []HistoryConfig{{Topic: "com.log"}}
	defaults := RealmConfig{URI: "ignored", StrictURI: true, GoodbyeTimeout: time.Second, MaxSessions: 3, MaxOptionListLen: 10,
		Roles: roles, AuthorizerCacheTTL: time.Second, MaxHeldRequests: 2,
		SessionKill: true, MaxTestaments: 2, MaxTestamentBytes: 99, RetainedTopics: 4, RetainedEventMaxBytes: 50, History: hist}
	tests := []struct {
		name     string
		rc, want RealmConfig
	}{
		{"all from the defaults", RealmConfig{URI: "a"},
			RealmConfig{URI: "a", StrictURI: true, GoodbyeTimeout: time.Second, MaxSessions: 3, MaxOptionListLen: 10,
				Roles: roles, AuthorizerCacheTTL: time.Second, MaxHeldRequests: 2,
				SessionKill: true, MaxTestaments: 2, MaxTestamentBytes: 99, RetainedTopics: 4, RetainedEventMaxBytes: 50, History: hist}},
		{"own values win", RealmConfig{URI: "a", GoodbyeTimeout: time.Minute, MaxSessions: 1, MaxOptionListLen: 5,
			Roles: []Role{}, AuthorizerCacheTTL: time.Minute, MaxHeldRequests: 1,
			MaxTestaments: 1, MaxTestamentBytes: 9, RetainedTopics: 1, RetainedEventMaxBytes: 5, History: []HistoryConfig{}},
			RealmConfig{URI: "a", StrictURI: true, GoodbyeTimeout: time.Minute, MaxSessions: 1, MaxOptionListLen: 5,
				Roles: []Role{}, AuthorizerCacheTTL: time.Minute, MaxHeldRequests: 1,
				SessionKill: true, MaxTestaments: 1, MaxTestamentBytes: 9, RetainedTopics: 1, RetainedEventMaxBytes: 5, History: []HistoryConfig{}}},
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

func TestRealmConfigValidateMeta(t *testing.T) {
	for name, rc := range map[string]RealmConfig{
		"negative testaments":   {URI: "a", MaxTestaments: -1},
		"negative retained":     {URI: "a", RetainedTopics: -1},
		"history without topic": {URI: "a", History: []HistoryConfig{{}}},
		"history bad match":     {URI: "a", History: []HistoryConfig{{Topic: "com.x", Match: "regex"}}},
		"history bad limit":     {URI: "a", History: []HistoryConfig{{Topic: "com.x", Limit: -1}}},
	} {
		if err := rc.Validate(); err == nil {
			t.Errorf("%s: Validate accepted %+v", name, rc)
		}
	}
	if err := (RealmConfig{URI: "a", History: []HistoryConfig{{Topic: "com..x", Match: "wildcard"}}}).Validate(); err != nil {
		t.Errorf("a wildcard history: %v", err)
	}
}

func TestRealmConfigRouterConfig(t *testing.T) {
	got := RealmConfig{URI: "a", MaxOptionListLen: 7}.routerConfig()
	if got.MaxOptionListLen != 7 || got.URI != "a" {
		t.Errorf("routerConfig = %+v, want MaxOptionListLen 7 passed on", got)
	}
}
