package auth

import (
	"context"
	"crypto/ed25519"
	"crypto/subtle"
	"encoding/hex"
	"fmt"

	"github.com/switchboard-wamp/switchboard/auth/authcrypto"
	"github.com/switchboard-wamp/switchboard/core"
	"github.com/switchboard-wamp/switchboard/core/wamp"
)

// ChannelBindingTLSUnique is the one channel binding cryptosign supports.
const ChannelBindingTLSUnique = "tls-unique"

// cryptosign runs WAMP-Cryptosign: the client's public key comes in
// HELLO.Details.authextra.pubkey; the router sends 32 fresh random bytes
// (hex) and checks the answer, hex of a 64-byte Ed25519 signature followed
// by the 32 bytes signed, which must be the challenge (XOR the channel ID
// with channel binding). A signature of another challenge (a replay)
// cannot pass: every challenge is new. An unknown key gets a challenge
// too, then the same denial.
func (a *Authenticator) cryptosign(ctx context.Context, req *core.AuthRequest) (*core.Identity, error) {
	pub, err := pubkeyOf(req.AuthExtra)
	if err != nil {
		return nil, err
	}
	channelID, cb, err := channelBinding(req)
	if err != nil {
		return nil, err
	}
	u, dynamic := a.keys[string(pub)], false
	if u == nil && a.cfg.Cryptosign.Lookup != nil {
		if u, err = a.cfg.Cryptosign.Lookup(ctx, req.AuthID, pub); err != nil {
			return nil, fmt.Errorf("auth: cryptosign lookup of %q: %w", req.AuthID, err)
		}
		dynamic = true
	}
	challenge, err := a.random(32)
	if err != nil {
		return nil, err
	}
	extra := wamp.Dict{"challenge": hex.EncodeToString(challenge), "channel_binding": nil}
	if cb != "" {
		extra["channel_binding"] = cb
	}
	ans, err := req.Challenge(ctx, authcrypto.Cryptosign, extra)
	if err != nil {
		return nil, err
	}
	valid := verifyCryptosign(pub, challenge, channelID, ans.Signature) // checked for unknown keys too: the same work
	if u == nil || (req.AuthID != "" && u.AuthID != "" && req.AuthID != u.AuthID) || !valid {
		return nil, errDenied
	}
	authid := u.AuthID
	if authid == "" {
		authid = hex.EncodeToString(pub)
	}
	return &core.Identity{AuthID: authid, AuthRole: u.AuthRole, AuthMethod: authcrypto.Cryptosign, AuthProvider: a.provider(dynamic)}, nil
}

// pubkeyOf reads HELLO.Details.authextra.pubkey.
func pubkeyOf(extra wamp.Dict) (ed25519.PublicKey, error) {
	s, _ := extra["pubkey"].(string)
	b, err := hex.DecodeString(s)
	if err != nil || len(b) != ed25519.PublicKeySize {
		return nil, &core.AbortError{URI: wamp.ErrAuthenticationDenied, Message: "cryptosign needs HELLO.Details.authextra.pubkey: an Ed25519 public key, 64 hex digits"}
	}
	return b, nil
}

// channelBinding reads HELLO.Details.authextra.channel_binding and returns
// the channel ID to bind to. Only tls-unique is supported, and only on a
// TLS connection of TLS 1.2 or earlier: TLS 1.3 has no tls-unique value
// (RFC 8446 dropped it; Go's tls.ConnectionState.TLSUnique is nil there),
// and a binding the router cannot honour is refused, never silently dropped.
func channelBinding(req *core.AuthRequest) (channelID []byte, name string, err error) {
	switch v := req.AuthExtra["channel_binding"]; v {
	case nil:
		return nil, "", nil
	case ChannelBindingTLSUnique:
		u := req.Transport.TLSUnique
		if len(u) == 0 {
			why := "the connection is not TLS"
			if req.Transport.TLS {
				why = "the connection is TLS 1.3 (or a resumed TLS 1.2 session without extended master secret), which has no tls-unique value"
			}
			return nil, "", &core.AbortError{URI: wamp.ErrNoMatchingAuthMethod, Message: "cryptosign channel binding tls-unique is not available: " + why}
		}
		return authcrypto.TLSUniqueChannelID(u), ChannelBindingTLSUnique, nil
	default:
		return nil, "", &core.AbortError{URI: wamp.ErrNoMatchingAuthMethod, Message: fmt.Sprintf("cryptosign channel binding %v is not supported (only tls-unique)", v)}
	}
}

// verifyCryptosign checks an AUTHENTICATE signature: hex of 96 bytes, the
// signature and the message, where the message is the expected one
// (compared in constant time) and the signature verifies under pub.
func verifyCryptosign(pub ed25519.PublicKey, challenge, channelID []byte, signature string) bool {
	b, err := hex.DecodeString(signature)
	if err != nil || len(b) != ed25519.SignatureSize+32 {
		return false
	}
	want, err := authcrypto.CryptosignMessage(challenge, channelID)
	if err != nil {
		return false
	}
	sig, msg := b[:ed25519.SignatureSize], b[ed25519.SignatureSize:]
	if subtle.ConstantTimeCompare(msg, want) != 1 {
		return false
	}
	return ed25519.Verify(pub, msg, sig)
}
