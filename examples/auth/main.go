// Command auth shows the authentication hook: one function that sees each
// new session's HELLO and connection (headers, cookies, peer address) and
// admits it with an identity or refuses it with an ABORT. Users log in with
// a ticket (a CHALLENGE / AUTHENTICATE round trip); services present an
// API key in an HTTP header of the WebSocket upgrade.
//
//	go run ./examples/auth
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"slices"

	"github.com/switchboard-wamp/switchboard/client"
	"github.com/switchboard-wamp/switchboard/core"
	"github.com/switchboard-wamp/switchboard/core/wamp"
	"github.com/switchboard-wamp/switchboard/examples/internal/demo"
)

func main() { demo.Main(run) }

// Users and services; a real application would look them up in a database
// (the authenticator may block: it runs as a backend task).
var (
	tickets  = map[string]string{"alice": "wonderland"}
	services = map[string]string{"key-123": "billing"}
)

func authenticate(ctx context.Context, req *core.AuthRequest) (*core.Identity, error) {
	if svc, ok := services[req.Transport.Header.Get("X-Api-Key")]; ok {
		return &core.Identity{AuthID: svc, AuthRole: "service", AuthMethod: "api-key"}, nil
	}
	if !slices.Contains(req.AuthMethods, "ticket") {
		return nil, &core.AbortError{URI: wamp.ErrNoMatchingAuthMethod, Message: "use a ticket or an API key"}
	}
	a, err := req.Challenge(ctx, "ticket", nil)
	if err != nil {
		return nil, err // the client went away, or the handshake timed out
	}
	if want, ok := tickets[req.AuthID]; !ok || a.Signature != want {
		return nil, &core.AbortError{URI: wamp.ErrAuthenticationDenied, Message: "wrong ticket"}
	}
	return &core.Identity{AuthID: req.AuthID, AuthRole: "user", AuthExtra: wamp.Dict{"welcome": "hello " + req.AuthID}}, nil
}

func run(out io.Writer) error {
	ctx, backend, done := demo.Start()
	defer done()
	app, err := core.New(core.Config{Backend: backend, Realms: []core.RealmConfig{{URI: "realm1"}}})
	if err != nil {
		return err
	}
	app.SetAuthenticator(authenticate)
	url, stop, err := demo.Serve(app)
	if err != nil {
		return err
	}
	defer stop()
	defer app.Close(ctx)

	ticket := func(t string) client.ChallengeHandler {
		return func(context.Context, *wamp.Challenge) (string, wamp.Dict, error) { return t, nil, nil }
	}
	attempts := []struct {
		who string
		cfg client.Config
	}{
		{"alice", client.Config{AuthID: "alice", AuthMethods: []string{"ticket"}, OnChallenge: ticket("wonderland")}},
		{"alice (typo)", client.Config{AuthID: "alice", AuthMethods: []string{"ticket"}, OnChallenge: ticket("wonderlnad")}},
		{"billing service", client.Config{Header: http.Header{"X-Api-Key": {"key-123"}}}},
		{"stranger", client.Config{}},
	}
	for _, a := range attempts {
		a.cfg.Realm, a.cfg.Backend = "realm1", backend
		s, err := client.Dial(ctx, url, a.cfg)
		var ce *client.CloseError
		switch {
		case errors.As(err, &ce):
			fmt.Fprintf(out, "%s: refused with %s (%s)\n", a.who, ce.Reason, ce.Message)
			continue
		case err != nil:
			return err
		}
		d := s.Details()
		fmt.Fprintf(out, "%s: welcome, authid=%v authrole=%v authmethod=%v", a.who, d["authid"], d["authrole"], d["authmethod"])
		if extra, ok := d["authextra"].(wamp.Dict); ok {
			fmt.Fprintf(out, " authextra=%v", extra)
		}
		fmt.Fprintln(out)
		if err := s.Leave(ctx, ""); err != nil {
			return err
		}
	}
	return nil
}
