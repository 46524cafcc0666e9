package authenticate

import (
	"context"
	"crypto/ed25519"
	"encoding/hex"
	"fmt"
	"os"
	"strings"

	"github.com/switchboard-wamp/switchboard/auth/authcrypto"
	"github.com/switchboard-wamp/switchboard/core/wamp"
)

// Cryptosign authenticates with an Ed25519 key: HELLO carries the public
// key in authextra.pubkey (and authid, if not empty: the router may
// assign one from the key); the CHALLENGE's 32 bytes are signed and sent
// back as hex of the signature followed by the challenge. TLS channel
// binding is not offered, and a CHALLENGE that asks for one is refused
// (the client API does not expose its TLS connection's tls-unique value).
func Cryptosign(authid string, key ed25519.PrivateKey) Auth {
	pub := key.Public().(ed25519.PublicKey)
	return Auth{AuthID: authid, AuthMethods: []string{authcrypto.Cryptosign},
		AuthExtra: wamp.Dict{"pubkey": hex.EncodeToString(pub)},
		OnChallenge: func(_ context.Context, c *wamp.Challenge) (string, wamp.Dict, error) {
			if c.AuthMethod != authcrypto.Cryptosign {
				return "", nil, fmt.Errorf("%w: method %q, want cryptosign", ErrChallenge, c.AuthMethod)
			}
			if cb := c.Extra["channel_binding"]; cb != nil {
				return "", nil, fmt.Errorf("%w: cryptosign channel binding %v was not asked for", ErrChallenge, cb)
			}
			s, _ := c.Extra["challenge"].(string)
			ch, err := hex.DecodeString(s)
			if err != nil {
				return "", nil, fmt.Errorf("%w: cryptosign challenge is not hex", ErrChallenge)
			}
			msg, err := authcrypto.CryptosignMessage(ch, nil)
			if err != nil {
				return "", nil, fmt.Errorf("%w: %v", ErrChallenge, err)
			}
			return hex.EncodeToString(append(ed25519.Sign(key, msg), msg...)), wamp.Dict{}, nil
		}}
}

// KeyFromSeedHex is the Ed25519 private key of a 32-byte seed written as
// 64 hex digits (autobahn's privkey; surrounding space is ignored).
func KeyFromSeedHex(seed string) (ed25519.PrivateKey, error) {
	b, err := hex.DecodeString(strings.TrimSpace(seed))
	if err != nil || len(b) != ed25519.SeedSize {
		return nil, fmt.Errorf("authenticate: an Ed25519 seed is 64 hex digits")
	}
	return ed25519.NewKeyFromSeed(b), nil
}

// KeyFromFile reads a file holding a seed as KeyFromSeedHex takes it. The
// error names the file, never its content.
func KeyFromFile(path string) (ed25519.PrivateKey, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("authenticate: cryptosign key: %w", err)
	}
	k, err := KeyFromSeedHex(string(b))
	if err != nil {
		return nil, fmt.Errorf("authenticate: cryptosign key file %s: %w", path, err)
	}
	return k, nil
}
