package router

import (
	"reflect"
	"testing"

	"github.com/switchboard-wamp/switchboard/core/wamp"
)

// TestJoinWelcomeRealmAndAuthExtra checks the WELCOME details that come
// from SessionInfo.Realm and SessionInfo.AuthExtra.
func TestJoinWelcomeRealmAndAuthExtra(t *testing.T) {
	hello := &wamp.Hello{Realm: "asked", Details: wamp.Dict{"roles": wamp.Dict{"caller": wamp.Dict{}}}}
	tests := []struct {
		name      string
		info      SessionInfo
		wantRealm string
		wantExtra any
	}{
		{"defaults", SessionInfo{AuthID: "x"}, "realm1", nil},
		{"reported realm", SessionInfo{AuthID: "x", Realm: "asked"}, "asked", nil},
		{"authextra", SessionInfo{AuthID: "x", AuthExtra: wamp.Dict{"plan": "gold"}}, "realm1", wamp.Dict{"plan": "gold"}},
		{"empty authextra is left out", SessionInfo{AuthID: "x", AuthExtra: wamp.Dict{}}, "realm1", nil},
	}
	for i, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := NewRealm(RealmConfig{URI: "realm1"}, newSeqIDs())
			var fx Effects
			r.Join(epoch, SessionID(i+1), hello, tc.info, &fx)
			w, ok := fx.Out[0].Msg.(*wamp.Welcome)
			if !ok {
				t.Fatalf("got %T, want WELCOME", fx.Out[0].Msg)
			}
			if w.Details["realm"] != tc.wantRealm {
				t.Errorf("realm = %v, want %s", w.Details["realm"], tc.wantRealm)
			}
			extra, present := w.Details["authextra"]
			if tc.wantExtra == nil && present || tc.wantExtra != nil && !reflect.DeepEqual(extra, tc.wantExtra) {
				t.Errorf("authextra = %v (present %v), want %v", extra, present, tc.wantExtra)
			}
		})
	}
}
