package tests

import (
	"context"
	"crypto/ed25519"
	"crypto/tls"
	"crypto/x509"
	"encoding/hex"
	"errors"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/switchboard-wamp/switchboard/auth"
	"github.com/switchboard-wamp/switchboard/auth/authcrypto"
	"github.com/switchboard-wamp/switchboard/client"
	"github.com/switchboard-wamp/switchboard/client/authenticate"
	"github.com/switchboard-wamp/switchboard/core"
	"github.com/switchboard-wamp/switchboard/core/serialize"
	"github.com/switchboard-wamp/switchboard/core/wamp"
	"github.com/switchboard-wamp/switchboard/tests/testrouter"
	"github.com/switchboard-wamp/switchboard/transport"
)

// End-to-end tests of package auth: the Go client joins by every method
// over every transport and serializer, on every backend.

const e2eSeed = "6e1fde9cf9e2359a87420b65a87dc0c66136e66945196ba2475990d8a0c3a25b"

func e2eAuthConfig(t *testing.T) auth.Config {
	t.Helper()
	key, err := authcrypto.DeriveCRAKey("bob-password", "salt", 100, 32)
	must(t, err)
	erin, err := auth.NewSCRAMUser("erin-password", "scram", authcrypto.SCRAMParams{KDF: authcrypto.KDFArgon2id, Salt: "c2FsdHNhbHRzYWx0", Iterations: 1, Memory: 64})
	must(t, err)
	dave, err := authenticate.KeyFromSeedHex(e2eSeed)
	must(t, err)
	return auth.Config{
		Anonymous: &auth.Anonymous{AuthID: "guest", AuthRole: "public"},
		Ticket:    &auth.Ticket{Users: map[string]auth.TicketUser{"alice": {Ticket: "alice-ticket", AuthRole: "writer"}}},
		WAMPCRA: &auth.WAMPCRA{Users: map[string]auth.CRAUser{
			"bob": {Secret: key, AuthRole: "salted", Salt: "salt", Iterations: 100}}},
		Cryptosign: &auth.Cryptosign{Users: []auth.CryptosignUser{{AuthID: "dave", AuthRole: "device",
			PubKeys: []string{hex.EncodeToString(dave.Public().(ed25519.PublicKey))}}}},
		SCRAM:    &auth.SCRAM{Users: map[string]auth.SCRAMUser{"erin": erin}},
		Throttle: auth.Throttle{Disabled: true},
	}
}

// joinAuth joins realm1 at url with a, on a fresh backend of kind b.
func joinAuth(t *testing.T, b backend, url string, ser serialize.Serializer, a authenticate.Auth) (wamp.Dict, error) {
	t.Helper()
	as := b.New()
	defer as.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	cfg := client.Config{Realm: "realm1", Backend: as, Serializers: []serialize.Serializer{ser}}
	a.Apply(&cfg)
	s, err := client.Dial(ctx, url, cfg)
	if err != nil {
		return nil, err
	}
	defer s.Leave(ctx, "")
	return s.Details(), nil // a.CheckWelcome, set by Apply, ran before Dial returned
}

