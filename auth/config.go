package auth

import (
	"context"
	"crypto/ed25519"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"time"

	"github.com/switchboard-wamp/switchboard/auth/authcrypto"
)

// ErrConfig is wrapped by New's error for an invalid Config. The error
// names the method and authid at fault, never a secret.
var ErrConfig = errors.New("auth: invalid config")

// Config is one realm's authentication: the methods it accepts, each
// backed by static users or a lookup function, and the throttling of
// repeated failures. A nil method is not accepted. The zero Config accepts
// nothing: every HELLO is refused with wamp.error.no_matching_auth_method.
type Config struct {
	Anonymous  *Anonymous
	Ticket     *Ticket
	WAMPCRA    *WAMPCRA
	Cryptosign *Cryptosign
	SCRAM      *SCRAM
	// Provider is WELCOME.Details.authprovider for users found in the
	// static lists ("" = "static"); users found by a Lookup get "dynamic".
	Provider string
	// Throttle slows down repeated failures from one address.
	Throttle Throttle
	// Logger receives one line per refused authentication (method, authid,
	// peer address; never a secret). Nil = slog.Default().
	Logger *slog.Logger
	// Rand is the source of nonces and challenges. Nil = crypto/rand.
	Rand io.Reader
	// Now is the clock of WAMP-CRA timestamps and the throttle. Nil = time.Now.
	Now func() time.Time
}

// Anonymous admits sessions that offer "anonymous" (or no authmethods at
// all) under a fixed identity.
type Anonymous struct {
	// AuthID is the authid given to anonymous sessions; "" = the session ID.
	AuthID string
	// AuthRole is their role; "" = "anonymous".
	AuthRole string
}

// Ticket accepts the ticket method: the client's AUTHENTICATE signature is
// its ticket (a password or a token), compared in constant time.
type Ticket struct {
	// Users maps authid to its ticket and role.
	Users map[string]TicketUser
	// Lookup, when set, is asked for an authid Users does not hold; it may
	// block and must honour ctx. (nil, nil) means no such user.
	Lookup func(ctx context.Context, authid string) (*TicketUser, error)
}

// TicketUser is a principal of the ticket method.
type TicketUser struct {
	Ticket   string
	AuthRole string
}

// WAMPCRA accepts WAMP-CRA: the router sends a JSON challenge with a fresh
// nonce, the session ID and a timestamp; the client answers with
// base64(HMAC-SHA256(secret, challenge)).
type WAMPCRA struct {
	Users  map[string]CRAUser
	Lookup func(ctx context.Context, authid string) (*CRAUser, error)
}

// CRAUser is a principal of WAMP-CRA. With Salt set the user is salted:
// the CHALLENGE carries salt, iterations and keylen, the client derives its
// key from its password (PBKDF2-HMAC-SHA256, as autobahn's derive_key), and
// Secret is that derived key (authcrypto.DeriveCRAKey), as Crossbar.io
// stores it; the password itself is never stored.
type CRAUser struct {
	Secret   string
	AuthRole string
	Salt     string
	// Iterations and KeyLen of a salted user: 0 = 1000 and 32, autobahn's
	// defaults.
	Iterations, KeyLen int
}

// Cryptosign accepts WAMP-Cryptosign: the client announces an Ed25519
// public key in HELLO.Details.authextra.pubkey and signs a 32-byte random
// challenge with it.
type Cryptosign struct {
	// Users are the principals; a public key belongs to one of them.
	Users []CryptosignUser
	// Lookup, when set, is asked for a public key no static user holds.
	Lookup func(ctx context.Context, authid string, pubkey ed25519.PublicKey) (*CryptosignUser, error)
}

// CryptosignUser is a principal of cryptosign: its public keys (hex, 32
// bytes each), the authid it is admitted as ("" = the hex of the key it
// used) and its role. A client that sends an authid must send this one.
type CryptosignUser struct {
	AuthID   string
	AuthRole string
	PubKeys  []string
}

// SCRAM accepts WAMP-SCRAM (authmethod "wamp-scram"): password-based,
// where the router stores only StoredKey and ServerKey.
type SCRAM struct {
	Users  map[string]SCRAMUser
	Lookup func(ctx context.Context, authid string) (*SCRAMUser, error)
}

// SCRAMUser is a principal of WAMP-SCRAM: its key-derivation parameters
// and the keys derived from its password (NewSCRAMUser computes them).
type SCRAMUser struct {
	AuthRole             string
	Params               authcrypto.SCRAMParams
	StoredKey, ServerKey []byte
}

// NewSCRAMUser derives a SCRAM user's keys from its password; only the keys
// are kept.
func NewSCRAMUser(password, role string, p authcrypto.SCRAMParams) (SCRAMUser, error) {
	salted, err := authcrypto.SaltedPassword(password, p)
	if err != nil {
		return SCRAMUser{}, err
	}
	_, stored, server := authcrypto.SCRAMKeys(salted)
	return SCRAMUser{AuthRole: role, Params: p, StoredKey: stored, ServerKey: server}, nil
}

