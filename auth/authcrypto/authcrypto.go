// Package authcrypto holds the computations of WAMP's challenge-response
// authentication methods that the router (package auth) and the client
// (package client/authenticate) share: WAMP-CRA's key derivation and
// signature, cryptosign's signed message, and WAMP-SCRAM's keys, proof and
// server signature. It does no I/O and keeps no state.
//
// The definitions follow the WAMP specification's advanced profile
// (wampcra, cryptosign, wamp-scram) and, where the specification leaves
// room, what autobahn derives (WAMP-CRA salted keys).
package authcrypto

import (
	"crypto/hmac"
	"crypto/pbkdf2"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"golang.org/x/crypto/argon2"
)

// Method names as they appear in HELLO.Details.authmethods and CHALLENGE.
const (
	Anonymous  = "anonymous"
	Ticket     = "ticket"
	WAMPCRA    = "wampcra"
	Cryptosign = "cryptosign"
	SCRAM      = "wamp-scram"
)

// DeriveCRAKey derives a salted WAMP-CRA key from a password as autobahn
// does: PBKDF2-HMAC-SHA256 over the UTF-8 secret and the salt string's
// UTF-8 bytes, keyLen bytes, base64-encoded. The base64 text itself (its
// ASCII bytes) is the HMAC key of SignCRA, which is what a router
// configured with salted users stores as the user's secret.
func DeriveCRAKey(secret, salt string, iterations, keyLen int) (string, error) {
	if iterations < 1 || keyLen < 1 {
		return "", fmt.Errorf("authcrypto: WAMP-CRA key derivation needs iterations and keylen >= 1 (got %d, %d)", iterations, keyLen)
	}
	k, err := pbkdf2.Key(sha256.New, secret, []byte(salt), iterations, keyLen)
	if err != nil {
		return "", fmt.Errorf("authcrypto: WAMP-CRA key derivation: %w", err)
	}
	return base64.StdEncoding.EncodeToString(k), nil
}

// SignCRA is the WAMP-CRA signature of challenge: the base64 of
// HMAC-SHA256 keyed by key's bytes.
func SignCRA(key, challenge string) string {
	return base64.StdEncoding.EncodeToString(craMAC(key, challenge))
}

// VerifyCRA reports whether signature is SignCRA(key, challenge), in
// constant time (the comparison of the MACs).
func VerifyCRA(key, challenge, signature string) bool {
	got, err := base64.StdEncoding.DecodeString(signature)
	if err != nil {
		return false
	}
	return hmac.Equal(got, craMAC(key, challenge))
}

func craMAC(key, challenge string) []byte {
	m := hmac.New(sha256.New, []byte(key))
	m.Write([]byte(challenge))
	return m.Sum(nil)
}

// CryptosignMessage is the 32-byte message a cryptosign client signs:
// the challenge, XORed byte for byte with the channel ID when channel
// binding is in use (channelID nil: none).
func CryptosignMessage(challenge, channelID []byte) ([]byte, error) {
	if len(challenge) != 32 {
		return nil, fmt.Errorf("authcrypto: a cryptosign challenge has 32 bytes, not %d", len(challenge))
	}
	msg := append([]byte(nil), challenge...)
	if channelID == nil {
		return msg, nil
	}
	if len(channelID) != 32 {
		return nil, fmt.Errorf("authcrypto: a channel ID has 32 bytes, not %d", len(channelID))
	}
	for i := range msg {
		msg[i] ^= channelID[i]
	}
	return msg, nil
}

// TLSUniqueChannelID is the 32-byte channel ID of cryptosign's tls-unique
// channel binding as autobahn computes it: SHA-256 of the TLS connection's
// tls-unique value (the first Finished message, RFC 5929).
func TLSUniqueChannelID(tlsUnique []byte) []byte {
	h := sha256.Sum256(tlsUnique)
	return h[:]
}

// KDF names of WAMP-SCRAM (CHALLENGE.Details.kdf).
const (
	KDFArgon2id = "argon2id13"
	KDFPBKDF2   = "pbkdf2"
)

// SCRAMParams are a WAMP-SCRAM user's key-derivation parameters, sent in
// the CHALLENGE.
type SCRAMParams struct {
	KDF        string // KDFArgon2id or KDFPBKDF2
	Salt       string // base64
	Iterations int
	Memory     int // KiB, argon2id only
}

