package core

import (
	"testing"
	"time"
)

func TestRealmConfigInherit(t *testing.T) {
	defaults := RealmConfig{URI: "ignored", StrictURI: true, GoodbyeTimeout: time.Second, MaxSessions: 3, MaxOptionListLen: 10}
	tests := []struct {
		name     string
		rc, want RealmConfig
	}{
		{"all from the defaults", RealmConfig{URI: "a"},
			RealmConfig{URI: "a", StrictURI: true, GoodbyeTimeout: time.Second, MaxSessions: 3, MaxOptionListLen: 10}},
		{"own values win", RealmConfig{URI: "a", GoodbyeTimeout: time.Minute, MaxSessions: 1, MaxOptionListLen: 5},
			RealmConfig{URI: "a", StrictURI: true, GoodbyeTimeout: time.Minute, MaxSessions: 1, MaxOptionListLen: 5}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := tc.rc.inherit(defaults); got != tc.want {
				t.Errorf("inherit = %+v, want %+v", got, tc.want)
			}
			if got := tc.rc.inherit(RealmConfig{}); got != tc.rc {
				t.Errorf("inherit(zero) = %+v, want %+v unchanged", got, tc.rc)
			}
		})
	}
}

func TestRealmConfigRouterConfig(t *testing.T) {
	got := RealmConfig{URI: "a", MaxOptionListLen: 7}.routerConfig()
	if got.MaxOptionListLen != 7 || got.URI != "a" {
		t.Errorf("routerConfig = %+v, want MaxOptionListLen 7 passed on", got)
	}
}
