package main

import (
	"context"
	"crypto/ed25519"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/switchboard-wamp/switchboard/adapters/goroutine"
	"github.com/switchboard-wamp/switchboard/auth/authcrypto"
	"github.com/switchboard-wamp/switchboard/client"
	"github.com/switchboard-wamp/switchboard/client/authenticate"
	"github.com/switchboard-wamp/switchboard/core/wamp"
	"github.com/switchboard-wamp/switchboard/tests/interop"
)

// The demo credentials of examples/secured/switchboard.yaml (its header
// comment), which tests/interop/js/scenarios_auth.js uses too.
const (
	securedFile     = "../../examples/secured/switchboard.yaml"
	securedTicket   = "secured-alice-ticket"
	securedPassword = "secured-bob-password"
	securedSeed     = "4d57d97a68f555696620a6d849c0ce582568518d729eb753dc7c732de2804510"
)

// startSecured serves examples/secured/switchboard.yaml as -config would,
// its listener moved to a free port, its secrets in the environment; it
// returns the router and its log.
func startSecured(t *testing.T) (*server, *syncBuffer) {
	t.Helper()
	t.Setenv("SECURED_ALICE_TICKET", securedTicket)
	c, err := loadConfig(securedFile)
	if err != nil {
		t.Fatal(err)
	}
	cra := c.Realms[0].Auth.Users[1].WAMPCRA
	key, err := authcrypto.DeriveCRAKey(securedPassword, cra.Salt, cra.Iterations, cra.KeyLen)
	if err != nil {
		t.Fatal(err)
	}
	t.Setenv("SECURED_BOB_KEY", key)
	if len(c.Listeners) != 1 {
		t.Fatalf("listeners %v", c.Listeners)
	}
	c.Listeners[0].Address = "127.0.0.1:0"
	c = c.withDefaults()
	if err := c.Validate(); err != nil {
		t.Fatal(err)
	}
	logs := &syncBuffer{}
	srv, err := start(c, slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug})))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		srv.Shutdown(5 * time.Second)
		out := logs.String()
		for _, secret := range []string{securedTicket, "wrong-" + securedTicket, securedPassword, "wrong-" + securedPassword, key, securedSeed} {
			if strings.Contains(out, secret) {
				t.Errorf("a secret (%.6s...) is in the router's log", secret)
			}
		}
		if !strings.Contains(out, "authentication denied") {
			t.Errorf("no refused join in the log:\n%s", out)
		}
	})
	return srv, logs
}

// examples/secured/switchboard.yaml does what its comment says, served by
// the real router: the Go client joins anonymously (role public) and by
// ticket, salted WAMP-CRA and cryptosign (role member), each may do what
// its role allows and gets wamp.error.not_authorized for the rest; a wrong
// secret of each method gets ABORT wamp.error.authentication_denied; no
// secret reaches the log; a client.Component joins it as a member and as
// an anonymous session (securedComponents). autobahn-js joins the same
// router by each method
// (every serializer) and checks the same allowed and denied actions.
func TestSecuredExample(t *testing.T) {
	srv, _ := startSecured(t)
	if ps := checkConfigFile(securedFile); len(ps) > 0 {
		t.Errorf("switchboard config check %s: %v", securedFile, ps)
	}
	url := srv.URLs()[0]
	be := goroutine.New(goroutine.Config{})
	defer be.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	join := func(a authenticate.Auth) (*client.Session, error) {
		cfg := client.Config{Realm: "realm1", Backend: be, Logger: quietLog()}
		a.Apply(&cfg)
		return client.Dial(ctx, url, cfg)
	}
	key, err := authenticate.KeyFromSeedHex(securedSeed)
	if err != nil {
		t.Fatal(err)
	}
	// A member provides the procedures the others call.
	provider, err := join(authenticate.Ticket("alice", securedTicket))
	if err != nil {
		t.Fatal(err)
	}
	defer provider.Leave(ctx, "")
	for _, p := range []wamp.URI{"com.example.public.time", "com.example.private.echo"} {
		if _, err := provider.Register(ctx, p, func(context.Context, *client.Invocation) (*client.Result, error) {
			return &client.Result{Args: wamp.List{"ok"}}, nil
		}, nil); err != nil {
			t.Fatalf("register %s as a member: %v", p, err)
		}
	}

	for _, tc := range []struct {
		name         string
		a            authenticate.Auth
		authid, role string
	}{
		{"anonymous", authenticate.Auth{}, "", "public"},
		{"ticket", authenticate.Ticket("alice", securedTicket), "alice", "member"},
		{"wampcra", authenticate.WAMPCRA("bob", securedPassword), "bob", "member"},
		{"cryptosign", authenticate.Cryptosign("sensor-1", key), "sensor-1", "member"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s, err := join(tc.a)
			if err != nil {
				t.Fatal(err)
			}
			defer s.Leave(ctx, "")
			d := s.Details()
			if d["authrole"] != tc.role || (tc.authid != "" && d["authid"] != tc.authid) {
				t.Fatalf("joined as %v/%v, want %s/%s", d["authid"], d["authrole"], tc.authid, tc.role)
			}
			checkSecuredActions(ctx, t, s, tc.name, tc.role == "member")
		})
	}

	for _, tc := range []struct {
		name string
		a    authenticate.Auth
	}{
		{"wrong ticket", authenticate.Ticket("alice", "wrong-"+securedTicket)},
		{"wrong password", authenticate.WAMPCRA("bob", "wrong-"+securedPassword)},
		{"wrong key", authenticate.Cryptosign("sensor-1", ed25519.NewKeyFromSeed(make([]byte, 32)))},
		{"unknown user", authenticate.Ticket("mallory", securedTicket)},
	} {
		_, err := join(tc.a)
		var ce *client.CloseError
		if !errors.As(err, &ce) || ce.Reason != wamp.ErrAuthenticationDenied || !ce.Remote {
			t.Errorf("%s: %v, want ABORT %s", tc.name, err, wamp.ErrAuthenticationDenied)
		}
	}

	t.Run("component", func(t *testing.T) { securedComponents(ctx, t, url) })

	t.Run("autobahn-js", func(t *testing.T) {
		for _, ser := range []string{"json", "msgpack", "cbor"} {
			for _, sc := range []string{"secured-anonymous", "secured-ticket", "secured-wampcra-salted", "secured-cryptosign"} {
				got := interop.RunScenario(t, url, "realm1", sc, ser)
				want := map[string]string{"secured-anonymous": "public"}[sc]
				if want == "" {
					want = "member"
				}
				if got["authrole"] != want {
					t.Errorf("%s/%s: joined as %v, want %s", sc, ser, got["authrole"], want)
				}
			}
			got := interop.RunScenario(t, url, "realm1", "secured-wrong-ticket", ser)
			if got["abort_reason"] != string(wamp.ErrAuthenticationDenied) {
				t.Errorf("wrong ticket/%s: %v", ser, got)
			}
		}
	})
}

