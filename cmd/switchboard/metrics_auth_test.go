package main

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/switchboard-wamp/switchboard/adapters/goroutine"
	"github.com/switchboard-wamp/switchboard/client"
	"github.com/switchboard-wamp/switchboard/client/authenticate"
	"github.com/switchboard-wamp/switchboard/core"
	"github.com/switchboard-wamp/switchboard/core/wamp"
)

// switchboard_auth_failures_total{method} counts the refusals of package
// auth's methods under their WAMP names: a wrong ticket, WAMP-CRA
// password, cryptosign key and WAMP-SCRAM password each add one to their
// own method, an anonymous HELLO to a realm without anonymous access adds
// one to anonymous, a made-up method to other; nothing else moves.
func TestMetricsAuthFailuresByMethod(t *testing.T) {
	text := strings.Replace(authYAML(t), "listeners:", `  - uri: locked
    auth:
      throttle: {disabled: true}
      users: [{authid: x, ticket: {secret: x-ticket}}]
metrics: {address: "127.0.0.1:0"}
listeners:`, 1)
	c, err := decodeConfig([]byte(text))
	if err != nil {
		t.Fatal(err)
	}
	c = c.withDefaults()
	if err := c.Validate(); err != nil {
		t.Fatal(err)
	}
	srv, err := start(c, quietLog())
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Shutdown(5 * time.Second)
	before := scrapeMetrics(t, srv.OpsURL())

	otherKey, _ := authenticate.KeyFromSeedHex(strings.Repeat("ab", 32))
	wrongSCRAM, err := authenticate.SCRAM("erin", "not-"+testPassword)
	if err != nil {
		t.Fatal(err)
	}
	madeUp := authenticate.Auth{AuthID: "alice", AuthMethods: []string{"made-up"}}
	be := goroutine.New(goroutine.Config{})
	defer be.Close()
	for _, tc := range []struct {
		realm wamp.URI
		a     authenticate.Auth
		want  wamp.URI
	}{
		{"realm1", authenticate.Ticket("alice", "wrong-"+testTicket), wamp.ErrAuthenticationDenied},
		{"realm1", authenticate.WAMPCRA("bob", "wrong-"+testPassword), wamp.ErrAuthenticationDenied},
		{"realm1", authenticate.Cryptosign("dave", otherKey), wamp.ErrAuthenticationDenied},
		{"realm1", wrongSCRAM, wamp.ErrAuthenticationDenied},
		{"locked", authenticate.Auth{}, wamp.ErrNoMatchingAuthMethod},
		{"realm1", madeUp, wamp.ErrNoMatchingAuthMethod},
	} {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		cfg := client.Config{Realm: tc.realm, Backend: be, Logger: quietLog()}
		tc.a.Apply(&cfg)
		_, err := client.Dial(ctx, srv.URLs()[0], cfg)
		cancel()
		var ce *client.CloseError
		if !errors.As(err, &ce) || ce.Reason != tc.want {
			t.Fatalf("%v on %s: %v, want ABORT %s", tc.a.AuthMethods, tc.realm, err, tc.want)
		}
	}
	after := scrapeMetrics(t, srv.OpsURL())
	for _, m := range core.AuthMethods {
		series := `switchboard_auth_failures_total{method="` + m + `"}`
		want := 1.0
		if m == "cookie" || m == "tls" {
			want = 0
		}
		if d := after.get(t, series) - before[series]; d != want {
			t.Errorf("%s grew by %v, want %v", series, d, want)
		}
	}
}