func TestAuthMethodsEndToEnd(t *testing.T) {
	forEachBackend(t, func(t *testing.T, b backend) {
		r := startRouter(t, b)
		a, err := auth.New(e2eAuthConfig(t))
		must(t, err)
		r.Realm.SetAuthenticator(a.Authenticate)
		dave, _ := authenticate.KeyFromSeedHex(e2eSeed)
		methods := []struct {
			name         string
			auth         func() authenticate.Auth
			authid, role string
			bad          func() authenticate.Auth
		}{
			{"anonymous", func() authenticate.Auth { return authenticate.Auth{} }, "guest", "public", nil},
			{"ticket", func() authenticate.Auth { return authenticate.Ticket("alice", "alice-ticket") }, "alice", "writer",
				func() authenticate.Auth { return authenticate.Ticket("alice", "alice-tickeT") }},
			{"wampcra", func() authenticate.Auth { return authenticate.WAMPCRA("bob", "bob-password") }, "bob", "salted",
				func() authenticate.Auth { return authenticate.WAMPCRA("bob", "bob-passwort") }},
			{"cryptosign", func() authenticate.Auth { return authenticate.Cryptosign("dave", dave) }, "dave", "device",
				func() authenticate.Auth {
					return authenticate.Cryptosign("dave", ed25519.NewKeyFromSeed(make([]byte, 32)))
				}},
			{"wamp-scram", func() authenticate.Auth {
				s, err := authenticate.SCRAM("erin", "erin-password")
				must(t, err)
				return s
			}, "erin", "scram", func() authenticate.Auth {
				s, err := authenticate.SCRAM("erin", "erin-passwort")
				must(t, err)
				return s
			}},
		}
		for i, tr := range testrouter.Transports() {
			for j, m := range methods {
				ser := testrouter.Serializers()[(i+j)%3]
				t.Run(tr.Name+"/"+m.name+"/"+ser.Name(), func(t *testing.T) {
					d, err := joinAuth(t, b, tr.URL(r), ser, m.auth())
					if err != nil {
						t.Fatalf("join: %v", err)
					}
					if d["authid"] != m.authid || d["authrole"] != m.role {
						t.Fatalf("joined as %v/%v, want %s/%s", d["authid"], d["authrole"], m.authid, m.role)
					}
					if m.bad != nil {
						_, err := joinAuth(t, b, tr.URL(r), ser, m.bad())
						wantAbortReason(t, err, wamp.ErrAuthenticationDenied)
					}
				})
			}
		}
	})
}

// A challenge left unanswered ends with the handshake deadline: the join
// fails, and the router is free for the next client.
func TestAuthChallengeTimeout(t *testing.T) {
	forEachBackend(t, func(t *testing.T, b backend) {
		r := testrouter.Serve(t, b.New(), core.Config{HandshakeTimeout: 300 * time.Millisecond, Realms: []core.RealmConfig{{URI: "realm1"}}})
		a, err := auth.New(e2eAuthConfig(t))
		must(t, err)
		r.Realm.SetAuthenticator(a.Authenticate)
		silent := authenticate.Ticket("alice", "alice-ticket")
		silent.OnChallenge = func(ctx context.Context, _ *wamp.Challenge) (string, wamp.Dict, error) {
			<-ctx.Done() // never answers; ends with the session
			return "", nil, ctx.Err()
		}
		if _, err := joinAuth(t, b, r.URL, serialize.JSON, silent); err == nil {
			t.Fatal("a join whose challenge was never answered succeeded")
		}
		d, err := joinAuth(t, b, r.URL, serialize.JSON, authenticate.Ticket("alice", "alice-ticket"))
		if err != nil || d["authid"] != "alice" {
			t.Fatalf("next join: %v %v", d, err)
		}
	})
}