// checkSecuredActions tries what the example's roles allow and forbid.
func checkSecuredActions(ctx context.Context, t *testing.T, s *client.Session, name string, member bool) {
	t.Helper()
	handler := func(context.Context, *client.Invocation) (*client.Result, error) { return &client.Result{}, nil }
	ack := &client.PublishOptions{Acknowledge: true}
	actions := []struct {
		what      string
		do        func() error
		forMember bool // allowed to members; anonymous sessions are allowed only the always ones
		always    bool
	}{
		{"call com.example.public.time", func() error { _, err := s.Call(ctx, "com.example.public.time", nil, nil, nil); return err }, true, true},
		{"subscribe com.example.public.news", func() error {
			_, err := s.Subscribe(ctx, "com.example.public.news", func(*client.Event) {}, nil)
			return err
		}, true, true},
		{"publish com.example.public.news", func() error { return s.Publish(ctx, "com.example.public.news", nil, nil, ack) }, true, false},
		{"register com.example.go." + name, func() error {
			_, err := s.Register(ctx, wamp.URI("com.example.go."+name), handler, nil)
			return err
		}, true, false},
		{"call com.example.private.echo", func() error { _, err := s.Call(ctx, "com.example.private.echo", nil, nil, nil); return err }, true, false},
		{"register org.other.proc", func() error { _, err := s.Register(ctx, wamp.URI("org.other.proc."+name), handler, nil); return err }, false, false},
		{"publish org.other.news", func() error { return s.Publish(ctx, "org.other.news", nil, nil, ack) }, false, false},
	}
	for _, a := range actions {
		allowed := a.always || (member && a.forMember)
		err := a.do()
		var we *client.Error
		switch {
		case allowed && err != nil:
			t.Errorf("%s: %v, want it allowed", a.what, err)
		case !allowed && (!errors.As(err, &we) || we.URI != wamp.ErrNotAuthorized):
			t.Errorf("%s: %v, want %s", a.what, err, wamp.ErrNotAuthorized)
		}
	}
}

// securedComponents: a client.Component authenticated by ticket
// (authenticate's Auth.Component) declares a procedure under com.example.
// and calls it from Main; an anonymous one declaring a procedure is
// refused by the roles, which fails its join with
// wamp.error.not_authorized (fatal here, so Start ends).
func securedComponents(ctx context.Context, t *testing.T, url string) {
	for _, tc := range []struct {
		name string
		auth client.Auth
		proc wamp.URI
		want wamp.URI // "" = Main's call succeeds
	}{
		{"member", authenticate.Ticket("alice", securedTicket).Component(), "com.example.component.echo", ""},
		{"anonymous", client.Auth{}, "com.example.public.component", wamp.ErrNotAuthorized},
	} {
		be := goroutine.New(goroutine.Config{})
		var called bool
		c, err := client.NewComponent(client.ComponentConfig{
			Transports: []client.TransportConfig{{URL: url}},
			Realm:      "realm1",
			Backend:    be,
			Auth:       tc.auth,
			Logger:     quietLog(),
			IsFatal: func(err error) bool {
				var we *client.Error
				return errors.As(err, &we) && we.URI == wamp.ErrNotAuthorized
			},
			Main: func(ctx context.Context, s *client.Session) error {
				res, err := s.Call(ctx, tc.proc, wamp.List{"hi"}, nil, nil)
				if err == nil && (len(res.Args) != 1 || res.Args[0] != "hi") {
					err = fmt.Errorf("result %v", res.Args)
				}
				called = err == nil
				return err
			},
		})
		if err != nil {
			t.Fatal(err)
		}
		if err := c.Register(tc.proc, func(_ context.Context, inv *client.Invocation) (*client.Result, error) {
			return &client.Result{Args: inv.Args}, nil
		}, nil); err != nil {
			t.Fatal(err)
		}
		err = c.Start(ctx)
		be.Close()
		var we *client.Error
		switch {
		case tc.want == "" && (err != nil || !called):
			t.Errorf("%s component: Start %v, Main's call succeeded %v", tc.name, err, called)
		case tc.want != "" && (!errors.As(err, &we) || we.URI != tc.want || called):
			t.Errorf("%s component: Start %v, want %s", tc.name, err, tc.want)
		}
	}
}
