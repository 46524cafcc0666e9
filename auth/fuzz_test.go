package auth

import (
	"bytes"
	"crypto/ed25519"
	"encoding/base64"
	"encoding/hex"
	"testing"

	"github.com/switchboard-wamp/switchboard/auth/authcrypto"
)

// FuzzAnswers feeds arbitrary AUTHENTICATE signatures to the router's
// checks of every method: none may panic, and none may accept what the
// key holder did not produce.
func FuzzAnswers(f *testing.F) {
	key := ed25519.NewKeyFromSeed(make([]byte, 32))
	pub := key.Public().(ed25519.PublicKey)
	challenge := make([]byte, 32)
	goodBytes := append(ed25519.Sign(key, challenge), challenge...)
	good := hex.EncodeToString(goodBytes)
	f.Add(good)
	f.Add(good[:len(good)-2])
	f.Add(authcrypto.SignCRA("k", "c"))
	f.Add(base64.StdEncoding.EncodeToString(make([]byte, 32)))
	f.Add("")
	f.Add("zz==")
	_, stored, _ := authcrypto.SCRAMKeys(make([]byte, 32))
	f.Fuzz(func(t *testing.T, sig string) {
		if verifyCryptosign(pub, challenge, nil, sig) && !sameHex(sig, goodBytes) {
			t.Fatalf("cryptosign accepted %q", sig)
		}
		verifyCryptosign(pub, challenge, make([]byte, 32), sig)
		if authcrypto.VerifyCRA("k", "other challenge", sig) {
			t.Fatalf("wampcra accepted %q", sig)
		}
		if p, err := base64.StdEncoding.DecodeString(sig); err == nil && authcrypto.SCRAMVerifyProof(stored, p, "auth message") {
			t.Fatalf("scram accepted %q", sig)
		}
	})
}

// sameHex reports whether s is the hex encoding, in any mix of letter
// cases, of b: the same answer, which hex decoding reads as the same bytes.
func sameHex(s string, b []byte) bool {
	d, err := hex.DecodeString(s)
	return err == nil && bytes.Equal(d, b)
}