// Throttle slows down clients whose authentications fail. After n failures
// from one address (an IPv4 address, an IPv6 /64, or a Unix socket), its
// next attempt waits Delay·2^(n-1), at most MaxDelay, before its challenge
// is sent; a success forgets the address. While one attempt from an
// address waits, further attempts from it are refused at once, so an
// address can hold at most one waiting handshake. An address is forgotten
// Forget after its last failure, and at most MaxAddresses are remembered
// (the oldest is dropped first).
//
// The wait is core.AuthRequest.Delay: it holds none of a bounded
// backend's places (a pool worker, an event loop's offload helper), so
// many throttled addresses cannot stall other sessions. It still keeps
// the handshake, and its connection, open until it ends. Refuse avoids
// that too: an attempt that arrives while its address owes a wait is
// refused at once instead (authentication_denied, its credentials not
// checked), so nothing waits and a guesser still gets no more than one
// checked attempt per penalty.
type Throttle struct {
	Disabled bool
	Refuse   bool
	// Delay after the first failure: 0 = 250ms.
	Delay time.Duration
	// MaxDelay bounds the wait: 0 = 4s. Keep it below the handshake
	// timeout (10s by default), which bounds the whole handshake.
	MaxDelay time.Duration
	// Forget: 0 = 10 minutes.
	Forget time.Duration
	// MaxAddresses: 0 = 10,000.
	MaxAddresses int
}

func (t Throttle) withDefaults() Throttle {
	if t.Delay == 0 {
		t.Delay = 250 * time.Millisecond
	}
	if t.MaxDelay == 0 {
		t.MaxDelay = 4 * time.Second
	}
	if t.Forget == 0 {
		t.Forget = 10 * time.Minute
	}
	if t.MaxAddresses == 0 {
		t.MaxAddresses = 10_000
	}
	return t
}

// Validate reports the first problem of c: a user without a secret or
// key, a malformed public key, bad key-derivation parameters, a negative
// throttle setting. Messages name the method and the authid, never a
// secret.
func (c *Config) Validate() error {
	if t := c.Throttle; t.Delay < 0 || t.MaxDelay < 0 || t.Forget < 0 || t.MaxAddresses < 0 {
		return fmt.Errorf("%w: negative throttle setting", ErrConfig)
	}
	if c.Ticket != nil {
		for id, u := range c.Ticket.Users {
			if u.Ticket == "" {
				return fmt.Errorf("%w: ticket user %q has an empty ticket", ErrConfig, id)
			}
		}
	}
	if c.WAMPCRA != nil {
		for id, u := range c.WAMPCRA.Users {
			if err := u.validate(); err != nil {
				return fmt.Errorf("%w: wampcra user %q: %v", ErrConfig, id, err)
			}
		}
	}
	if c.Cryptosign != nil {
		if _, err := indexKeys(c.Cryptosign.Users); err != nil {
			return fmt.Errorf("%w: cryptosign: %v", ErrConfig, err)
		}
	}
	if c.SCRAM != nil {
		for id, u := range c.SCRAM.Users {
			if err := u.validate(); err != nil {
				return fmt.Errorf("%w: wamp-scram user %q: %v", ErrConfig, id, err)
			}
		}
	}
	return nil
}

func (u *CRAUser) validate() error {
	switch {
	case u.Secret == "":
		return errors.New("empty secret")
	case u.Iterations < 0 || u.KeyLen < 0:
		return errors.New("negative iterations or keylen")
	case u.Salt == "" && (u.Iterations != 0 || u.KeyLen != 0):
		return errors.New("iterations and keylen need a salt")
	}
	return nil
}

func (u *SCRAMUser) validate() error {
	if err := u.Params.Validate(); err != nil {
		return err
	}
	if len(u.StoredKey) != 32 || len(u.ServerKey) != 32 {
		return errors.New("stored and server keys must have 32 bytes (NewSCRAMUser derives them)")
	}
	return nil
}

// indexKeys maps each public key (as its 32 bytes in a string) to its user.
func indexKeys(users []CryptosignUser) (map[string]*CryptosignUser, error) {
	idx := make(map[string]*CryptosignUser)
	for i := range users {
		u := &users[i]
		if len(u.PubKeys) == 0 {
			return nil, fmt.Errorf("user %q has no public key", u.AuthID)
		}
		for _, k := range u.PubKeys {
			b, err := hex.DecodeString(k)
			if err != nil || len(b) != ed25519.PublicKeySize {
				return nil, fmt.Errorf("user %q: public key %q is not 32 bytes of hex", u.AuthID, k)
			}
			if other, dup := idx[string(b)]; dup {
				return nil, fmt.Errorf("public key %q belongs to both %q and %q", k, other.AuthID, u.AuthID)
			}
			idx[string(b)] = u
		}
	}
	return idx, nil
}