// Cryptosign's tls-unique channel binding over a real TLS 1.2 WebSocket:
// the router binds the challenge to the connection, and a signature made
// without the binding is denied. (The Go client cannot read its own
// connection's tls-unique value, so the test hands the value the router
// sees to the client's handler: both ends of one TLS connection share it.)
func TestCryptosignTLSUnique(t *testing.T) {
	b := backends()[0]
	url, realm, roots := serveTLS(t, b, &tls.Config{MaxVersion: tls.VersionTLS12})
	a, err := auth.New(e2eAuthConfig(t))
	must(t, err)
	unique := make(chan []byte, 1)
	realm.SetAuthenticator(func(ctx context.Context, req *core.AuthRequest) (*core.Identity, error) {
		select {
		case unique <- req.Transport.TLSUnique:
		default:
		}
		return a.Authenticate(ctx, req)
	})
	dave, _ := authenticate.KeyFromSeedHex(e2eSeed)
	join := func(bind bool) (wamp.Dict, error) {
		cs := authenticate.Cryptosign("dave", dave)
		cs.AuthExtra["channel_binding"] = "tls-unique"
		cs.OnChallenge = func(ctx context.Context, c *wamp.Challenge) (string, wamp.Dict, error) {
			u := recvWithin(t, unique, "the router's tls-unique value")
			if len(u) == 0 || c.Extra["channel_binding"] != "tls-unique" {
				t.Errorf("tls-unique %x, challenge %v", u, c.Extra)
			}
			ch, _ := hex.DecodeString(c.Extra["challenge"].(string))
			var id []byte
			if bind {
				id = authcrypto.TLSUniqueChannelID(u)
			}
			msg, err := authcrypto.CryptosignMessage(ch, id)
			if err != nil {
				return "", nil, err
			}
			return hex.EncodeToString(append(ed25519.Sign(dave, msg), msg...)), nil, nil
		}
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		cas := b.New()
		defer cas.Close()
		cfg := client.Config{Realm: "realm1", Backend: cas, TLSConfig: &tls.Config{RootCAs: roots, MaxVersion: tls.VersionTLS12}}
		cs.Apply(&cfg)
		s, err := client.Dial(ctx, url, cfg)
		if err != nil {
			return nil, err
		}
		defer s.Leave(ctx, "")
		return s.Details(), nil
	}
	d, err := join(true)
	if err != nil || d["authid"] != "dave" {
		t.Fatalf("bound join: %v %v", d, err)
	}
	_, err = join(false)
	wantAbortReason(t, err, wamp.ErrAuthenticationDenied)
}

// serveTLS serves realm1 over a TLS WebSocket configured by tc (its
// certificate set by httptest) until t ends; it returns the wss URL, the
// realm and the roots that trust the server.
func serveTLS(t *testing.T, b backend, tc *tls.Config) (string, *core.Realm, *x509.CertPool) {
	t.Helper()
	as := b.New()
	app, err := core.New(core.Config{Backend: as, Realms: []core.RealmConfig{{URI: "realm1"}}})
	must(t, err)
	ws, err := transport.NewWebSocketServer(transport.WebSocketConfig{Serializers: testrouter.Serializers()}, app)
	must(t, err)
	hs := httptest.NewUnstartedServer(ws)
	hs.TLS = tc
	hs.StartTLS()
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		app.Close(ctx)
		ws.Close()
		hs.Close()
		as.Close()
	})
	roots := x509.NewCertPool()
	roots.AddCert(hs.Certificate())
	realm, _ := app.Realm("realm1")
	return "wss" + strings.TrimPrefix(hs.URL, "https") + "/ws", realm, roots
}

// On TLS 1.3, which has no tls-unique value, the binding is refused with a
// message that says so.
func TestCryptosignTLSUniqueRefusedOnTLS13(t *testing.T) {
	b := backends()[0]
	url, realm, roots := serveTLS(t, b, &tls.Config{MinVersion: tls.VersionTLS13})
	a, err := auth.New(e2eAuthConfig(t))
	must(t, err)
	realm.SetAuthenticator(a.Authenticate)
	dave, _ := authenticate.KeyFromSeedHex(e2eSeed)
	cs := authenticate.Cryptosign("dave", dave)
	cs.AuthExtra["channel_binding"] = "tls-unique"
	cas := b.New()
	defer cas.Close()
	cfg := client.Config{Realm: "realm1", Backend: cas, TLSConfig: &tls.Config{RootCAs: roots}}
	cs.Apply(&cfg)
	_, err = client.Dial(guardCtx(t), url, cfg)
	wantAbortReason(t, err, wamp.ErrNoMatchingAuthMethod)
	var ce *client.CloseError
	if errors.As(err, &ce); ce == nil || !strings.Contains(ce.Message, "TLS 1.3") {
		t.Fatalf("ABORT message %v, want it to name TLS 1.3", err)
	}
}
