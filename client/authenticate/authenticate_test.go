package authenticate

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/switchboard-wamp/switchboard/core/wamp"
)

// Hostile cost parameters are refused before any key is derived.
func TestHostileChallenges(t *testing.T) {
	for _, c := range []*wamp.Challenge{
		{AuthMethod: "wampcra", Extra: wamp.Dict{"challenge": "{}", "salt": "s", "iterations": int64(1e12), "keylen": int64(32)}},
		{AuthMethod: "wampcra", Extra: wamp.Dict{"challenge": "{}", "salt": "s", "iterations": int64(10), "keylen": int64(1 << 30)}},
		{AuthMethod: "wampcra", Extra: wamp.Dict{"salt": "s"}},
		{AuthMethod: "ticket"},
	} {
		if _, _, err := WAMPCRA("u", "s").OnChallenge(context.Background(), c); !errors.Is(err, ErrChallenge) {
			t.Errorf("%v: %v, want ErrChallenge", c, err)
		}
	}
	a, err := SCRAM("u", "pw")
	if err != nil {
		t.Fatal(err)
	}
	n := a.AuthExtra["nonce"].(string)
	for _, extra := range []wamp.Dict{
		{"nonce": n + "AA", "salt": "c2FsdA==", "kdf": "argon2id13", "iterations": int64(1), "memory": int64(1 << 40)},
		{"nonce": n + "AA", "salt": "c2FsdA==", "kdf": "pbkdf2", "iterations": int64(1 << 40)},
		{"nonce": "other" + n, "salt": "c2FsdA==", "kdf": "pbkdf2", "iterations": int64(10)},
		{"nonce": n, "salt": "c2FsdA==", "kdf": "pbkdf2", "iterations": int64(10)},
		{"nonce": n + "AA", "salt": "c2FsdA==", "kdf": "md5", "iterations": int64(10)},
	} {
		if _, _, err := a.OnChallenge(context.Background(), &wamp.Challenge{AuthMethod: "wamp-scram", Extra: extra}); !errors.Is(err, ErrChallenge) {
			t.Errorf("%v: %v, want ErrChallenge", extra, err)
		}
	}
	cs := Cryptosign("u", mustSeed(t))
	if _, _, err := cs.OnChallenge(context.Background(), &wamp.Challenge{AuthMethod: "cryptosign", Extra: wamp.Dict{"challenge": strings.Repeat("00", 32), "channel_binding": "tls-unique"}}); !errors.Is(err, ErrChallenge) {
		t.Errorf("channel binding: %v", err)
	}
}

func mustSeed(t *testing.T) []byte {
	k, err := KeyFromSeedHex(strings.Repeat("ab", 32))
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func TestKeyFromFile(t *testing.T) {
	dir := t.TempDir()
	good := filepath.Join(dir, "key")
	os.WriteFile(good, []byte(strings.Repeat("ab", 32)+"\n"), 0o600)
	if _, err := KeyFromFile(good); err != nil {
		t.Fatal(err)
	}
	bad := filepath.Join(dir, "bad")
	os.WriteFile(bad, []byte("secret-looking-text"), 0o600)
	_, err := KeyFromFile(bad)
	if err == nil || strings.Contains(err.Error(), "secret-looking-text") {
		t.Fatalf("error %v", err)
	}
	if _, err := KeyFromFile(filepath.Join(dir, "missing")); err == nil {
		t.Fatal("missing file accepted")
	}
}

func TestCombineDispatches(t *testing.T) {
	a := Combine(Ticket("alice", "t1"), WAMPCRA("bob", "s"))
	if a.AuthID != "alice" || len(a.AuthMethods) != 2 || a.AuthMethods[0] != "ticket" {
		t.Fatalf("%+v", a)
	}
	sig, _, err := a.OnChallenge(context.Background(), &wamp.Challenge{AuthMethod: "ticket"})
	if err != nil || sig != "t1" {
		t.Fatalf("ticket answer %q %v", sig, err)
	}
	if _, _, err := a.OnChallenge(context.Background(), &wamp.Challenge{AuthMethod: "cryptosign"}); !errors.Is(err, ErrChallenge) {
		t.Fatalf("unoffered method: %v", err)
	}
}
