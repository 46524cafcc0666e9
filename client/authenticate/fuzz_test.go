package authenticate

import (
	"context"
	"crypto/ed25519"
	"testing"

	"github.com/switchboard-wamp/switchboard/core/serialize"
	"github.com/switchboard-wamp/switchboard/core/wamp"
)

// FuzzChallenge feeds arbitrary CHALLENGE messages (decoded from JSON, as
// they come from a router) to every client authenticator: none may panic,
// hang on hostile cost parameters, or answer a method it was not made for.
func FuzzChallenge(f *testing.F) {
	for _, s := range []string{
		`[4,"wampcra",{"challenge":"{}"}]`,
		`[4,"wampcra",{"challenge":"{}","salt":"s","iterations":10,"keylen":16}]`,
		`[4,"wampcra",{"challenge":"{}","salt":"s","iterations":1e12,"keylen":16}]`,
		`[4,"cryptosign",{"challenge":"0000000000000000000000000000000000000000000000000000000000000000"}]`,
		`[4,"cryptosign",{"challenge":"00","channel_binding":"tls-unique"}]`,
		`[4,"wamp-scram",{"nonce":"AAAA","salt":"c2FsdA==","kdf":"pbkdf2","iterations":10}]`,
		`[4,"wamp-scram",{"nonce":"AAAA","salt":"c2FsdA==","kdf":"argon2id13","iterations":1,"memory":4000000000}]`,
		`[4,"ticket",{}]`,
	} {
		f.Add([]byte(s))
	}
	key := ed25519.NewKeyFromSeed(make([]byte, 32))
	f.Fuzz(func(t *testing.T, b []byte) {
		m, err := serialize.JSON.Decode(b)
		if err != nil {
			return
		}
		c, ok := m.(*wamp.Challenge)
		if !ok {
			return
		}
		for _, k := range []string{"iterations", "memory", "keylen"} {
			if n, ok := wamp.ToInt(c.Extra[k]); ok && n > 10_000 {
				return // a costly but legal derivation: slow, not wrong (the bounds are tested apart)
			}
		}
		sc, _ := SCRAM("user", "pw")
		for _, a := range []Auth{Ticket("u", "t"), WAMPCRA("u", "s"), Cryptosign("u", key), sc} {
			if _, _, err := a.OnChallenge(context.Background(), c); err == nil && a.AuthMethods[0] != c.AuthMethod {
				t.Fatalf("%s answered a %q challenge", a.AuthMethods[0], c.AuthMethod)
			}
		}
	})
}