// Validate checks the parameters; it also bounds them, so that a hostile
// CHALLENGE cannot make a client derive a key for hours or allocate
// without limit (iterations at most 10,000,000; argon2 memory at most
// 1 GiB and iterations at most 100,000).
func (p SCRAMParams) Validate() error {
	if _, err := base64.StdEncoding.DecodeString(p.Salt); err != nil || p.Salt == "" {
		return errors.New("authcrypto: the SCRAM salt must be non-empty base64")
	}
	switch p.KDF {
	case KDFPBKDF2:
		if p.Iterations < 1 || p.Iterations > 10_000_000 {
			return fmt.Errorf("authcrypto: pbkdf2 iterations must be in 1..10000000, not %d", p.Iterations)
		}
	case KDFArgon2id:
		if p.Iterations < 1 || p.Iterations > 100_000 {
			return fmt.Errorf("authcrypto: argon2id iterations must be in 1..100000, not %d", p.Iterations)
		}
		if p.Memory < 8 || p.Memory > 1<<20 {
			return fmt.Errorf("authcrypto: argon2id memory must be in 8..1048576 KiB, not %d", p.Memory)
		}
	default:
		return fmt.Errorf("authcrypto: unknown SCRAM kdf %q (want %q or %q)", p.KDF, KDFArgon2id, KDFPBKDF2)
	}
	return nil
}

// SaltedPassword is SCRAM's SaltedPassword: the KDF of the password with
// the base64-decoded salt, 32 bytes (argon2id: parallelism 1, version
// 0x13). The password is used as its UTF-8 bytes, without SASLprep.
func SaltedPassword(password string, p SCRAMParams) ([]byte, error) {
	if err := p.Validate(); err != nil {
		return nil, err
	}
	salt, _ := base64.StdEncoding.DecodeString(p.Salt)
	if p.KDF == KDFArgon2id {
		return argon2.IDKey([]byte(password), salt, uint32(p.Iterations), uint32(p.Memory), 1, 32), nil
	}
	return pbkdf2.Key(sha256.New, password, salt, p.Iterations, 32)
}

// SCRAMKeys derives ClientKey, StoredKey and ServerKey from SaltedPassword.
// A router stores StoredKey and ServerKey only.
func SCRAMKeys(salted []byte) (clientKey, storedKey, serverKey []byte) {
	clientKey = mac(salted, "Client Key")
	s := sha256.Sum256(clientKey)
	return clientKey, s[:], mac(salted, "Server Key")
}

// SCRAMAuthMessage is SCRAM's AuthMessage for the exchange, without
// channel binding: client-first-bare, server-first, client-final without
// the proof (c=biws is the base64 of "n,,").
func SCRAMAuthMessage(authid, clientNonce, nonce, salt string, iterations int) string {
	esc := strings.NewReplacer(",", "=2C", "=", "=3D").Replace(authid)
	return "n=" + esc + ",r=" + clientNonce + "," +
		"r=" + nonce + ",s=" + salt + ",i=" + strconv.Itoa(iterations) + "," +
		"c=biws,r=" + nonce
}

// SCRAMProof is the ClientProof: ClientKey XOR HMAC(StoredKey, AuthMessage).
func SCRAMProof(clientKey, storedKey []byte, authMessage string) []byte {
	sig := mac(storedKey, authMessage)
	for i := range sig {
		sig[i] ^= clientKey[i]
	}
	return sig
}

// SCRAMVerifyProof reports whether proof proves knowledge of the
// ClientKey whose hash is storedKey, in constant time.
func SCRAMVerifyProof(storedKey, proof []byte, authMessage string) bool {
	sig := mac(storedKey, authMessage)
	if len(proof) != len(sig) {
		return false
	}
	for i := range sig {
		sig[i] ^= proof[i]
	}
	h := sha256.Sum256(sig)
	return hmac.Equal(h[:], storedKey)
}

// SCRAMServerSignature is HMAC(ServerKey, AuthMessage), which the router
// sends in WELCOME.Details.authextra.verifier for the client to check.
func SCRAMServerSignature(serverKey []byte, authMessage string) []byte {
	return mac(serverKey, authMessage)
}

func mac(key []byte, msg string) []byte {
	m := hmac.New(sha256.New, key)
	m.Write([]byte(msg))
	return m.Sum(nil)
}
