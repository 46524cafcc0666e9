package main

import (
	"context"
	"crypto/ed25519"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/switchboard-wamp/switchboard/adapters/goroutine"
	"github.com/switchboard-wamp/switchboard/auth/authcrypto"
	"github.com/switchboard-wamp/switchboard/client"
	"github.com/switchboard-wamp/switchboard/client/authenticate"
	"github.com/switchboard-wamp/switchboard/core/wamp"
)

const (
	testTicket   = "yaml-ticket-5ecret"
	testPassword = "yaml-pa55word"
	testSeed     = "d511fe78e23934b3dadb52fcd022974b80bd92bccc7c5cf404e46cc0a8a2f5cd"
)

// authYAML is a realm with anonymous access and one user per method, its
// secrets from the file, a secret file and the environment.
func authYAML(t *testing.T) string {
	dir := t.TempDir()
	key, _ := authcrypto.DeriveCRAKey(testPassword, "pepper", 500, 32)
	keyFile := filepath.Join(dir, "bob.key")
	if err := os.WriteFile(keyFile, []byte(key+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv("SWITCHBOARD_TEST_TICKET", testTicket)
	k, _ := authenticate.KeyFromSeedHex(testSeed)
	pub := hex.EncodeToString(k.Public().(ed25519.PublicKey))
	return fmt.Sprintf(`realms:
  - uri: realm1
    auth:
      anonymous: {role: public}
      throttle: {disabled: true}
      users:
        - authid: alice
          role: writer
          ticket: {secret_env: SWITCHBOARD_TEST_TICKET}
        - authid: bob
          role: writer
          wampcra: {secret_file: %s, salt: pepper, iterations: 500, keylen: 32}
        - authid: dave
          role: device
          cryptosign: {pubkeys: [%s]}
        - authid: erin
          role: writer
          scram: {secret: %s, kdf: pbkdf2, salt: c2FsdHNhbHQ=, iterations: 1000}
listeners:
  - type: websocket
    address: 127.0.0.1:0
`, keyFile, pub, testPassword)
}

// The YAML auth section serves a realm where anonymous sessions join as
// "public" and users join by each method with their configured roles.
func TestAuthConfigServes(t *testing.T) {
	c, err := decodeConfig([]byte(authYAML(t)))
	if err != nil {
		t.Fatal(err)
	}
	c = c.withDefaults()
	if err := c.Validate(); err != nil {
		t.Fatal(err)
	}
	var logs syncBuffer
	srv, err := start(c, slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug})))
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Shutdown(5 * time.Second)
	defer func() {
		out := logs.String()
		if !strings.Contains(out, "methods=\"[anonymous ticket wampcra cryptosign wamp-scram]\"") {
			t.Errorf("the realm's methods are not logged at start:\n%s", out)
		}
		if !strings.Contains(out, "authentication denied") {
			t.Errorf("the refused join left no log line:\n%s", out)
		}
		for _, secret := range []string{testTicket, testPassword, "wrong-" + testTicket} {
			if strings.Contains(out, secret) {
				t.Errorf("a secret is in the log:\n%s", out)
			}
		}
	}()
	key, _ := authenticate.KeyFromSeedHex(testSeed)
	sc, _ := authenticate.SCRAM("erin", testPassword)
	for _, tc := range []struct {
		a          authenticate.Auth
		authid     string
		role, fail string
	}{
		{a: authenticate.Auth{}, role: "public"},
		{a: authenticate.Ticket("alice", testTicket), authid: "alice", role: "writer"},
		{a: authenticate.WAMPCRA("bob", testPassword), authid: "bob", role: "writer"},
		{a: authenticate.Cryptosign("dave", key), authid: "dave", role: "device"},
		{a: sc, authid: "erin", role: "writer"},
		{a: authenticate.Ticket("alice", "wrong-"+testTicket), fail: string(wamp.ErrAuthenticationDenied)},
	} {
		as := goroutine.New(goroutine.Config{})
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		cfg := client.Config{Realm: "realm1", Backend: as}
		tc.a.Apply(&cfg)
		s, err := client.Dial(ctx, srv.URLs()[0], cfg)
		var ce *client.CloseError
		switch {
		case tc.fail != "":
			if !errors.As(err, &ce) || string(ce.Reason) != tc.fail {
				t.Errorf("%v: %v, want %s", tc.a.AuthMethods, err, tc.fail)
			}
		case err != nil:
			t.Errorf("%v: %v", tc.a.AuthMethods, err)
		default:
			d := s.Details()
			if (tc.authid != "" && d["authid"] != tc.authid) || d["authrole"] != tc.role {
				t.Errorf("%v: joined as %v/%v, want %s/%s", tc.a.AuthMethods, d["authid"], d["authrole"], tc.authid, tc.role)
			}
			s.Leave(ctx, "")
		}
		cancel()
		as.Close()
	}
}

// config check reports auth problems with their lines and key paths and
// never prints a secret, even one written where a mapping belongs.
func TestAuthConfigCheck(t *testing.T) {
	dir := t.TempDir()
	base := "listeners:\n  - type: websocket\n    address: ':0'\nrealms:\n  - uri: r\n    auth:\n      users:\n"
	cases := []struct{ name, text, want string }{
		{"secret in place of the mapping", base + "        - authid: a\n          ticket: hunter2-secret\n",
			":9: realms[0].auth.users[0].ticket: cannot unmarshal !!str `` into main.TicketConfig"},
		{"unknown key", base + "        - authid: a\n          wampcra: {secret: hunter2-secret, sallt: x}\n",
			`:9: realms[0].auth.users[0].wampcra.sallt: unknown key "sallt"`},
		{"two sources", base + "        - authid: a\n          ticket: {secret: hunter2-secret, secret_env: X}\n",
			": realms[0].auth.users[0].ticket: set exactly one of secret, secret_file and secret_env"},
		{"missing env", base + "        - authid: a\n          ticket: {secret_env: SWITCHBOARD_SURELY_UNSET}\n",
			"secret_env: environment variable SWITCHBOARD_SURELY_UNSET is not set or empty"},
		{"bad pubkey", base + "        - authid: a\n          cryptosign: {pubkeys: [abc]}\n",
			`realms[0].auth.users[0].cryptosign.pubkeys[0]: "abc": want an Ed25519 public key, 64 hex digits`},
		{"no method", base + "        - authid: a\n          role: r\n",
			"realms[0].auth.users[0]: no method"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			file := filepath.Join(dir, strings.ReplaceAll(tc.name, " ", "_")+".yaml")
			if err := os.WriteFile(file, []byte(tc.text), 0o600); err != nil {
				t.Fatal(err)
			}
			got := strings.Join(checkConfigFile(file), "\n")
			if !strings.Contains(got, tc.want) {
				t.Fatalf("problems:\n%s\nwant one containing %q", got, tc.want)
			}
			if strings.Contains(got, "hunter2") {
				t.Fatalf("a secret is in the problems:\n%s", got)
			}
		})
	}
	// A printed configuration hides secrets too.
	r := SecretRef{Secret: "hunter2-secret"}
	for _, s := range []string{fmt.Sprint(r), fmt.Sprintf("%+v", UserConfig{Ticket: &TicketConfig{r}}), fmt.Sprintf("%#v", r)} {
		if strings.Contains(s, "hunter2") {
			t.Fatalf("printed %q", s)
		}
	}
}
