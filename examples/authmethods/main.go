// Command authmethods shows the standard WAMP authentication methods of
// package auth: a realm that admits anonymous sessions as "public" and
// users by ticket, salted WAMP-CRA and cryptosign, and the Go client
// joining by each (package client/authenticate), a wrong secret included.
//
//	go run ./examples/authmethods
package main

import (
	"crypto/ed25519"
	"encoding/hex"
	"errors"
	"fmt"
	"io"

	"github.com/switchboard-wamp/switchboard/auth"
	"github.com/switchboard-wamp/switchboard/auth/authcrypto"
	"github.com/switchboard-wamp/switchboard/client"
	"github.com/switchboard-wamp/switchboard/client/authenticate"
	"github.com/switchboard-wamp/switchboard/core"
	"github.com/switchboard-wamp/switchboard/examples/internal/demo"
)

func main() { demo.Main(run) }

// The demo's credentials; a real deployment reads them from files or the
// environment (cmd/switchboard's secret_file, secret_env).
const (
	aliceTicket  = "wonderland"
	bobPassword  = "correct horse"
	deviceSeed   = "4d57d97a68f555696620a6d849c0ce582568518d729eb753dc7c732de2804510"
	bobSalt      = "bob-salt"
	bobIteration = 1000
)

// realmAuth is the realm's authentication. The router stores bob's
// derived key, never his password, and only the device's public key.
func realmAuth() (*auth.Authenticator, ed25519.PrivateKey, error) {
	bobKey, err := authcrypto.DeriveCRAKey(bobPassword, bobSalt, bobIteration, 32)
	if err != nil {
		return nil, nil, err
	}
	device, err := authenticate.KeyFromSeedHex(deviceSeed)
	if err != nil {
		return nil, nil, err
	}
	a, err := auth.New(auth.Config{
		Anonymous: &auth.Anonymous{AuthRole: "public"},
		Ticket:    &auth.Ticket{Users: map[string]auth.TicketUser{"alice": {Ticket: aliceTicket, AuthRole: "writer"}}},
		WAMPCRA: &auth.WAMPCRA{Users: map[string]auth.CRAUser{
			"bob": {Secret: bobKey, AuthRole: "writer", Salt: bobSalt, Iterations: bobIteration, KeyLen: 32}}},
		Cryptosign: &auth.Cryptosign{Users: []auth.CryptosignUser{{AuthID: "sensor-1", AuthRole: "device",
			PubKeys: []string{hex.EncodeToString(device.Public().(ed25519.PublicKey))}}}},
	})
	return a, device, err
}

func run(out io.Writer) error {
	ctx, backend, done := demo.Start()
	defer done()
	app, err := core.New(core.Config{Backend: backend, Realms: []core.RealmConfig{{URI: "realm1"}}})
	if err != nil {
		return err
	}
	a, device, err := realmAuth()
	if err != nil {
		return err
	}
	realm, _ := app.Realm("realm1")
	realm.SetAuthenticator(a.Authenticate)
	url, stop, err := demo.Serve(app)
	if err != nil {
		return err
	}
	defer stop()
	defer app.Close(ctx)

	attempts := []struct {
		who  string
		auth authenticate.Auth
	}{
		{"anonymous", authenticate.Auth{}},
		{"alice (ticket)", authenticate.Ticket("alice", aliceTicket)},
		{"bob (salted WAMP-CRA)", authenticate.WAMPCRA("bob", bobPassword)},
		{"sensor-1 (cryptosign)", authenticate.Cryptosign("sensor-1", device)},
		{"bob (wrong password)", authenticate.WAMPCRA("bob", "incorrect horse")},
	}
	for _, at := range attempts {
		cfg := client.Config{Realm: "realm1", Backend: backend}
		at.auth.Apply(&cfg)
		s, err := client.Dial(ctx, url, cfg)
		var ce *client.CloseError
		switch {
		case errors.As(err, &ce):
			fmt.Fprintf(out, "%s: refused with %s (%s)\n", at.who, ce.Reason, ce.Message)
			continue
		case err != nil:
			return err
		}
		d := s.Details()
		fmt.Fprintf(out, "%s: welcome, authrole=%v authmethod=%v\n", at.who, d["authrole"], d["authmethod"])
		if err := s.Leave(ctx, ""); err != nil {
			return err
		}
	}
	return nil
}
