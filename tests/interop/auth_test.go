package interop

import (
	"context"
	"crypto/ed25519"
	"encoding/hex"
	"testing"
	"time"

	"github.com/switchboard-wamp/switchboard/auth"
	"github.com/switchboard-wamp/switchboard/auth/authcrypto"
	"github.com/switchboard-wamp/switchboard/client"
	"github.com/switchboard-wamp/switchboard/client/authenticate"
	"github.com/switchboard-wamp/switchboard/core"
	"github.com/switchboard-wamp/switchboard/tests/testrouter"
)

// jsDeviceSeed is the cryptosign test key of js/scenarios_auth.js.
const jsDeviceSeed = "4d57d97a68f555696620a6d849c0ce582568518d729eb753dc7c732de2804510"

// setupStdAuth adds realm "interop.std-auth", authenticated by package auth
// with the users js/scenarios_auth.js joins as.
func setupStdAuth(t *testing.T, r *testrouter.Router) {
	t.Helper()
	salted, err := authcrypto.DeriveCRAKey("js-salted-password", "js-salt", 1000, 32)
	if err != nil {
		t.Fatal(err)
	}
	key, err := authenticate.KeyFromSeedHex(jsDeviceSeed)
	if err != nil {
		t.Fatal(err)
	}
	a, err := auth.New(auth.Config{
		Ticket: &auth.Ticket{Users: map[string]auth.TicketUser{"js-ticket": {Ticket: "js-ticket-secret", AuthRole: "ticket-role"}}},
		WAMPCRA: &auth.WAMPCRA{Users: map[string]auth.CRAUser{
			"js-cra":    {Secret: "js-cra-secret", AuthRole: "cra-role"},
			"js-salted": {Secret: salted, AuthRole: "salted-role", Salt: "js-salt", Iterations: 1000, KeyLen: 32},
		}},
		Cryptosign: &auth.Cryptosign{Users: []auth.CryptosignUser{{AuthID: "js-device", AuthRole: "device-role",
			PubKeys: []string{hex.EncodeToString(key.Public().(ed25519.PublicKey))}}}},
		Throttle: auth.Throttle{Disabled: true},
	})
	if err != nil {
		t.Fatal(err)
	}
	realm, err := r.App.AddRealm(core.RealmConfig{URI: "interop.std-auth"})
	if err != nil {
		t.Fatal(err)
	}
	realm.SetAuthenticator(a.Authenticate)
}

// TestAutobahnJSAuth: autobahn-js joins a realm authenticated by package
// auth with ticket, WAMP-CRA plain and salted (autobahn's derive_key), and
// cryptosign (tweetnacl), on every serializer and every backend, and is
// refused for a wrong secret with wamp.error.authentication_denied; the Go
// client joins the same realm with the same credentials.
func TestAutobahnJSAuth(t *testing.T) {
	EnsureNodeDeps(t)
	for i, b := range testrouter.Backends() {
		t.Run(b.Name, func(t *testing.T) {
			r := testrouter.Start(t, b.New())
			setupStdAuth(t, r)
			sers := []string{"json", "msgpack", "cbor"}
			if i > 0 { // the serializers once, the backends with JSON
				sers = sers[:1]
			}
			for _, ser := range sers {
				runAuthScenarios(t, r, ser)
			}
			t.Run("go client", func(t *testing.T) { goClientJoins(t, b, r) })
		})
	}
}

// runAuthScenarios runs js/scenarios_auth.js's scenarios with one serializer.
func runAuthScenarios(t *testing.T, r *testrouter.Router, ser string) {
	want := map[string][2]string{
		"auth-ticket":         {`"js-ticket"`, `"ticket-role"`},
		"auth-wampcra":        {`"js-cra"`, `"cra-role"`},
		"auth-wampcra-salted": {`"js-salted"`, `"salted-role"`},
		"auth-cryptosign":     {`"js-device"`, `"device-role"`},
	}
	for sc, w := range want {
		t.Run(sc+"/"+ser, func(t *testing.T) {
			got := RunScenario(t, r.URL, "interop.std-auth", sc, ser)
			wantJSON(t, got, "authid", w[0])
			wantJSON(t, got, "authrole", w[1])
		})
	}
	t.Run("auth-wrong-secret/"+ser, func(t *testing.T) {
		got := RunScenario(t, r.URL, "interop.std-auth", "auth-wrong-secret", ser)
		wantJSON(t, got, "abort_reason", `"wamp.error.authentication_denied"`)
		wantJSON(t, got, "abort_message", `"authentication denied"`)
	})
}

// goClientJoins: the Go client joins the same realm with the same
// credentials as the JavaScript scenarios.
func goClientJoins(t *testing.T, b testrouter.Backend, r *testrouter.Router) {
	key, _ := authenticate.KeyFromSeedHex(jsDeviceSeed)
	for _, a := range []authenticate.Auth{
		authenticate.Ticket("js-ticket", "js-ticket-secret"),
		authenticate.WAMPCRA("js-cra", "js-cra-secret"),
		authenticate.WAMPCRA("js-salted", "js-salted-password"),
		authenticate.Cryptosign("js-device", key),
	} {
		as := b.New()
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		cfg := client.Config{Realm: "interop.std-auth", Backend: as}
		a.Apply(&cfg)
		s, err := client.Dial(ctx, r.URL, cfg)
		if err != nil {
			t.Errorf("%s: %v", a.AuthMethods[0], err)
		} else {
			s.Leave(ctx, "")
		}
		cancel()
		as.Close()
	}
}
