package tests

import (
	"context"
	"encoding/base64"
	"errors"
	"sync/atomic"
	"testing"
	"time"

	"github.com/switchboard-wamp/switchboard/auth"
	"github.com/switchboard-wamp/switchboard/client"
	"github.com/switchboard-wamp/switchboard/client/authenticate"
	"github.com/switchboard-wamp/switchboard/core"
	"github.com/switchboard-wamp/switchboard/core/serialize"
	"github.com/switchboard-wamp/switchboard/tests/testrouter"
)

// forgingRouter serves realm1 with package auth's users (e2eAuthConfig);
// while forge is set, its WAMP-SCRAM WELCOMEs carry a wrong server
// signature (forge 1) or none (forge 2), as a router that does not know the
// user's keys would send.
func forgingRouter(t *testing.T, b backend) (*testrouter.Router, *atomic.Int32) {
	t.Helper()
	r := startRouter(t, b)
	a, err := auth.New(e2eAuthConfig(t))
	must(t, err)
	var forge atomic.Int32
	r.Realm.SetAuthenticator(func(ctx context.Context, req *core.AuthRequest) (*core.Identity, error) {
		id, err := a.Authenticate(ctx, req)
		if err != nil || id.AuthMethod != "wamp-scram" {
			return id, err
		}
		switch forge.Load() {
		case 1:
			id.AuthExtra["verifier"] = "v=" + base64.StdEncoding.EncodeToString(make([]byte, 32))
		case 2:
			delete(id.AuthExtra, "verifier")
		}
		return id, nil
	})
	return r, &forge
}

// The Go client checks WAMP-SCRAM's server signature on every join by
// itself (Auth.Apply sets Config.CheckWelcome): an honest router's WELCOME
// passes and OnJoin runs; a wrong or missing signature makes the session
// leave before OnJoin, the join fails with client.ErrWelcomeRefused, and
// the router sees the session go. On every backend and serializer.
func TestSCRAMServerSignatureCheckedOnJoin(t *testing.T) {
	forEachBackend(t, func(t *testing.T, b backend) {
		r, forge := forgingRouter(t, b)
		for _, ser := range testrouter.Serializers() {
			for _, f := range []int32{0, 1, 2} {
				forge.Store(f)
				sc, err := authenticate.SCRAM("erin", "erin-password")
				must(t, err)
				as := b.New()
				ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
				var joined atomic.Bool
				cfg := client.Config{Realm: "realm1", Backend: as, Serializers: []serialize.Serializer{ser},
					Hooks: client.Hooks{OnJoin: func(context.Context, *client.Session, *client.SessionDetails) error {
						joined.Store(true)
						return nil
					}}}
				sc.Apply(&cfg)
				s, err := client.Dial(ctx, r.URL, cfg)
				switch {
				case f == 0 && err != nil:
					t.Errorf("%s: honest router: %v", ser.Name(), err)
				case f == 0:
					if !joined.Load() {
						t.Errorf("%s: OnJoin did not run", ser.Name())
					}
				case !errors.Is(err, client.ErrWelcomeRefused):
					t.Errorf("%s: forged WELCOME %d: %v, want ErrWelcomeRefused", ser.Name(), f, err)
				case joined.Load():
					t.Errorf("%s: OnJoin ran after a forged WELCOME", ser.Name())
				}
				if err == nil {
					s.Leave(ctx, "")
				}
				cancel()
				as.Close()
				waitUntil(t, "the session to leave the router", func() bool { return len(r.Realm.Sessions()) == 0 })
			}
		}
	})
}

// A Component given authenticate's SCRAM Auth (Auth.Component) checks the
// signature on its joins too: against a forging router its join fails with
// client.ErrWelcomeRefused (fatal here, so Start ends) and its hooks never
// see the session; against an honest one Main runs.
func TestSCRAMServerSignatureCheckedByComponent(t *testing.T) {
	forEachBackend(t, func(t *testing.T, b backend) {
		r, forge := forgingRouter(t, b)
		for _, f := range []int32{1, 0} {
			forge.Store(f)
			sc, err := authenticate.SCRAM("erin", "erin-password")
			must(t, err)
			as := b.New()
			var joined, ran atomic.Bool
			c, err := client.NewComponent(client.ComponentConfig{
				Transports: []client.TransportConfig{{URL: r.URL}},
				Realm:      "realm1",
				Backend:    as,
				Auth:       sc.Component(),
				IsFatal:    func(err error) bool { return errors.Is(err, client.ErrWelcomeRefused) },
				Hooks: client.Hooks{OnJoin: func(context.Context, *client.Session, *client.SessionDetails) error {
					joined.Store(true)
					return nil
				}},
				Main: func(context.Context, *client.Session) error {
					ran.Store(true)
					return nil
				},
			})
			must(t, err)
			ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
			err = c.Start(ctx)
			cancel()
			as.Close()
			if f == 0 {
				if err != nil || !joined.Load() || !ran.Load() {
					t.Fatalf("honest router: Start %v, joined %v, Main ran %v", err, joined.Load(), ran.Load())
				}
				continue
			}
			if !errors.Is(err, client.ErrWelcomeRefused) || joined.Load() || ran.Load() {
				t.Fatalf("forging router: Start %v (want ErrWelcomeRefused), joined %v, Main ran %v", err, joined.Load(), ran.Load())
			}
		}
	})
}
