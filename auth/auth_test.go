package auth_test

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"encoding/hex"
	"errors"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/switchboard-wamp/switchboard/adapters/goroutine"
	"github.com/switchboard-wamp/switchboard/auth"
	"github.com/switchboard-wamp/switchboard/auth/authcrypto"
	"github.com/switchboard-wamp/switchboard/client"
	"github.com/switchboard-wamp/switchboard/client/authenticate"
	"github.com/switchboard-wamp/switchboard/core"
	"github.com/switchboard-wamp/switchboard/core/wamp"
	"github.com/switchboard-wamp/switchboard/tests/testrouter"
)

// Secrets of the test users: none may appear in a log.
const (
	aliceTicket = "tkt-alice-5ecret"
	bobPassword = "bob-pa55word"
	carolSecret = "carol-plain-secret"
	erinPass    = "erin-scram-pa55"
	frankPass   = "frank-argon-pa55"
	daveSeed    = "4d57d97a68f555696620a6d849c0ce582568518d729eb753dc7c732de2804510"
)

var secrets = []string{aliceTicket, bobPassword, carolSecret, erinPass, frankPass, daveSeed}

func mustKey(t testing.TB, seed string) ed25519.PrivateKey {
	k, err := authenticate.KeyFromSeedHex(seed)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// testConfig is a realm with one user per method.
func testConfig(t testing.TB) auth.Config {
	bobKey, err := authcrypto.DeriveCRAKey(bobPassword, "salt123", 100, 16)
	if err != nil {
		t.Fatal(err)
	}
	erin, err := auth.NewSCRAMUser(erinPass, "scram-user", authcrypto.SCRAMParams{KDF: authcrypto.KDFPBKDF2, Salt: "c2FsdHNhbHRzYWx0", Iterations: 1000})
	if err != nil {
		t.Fatal(err)
	}
	frank, err := auth.NewSCRAMUser(frankPass, "argon-user", authcrypto.SCRAMParams{KDF: authcrypto.KDFArgon2id, Salt: "ZnJhbmtzYWx0ZnJhbmtzYQ==", Iterations: 1, Memory: 64})
	if err != nil {
		t.Fatal(err)
	}
	pub := hex.EncodeToString(mustKey(t, daveSeed).Public().(ed25519.PublicKey))
	return auth.Config{
		Anonymous: &auth.Anonymous{AuthRole: "public"},
		Ticket:    &auth.Ticket{Users: map[string]auth.TicketUser{"alice": {Ticket: aliceTicket, AuthRole: "writer"}}},
		WAMPCRA: &auth.WAMPCRA{Users: map[string]auth.CRAUser{
			"bob":   {Secret: bobKey, AuthRole: "salted", Salt: "salt123", Iterations: 100, KeyLen: 16},
			"carol": {Secret: carolSecret, AuthRole: "plain"},
		}},
		Cryptosign: &auth.Cryptosign{Users: []auth.CryptosignUser{{AuthID: "dave", AuthRole: "device", PubKeys: []string{pub}}}},
		SCRAM:      &auth.SCRAM{Users: map[string]auth.SCRAMUser{"erin": erin, "frank": frank}},
		Throttle:   auth.Throttle{Disabled: true},
	}
}

// logBuffer collects every log line of the router and the authenticator.
type logBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (l *logBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.Write(p)
}

func (l *logBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.String()
}

// serve starts a router whose realm1 authenticates with cfg.
func serve(t *testing.T, cfg auth.Config) (*testrouter.Router, *logBuffer) {
	t.Helper()
	logs := &logBuffer{}
	log := slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	cfg.Logger = log
	a, err := auth.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	r := testrouter.Serve(t, goroutine.New(goroutine.Config{}), core.Config{Logger: log, Realms: []core.RealmConfig{{URI: "realm1"}}})
	r.Realm.SetAuthenticator(a.Authenticate)
	t.Cleanup(func() {
		for _, s := range secrets {
			if strings.Contains(logs.String(), s) {
				t.Errorf("a secret is in the log:\n%s", logs.String())
			}
		}
	})
	return r, logs
}

// join dials realm1 with a; it returns the WELCOME details.
func join(t *testing.T, r *testrouter.Router, a authenticate.Auth) (wamp.Dict, error) {
	t.Helper()
	as := goroutine.New(goroutine.Config{})
	defer as.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	cfg := client.Config{Realm: "realm1", Backend: as}
	a.Apply(&cfg)
	s, err := client.Dial(ctx, r.URL, cfg)
	if err != nil {
		return nil, err
	}
	defer s.Leave(ctx, "")
	d := s.Details()
	if a.CheckWelcome != nil {
		if err := a.CheckWelcome(d); err != nil {
			return nil, err
		}
	}
	return d, nil
}

func wantIdentity(t *testing.T, d wamp.Dict, err error, authid, role, method string) {
	t.Helper()
	if err != nil {
		t.Fatalf("join: %v", err)
	}
	if d["authid"] != authid || d["authrole"] != role || d["authmethod"] != method {
		t.Fatalf("WELCOME authid=%v authrole=%v authmethod=%v, want %s %s %s", d["authid"], d["authrole"], d["authmethod"], authid, role, method)
	}
}

func wantAbort(t *testing.T, err error, uri wamp.URI) *client.CloseError {
	t.Helper()
	var ce *client.CloseError
	if !errors.As(err, &ce) || ce.Reason != uri {
		t.Fatalf("join error %v, want ABORT %s", err, uri)
	}
	return ce
}

func scram(t *testing.T, authid, password string) authenticate.Auth {
	a, err := authenticate.SCRAM(authid, password)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

func TestMethods(t *testing.T) {
	r, _ := serve(t, testConfig(t))
	dave := mustKey(t, daveSeed)
	stranger := ed25519.NewKeyFromSeed(make([]byte, 32))
	ok := []struct {
		name               string
		a                  authenticate.Auth
		authid, role, meth string
	}{
		{"ticket", authenticate.Ticket("alice", aliceTicket), "alice", "writer", "ticket"},
		{"wampcra salted", authenticate.WAMPCRA("bob", bobPassword), "bob", "salted", "wampcra"},
		{"wampcra plain", authenticate.WAMPCRA("carol", carolSecret), "carol", "plain", "wampcra"},
		{"cryptosign", authenticate.Cryptosign("dave", dave), "dave", "device", "cryptosign"},
		{"cryptosign without authid", authenticate.Cryptosign("", dave), "dave", "device", "cryptosign"},
		{"scram pbkdf2", scram(t, "erin", erinPass), "erin", "scram-user", "wamp-scram"},
		{"scram argon2id", scram(t, "frank", frankPass), "frank", "argon-user", "wamp-scram"},
		{"anonymous", authenticate.Auth{AuthMethods: []string{"anonymous"}}, "", "public", "anonymous"},
	}
	for _, tc := range ok {
		t.Run("ok/"+tc.name, func(t *testing.T) {
			d, err := join(t, r, tc.a)
			if tc.authid == "" { // anonymous: the session ID
				tc.authid, _ = d["authid"].(string)
			}
			wantIdentity(t, d, err, tc.authid, tc.role, tc.meth)
		})
	}
	denied := []struct {
		name string
		a    authenticate.Auth
	}{
		{"ticket wrong secret", authenticate.Ticket("alice", aliceTicket+"x")},
		{"ticket unknown user", authenticate.Ticket("mallory", aliceTicket)},
		{"ticket without authid", authenticate.Ticket("", aliceTicket)},
		{"wampcra salted wrong password", authenticate.WAMPCRA("bob", "nope")},
		{"wampcra salted, derived key as password", authenticate.WAMPCRA("bob", mustCRAKey(t))},
		{"wampcra plain wrong secret", authenticate.WAMPCRA("carol", carolSecret[1:])},
		{"wampcra unknown user", authenticate.WAMPCRA("mallory", carolSecret)},
		{"cryptosign unknown key", authenticate.Cryptosign("dave", stranger)},
		{"cryptosign other user's authid", authenticate.Cryptosign("alice", dave)},
		{"scram wrong password", scram(t, "erin", "nope")},
		{"scram unknown user", scram(t, "mallory", erinPass)},
	}
	for _, tc := range denied {
		t.Run("denied/"+tc.name, func(t *testing.T) {
			_, err := join(t, r, tc.a)
			ce := wantAbort(t, err, wamp.ErrAuthenticationDenied)
			if ce.Message != "authentication denied" {
				t.Fatalf("message %q says more than that the authentication was denied", ce.Message)
			}
		})
	}
}

func mustCRAKey(t *testing.T) string {
	k, err := authcrypto.DeriveCRAKey(bobPassword, "salt123", 100, 16)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// A client offering only methods the realm does not accept gets
// no_matching_auth_method; one offering several gets the first accepted one
// in its own order; a method the client did not offer is never tried.
func TestMethodChoice(t *testing.T) {
	cfg := testConfig(t)
	cfg.Anonymous = nil
	r, _ := serve(t, cfg)
	_, err := join(t, r, authenticate.Auth{AuthMethods: []string{"anonymous"}})
	wantAbort(t, err, wamp.ErrNoMatchingAuthMethod)
	_, err = join(t, r, authenticate.Auth{}) // no authmethods = anonymous
	wantAbort(t, err, wamp.ErrNoMatchingAuthMethod)
	other := authenticate.Ticket("alice", aliceTicket)
	other.AuthMethods = []string{"x-unknown", "tls"}
	_, err = join(t, r, other)
	wantAbort(t, err, wamp.ErrNoMatchingAuthMethod)

	both := authenticate.Combine(authenticate.WAMPCRA("carol", carolSecret), authenticate.Ticket("carol", "unused"))
	d, err := join(t, r, both)
	wantIdentity(t, d, err, "carol", "plain", "wampcra")
	both = authenticate.Combine(authenticate.Auth{AuthMethods: []string{"x-unknown"}}, authenticate.Ticket("alice", aliceTicket), authenticate.WAMPCRA("alice", "unused"))
	d, err = join(t, r, both)
	wantIdentity(t, d, err, "alice", "writer", "ticket")
}

// recorder wraps a's handler: it keeps the answers a gives.
func recorder(a authenticate.Auth) (authenticate.Auth, func() (string, wamp.Dict)) {
	var mu sync.Mutex
	var sig string
	var extra wamp.Dict
	h := a.OnChallenge
	a.OnChallenge = func(ctx context.Context, c *wamp.Challenge) (string, wamp.Dict, error) {
		s, e, err := h(ctx, c)
		mu.Lock()
		sig, extra = s, e
		mu.Unlock()
		return s, e, err
	}
	return a, func() (string, wamp.Dict) { mu.Lock(); defer mu.Unlock(); return sig, extra }
}

// replay answers every CHALLENGE with a fixed answer.
func replay(a authenticate.Auth, sig string, extra wamp.Dict) authenticate.Auth {
	a.OnChallenge = func(context.Context, *wamp.Challenge) (string, wamp.Dict, error) { return sig, extra, nil }
	return a
}

// A correct answer to one challenge does not open another session: every
// challenge is fresh. Forged answers (a flipped bit, garbage, empty) are
// denied alike.
func TestReplayAndForgery(t *testing.T) {
	r, _ := serve(t, testConfig(t))
	dave := mustKey(t, daveSeed)
	for _, tc := range []struct {
		name string
		new  func() authenticate.Auth
	}{
		{"wampcra", func() authenticate.Auth { return authenticate.WAMPCRA("carol", carolSecret) }},
		{"wampcra salted", func() authenticate.Auth { return authenticate.WAMPCRA("bob", bobPassword) }},
		{"cryptosign", func() authenticate.Auth { return authenticate.Cryptosign("dave", dave) }},
		{"scram", func() authenticate.Auth { return scram(t, "erin", erinPass) }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			first, answer := recorder(tc.new())
			if _, err := join(t, r, first); err != nil {
				t.Fatalf("first join: %v", err)
			}
			sig, extra := answer()
			_, err := join(t, r, replay(tc.new(), sig, extra))
			wantAbort(t, err, wamp.ErrAuthenticationDenied)

			flipped := []byte(sig)
			flipped[len(flipped)/3] ^= 0x01
			for _, forged := range []string{string(flipped), "", "zz", strings.Repeat("0", len(sig))} {
				_, err := join(t, r, replay(tc.new(), forged, extra))
				wantAbort(t, err, wamp.ErrAuthenticationDenied)
			}
		})
	}
	t.Run("scram nonce not the challenge's", func(t *testing.T) {
		a := scram(t, "erin", erinPass)
		h := a.OnChallenge
		a.OnChallenge = func(ctx context.Context, c *wamp.Challenge) (string, wamp.Dict, error) {
			sig, extra, err := h(ctx, c)
			extra["nonce"] = extra["nonce"].(string) + "AA=="
			return sig, extra, err
		}
		_, err := join(t, r, a)
		wantAbort(t, err, wamp.ErrAuthenticationDenied)
	})
}

// Users from a lookup function get authprovider "dynamic"; a lookup that
// fails refuses with authentication_failed and says nothing of why.
func TestLookup(t *testing.T) {
	cfg := auth.Config{
		Ticket: &auth.Ticket{Lookup: func(ctx context.Context, authid string) (*auth.TicketUser, error) {
			switch authid {
			case "db-user":
				return &auth.TicketUser{Ticket: aliceTicket, AuthRole: "from-db"}, nil
			case "db-down":
				return nil, errors.New("connection refused by the user database")
			}
			return nil, nil
		}},
		WAMPCRA: &auth.WAMPCRA{Lookup: func(ctx context.Context, authid string) (*auth.CRAUser, error) {
			if authid == "broken" {
				return &auth.CRAUser{}, nil // no secret: unusable
			}
			return nil, nil
		}},
		Throttle: auth.Throttle{Disabled: true},
	}
	r, _ := serve(t, cfg)
	d, err := join(t, r, authenticate.Ticket("db-user", aliceTicket))
	wantIdentity(t, d, err, "db-user", "from-db", "ticket")
	if d["authprovider"] != "dynamic" {
		t.Fatalf("authprovider %v, want dynamic", d["authprovider"])
	}
	_, err = join(t, r, authenticate.Ticket("db-user", "wrong"))
	wantAbort(t, err, wamp.ErrAuthenticationDenied)
	_, err = join(t, r, authenticate.Ticket("nobody", aliceTicket))
	wantAbort(t, err, wamp.ErrAuthenticationDenied)
	_, err = join(t, r, authenticate.Ticket("db-down", aliceTicket))
	ce := wantAbort(t, err, wamp.ErrAuthenticationFailed)
	if strings.Contains(ce.Message, "refused") {
		t.Fatalf("the lookup's error reached the client: %q", ce.Message)
	}
	_, err = join(t, r, authenticate.WAMPCRA("broken", "x"))
	wantAbort(t, err, wamp.ErrAuthenticationFailed)
}

// cryptosign's tls-unique channel binding is refused clearly where the
// connection has no tls-unique value (here: not TLS).
func TestCryptosignChannelBindingRefused(t *testing.T) {
	r, _ := serve(t, testConfig(t))
	a := authenticate.Cryptosign("dave", mustKey(t, daveSeed))
	a.AuthExtra["channel_binding"] = "tls-unique"
	_, err := join(t, r, a)
	ce := wantAbort(t, err, wamp.ErrNoMatchingAuthMethod)
	if !strings.Contains(ce.Message, "tls-unique is not available: the connection is not TLS") {
		t.Fatalf("message %q", ce.Message)
	}
	a.AuthExtra["channel_binding"] = "tls-exporter"
	_, err = join(t, r, a)
	wantAbort(t, err, wamp.ErrNoMatchingAuthMethod)
	a.AuthExtra = wamp.Dict{"pubkey": "abcd"}
	_, err = join(t, r, a)
	wantAbort(t, err, wamp.ErrAuthenticationDenied)
}

// The SCRAM client checks the router's server signature: a router that
// does not know the user's keys cannot produce it.
func TestSCRAMServerSignature(t *testing.T) {
	a := scram(t, "erin", erinPass)
	if _, _, err := a.OnChallenge(context.Background(), &wamp.Challenge{AuthMethod: "wamp-scram", Extra: wamp.Dict{
		"nonce": a.AuthExtra["nonce"].(string) + "c2VydmVy", "salt": "c2FsdHNhbHRzYWx0", "kdf": "pbkdf2", "iterations": int64(1000)}}); err != nil {
		t.Fatal(err)
	}
	err := a.CheckWelcome(wamp.Dict{"authmethod": "wamp-scram", "authextra": wamp.Dict{"verifier": "AAAA"}})
	if err == nil {
		t.Fatal("a wrong server signature was accepted")
	}
}

func TestConfigValidate(t *testing.T) {
	for _, cfg := range []auth.Config{
		{Ticket: &auth.Ticket{Users: map[string]auth.TicketUser{"a": {}}}},
		{WAMPCRA: &auth.WAMPCRA{Users: map[string]auth.CRAUser{"a": {Secret: "s", Iterations: 10}}}},
		{Cryptosign: &auth.Cryptosign{Users: []auth.CryptosignUser{{AuthID: "a", PubKeys: []string{"00"}}}}},
		{Cryptosign: &auth.Cryptosign{Users: []auth.CryptosignUser{{AuthID: "a"}}}},
		{SCRAM: &auth.SCRAM{Users: map[string]auth.SCRAMUser{"a": {Params: authcrypto.SCRAMParams{KDF: "pbkdf2", Salt: "c2FsdA==", Iterations: 1}}}}},
		{Throttle: auth.Throttle{Delay: -1}},
	} {
		_, err := auth.New(cfg)
		if !errors.Is(err, auth.ErrConfig) {
			t.Errorf("New(%+v) = %v, want ErrConfig", cfg, err)
		}
	}
	_, err := auth.New(auth.Config{Ticket: &auth.Ticket{Users: map[string]auth.TicketUser{"a": {Ticket: "hunter2"}}}, WAMPCRA: &auth.WAMPCRA{Users: map[string]auth.CRAUser{"b": {}}}})
	if err == nil || strings.Contains(err.Error(), "hunter2") {
		t.Fatalf("error %v", err)
	}
}

// countChallenges wraps a's handler to count the CHALLENGEs it answers.
func countChallenges(a authenticate.Auth, n *atomic.Int32) authenticate.Auth {
	h := a.OnChallenge
	a.OnChallenge = func(ctx context.Context, c *wamp.Challenge) (string, wamp.Dict, error) {
		n.Add(1)
		return h(ctx, c)
	}
	return a
}

// joinAt is join at another URL of the router.
func joinAt(t *testing.T, url string, a authenticate.Auth) error {
	t.Helper()
	as := goroutine.New(goroutine.Config{})
	defer as.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	cfg := client.Config{Realm: "realm1", Backend: as}
	a.Apply(&cfg)
	s, err := client.Dial(ctx, url, cfg)
	if err == nil {
		s.Leave(ctx, "")
	}
	return err
}

// After a failure, an address that owes a wait gets no challenge (Refuse:
// refused at once, even with the right secret); another address (here the
// Unix socket) is not affected; anonymous sessions are never throttled.
func TestThrottleEndToEnd(t *testing.T) {
	cfg := testConfig(t)
	cfg.Throttle = auth.Throttle{Refuse: true, Delay: time.Hour, MaxDelay: time.Hour}
	r, _ := serve(t, cfg)
	var n atomic.Int32
	_, err := join(t, r, countChallenges(authenticate.Ticket("alice", "wrong"), &n))
	wantAbort(t, err, wamp.ErrAuthenticationDenied)
	_, err = join(t, r, countChallenges(authenticate.Ticket("alice", aliceTicket), &n))
	wantAbort(t, err, wamp.ErrAuthenticationDenied)
	if got := n.Load(); got != 1 {
		t.Fatalf("%d challenges, want 1: the throttled attempt was challenged", got)
	}
	if d, err := join(t, r, authenticate.Auth{}); err != nil || d["authrole"] != "public" {
		t.Fatalf("anonymous join from the throttled address: %v %v", d, err)
	}
	if err := joinAt(t, r.UnixURL, authenticate.Ticket("alice", aliceTicket)); err != nil {
		t.Fatalf("join from another address: %v", err)
	}
}
