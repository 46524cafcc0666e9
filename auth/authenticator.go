package auth

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"time"

	"github.com/switchboard-wamp/switchboard/auth/authcrypto"
	"github.com/switchboard-wamp/switchboard/core"
	"github.com/switchboard-wamp/switchboard/core/wamp"
)

// Authenticator authenticates the sessions of a realm by the methods of
// its Config. Its Authenticate method is a core.Authenticator; it is safe
// for concurrent use.
type Authenticator struct {
	cfg      Config
	log      *slog.Logger
	rand     io.Reader
	now      func() time.Time
	keys     map[string]*CryptosignUser // cryptosign public key → user
	mockKey  []byte                     // keys the decoys for unknown users
	throttle *throttle
}

// New checks cfg and returns its Authenticator; use its Authenticate
// method as the realm's core.Authenticator:
//
//	a, err := auth.New(auth.Config{Ticket: &auth.Ticket{Users: users}})
//	realm.SetAuthenticator(a.Authenticate)
func New(cfg Config) (*Authenticator, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	a := &Authenticator{cfg: cfg, log: cfg.Logger, rand: cfg.Rand, now: cfg.Now}
	if a.log == nil {
		a.log = slog.Default()
	}
	if a.rand == nil {
		a.rand = rand.Reader
	}
	if a.now == nil {
		a.now = time.Now
	}
	if cfg.Cryptosign != nil {
		a.keys, _ = indexKeys(cfg.Cryptosign.Users) // checked by Validate
	}
	a.mockKey = make([]byte, 32)
	if _, err := io.ReadFull(a.rand, a.mockKey); err != nil {
		return nil, fmt.Errorf("auth: random source: %w", err)
	}
	if !cfg.Throttle.Disabled {
		a.throttle = newThrottle(cfg.Throttle.withDefaults())
	}
	return a, nil
}

// method is one authentication method: it runs its challenge-response
// rounds and admits, or returns errDenied or another error.
type method func(a *Authenticator, ctx context.Context, req *core.AuthRequest) (*core.Identity, error)

// Authenticate implements core.Authenticator. It tries the methods of
// HELLO.Details.authmethods in the client's order (none = anonymous) and
// runs the first one this realm accepts; a method the client did not offer
// is never tried. With none it refuses with
// wamp.error.no_matching_auth_method. Bad credentials, an unknown user and
// a forged, replayed or malformed answer are all refused alike with
// wamp.error.authentication_denied and the same message; a Lookup's error
// refuses with wamp.error.authentication_failed (logged by the realm, not
// sent).
func (a *Authenticator) Authenticate(ctx context.Context, req *core.AuthRequest) (*core.Identity, error) {
	offered := req.AuthMethods
	if len(offered) == 0 {
		offered = []string{authcrypto.Anonymous}
	}
	for _, name := range offered {
		m := a.method(name)
		if m == nil {
			continue
		}
		if name == authcrypto.Anonymous {
			return m(a, ctx, req)
		}
		return a.guarded(ctx, req, name, m)
	}
	if len(offered) > 8 { // the message echoes what the client sent: keep it short
		offered = append(offered[:8:8], "...")
	}
	return nil, &core.AbortError{URI: wamp.ErrNoMatchingAuthMethod,
		Message: fmt.Sprintf("none of the offered authentication methods %q is accepted on this realm", offered)}
}

// Methods lists the methods the realm accepts, in a fixed order.
func (a *Authenticator) Methods() []string {
	var out []string
	for _, m := range []string{authcrypto.Anonymous, authcrypto.Ticket, authcrypto.WAMPCRA, authcrypto.Cryptosign, authcrypto.SCRAM} {
		if a.method(m) != nil {
			out = append(out, m)
		}
	}
	return out
}

// method returns the accepted method called name, or nil.
func (a *Authenticator) method(name string) method {
	switch c := &a.cfg; {
	case name == authcrypto.Anonymous && c.Anonymous != nil:
		return (*Authenticator).anonymous
	case name == authcrypto.Ticket && c.Ticket != nil:
		return (*Authenticator).ticket
	case name == authcrypto.WAMPCRA && c.WAMPCRA != nil:
		return (*Authenticator).wampcra
	case name == authcrypto.Cryptosign && c.Cryptosign != nil:
		return (*Authenticator).cryptosign
	case name == authcrypto.SCRAM && c.SCRAM != nil:
		return (*Authenticator).scram
	}
	return nil
}

// guarded runs a credential-checking method under the throttle: it waits
// out the address's penalty first, counts a denial, forgets the address on
// success.
func (a *Authenticator) guarded(ctx context.Context, req *core.AuthRequest, name string, m method) (*core.Identity, error) {
	addr := addressKey(req.Transport.PeerAddr)
	if a.throttle != nil {
		release, err := a.throttle.wait(ctx, addr, a.now, req.Delay)
		if err != nil {
			if errors.Is(err, errThrottled) {
				a.log.Info("authentication refused: throttled after failures from this address", "method", name, "authid", short(req.AuthID), "peer", req.Transport.PeerAddr)
				return nil, denied()
			}
			return nil, err
		}
		defer release()
	}
	id, err := m(a, ctx, req)
	if errors.Is(err, errDenied) {
		a.log.Info("authentication denied", "method", name, "authid", short(req.AuthID), "peer", req.Transport.PeerAddr, "session", req.SessionID)
		if a.throttle != nil {
			a.throttle.failed(addr, a.now())
		}
		return nil, denied()
	}
	if err == nil && a.throttle != nil {
		a.throttle.succeeded(addr)
	}
	return id, err
}

// errDenied is a method's answer for bad credentials of any kind.
var errDenied = errors.New("auth: denied")

// denied is the refusal a client gets for bad credentials: one URI and one
// message whatever was wrong (unknown user, wrong secret, forged or
// replayed answer).
func denied() error {
	return &core.AbortError{URI: wamp.ErrAuthenticationDenied, Message: "authentication denied"}
}

func (a *Authenticator) anonymous(_ context.Context, _ *core.AuthRequest) (*core.Identity, error) {
	role := a.cfg.Anonymous.AuthRole
	if role == "" {
		role = "anonymous"
	}
	return &core.Identity{AuthID: a.cfg.Anonymous.AuthID, AuthRole: role, AuthMethod: authcrypto.Anonymous, AuthProvider: a.provider(false)}, nil
}

// provider is WELCOME's authprovider: the configured one (default
// "static") for static users, "dynamic" for users a Lookup returned.
func (a *Authenticator) provider(dynamic bool) string {
	switch {
	case dynamic:
		return "dynamic"
	case a.cfg.Provider != "":
		return a.cfg.Provider
	}
	return "static"
}

// random returns n fresh random bytes.
func (a *Authenticator) random(n int) ([]byte, error) {
	b := make([]byte, n)
	if _, err := io.ReadFull(a.rand, b); err != nil {
		return nil, fmt.Errorf("auth: random source: %w", err)
	}
	return b, nil
}

// decoy derives a stable pseudo-random value for an unknown user, so that
// the challenge sent for it looks like a real user's and stays the same
// from one attempt to the next (a salt that changed would reveal that the
// user does not exist).
func (a *Authenticator) decoy(label, authid string, n int) []byte {
	m := hmac.New(sha256.New, a.mockKey)
	m.Write([]byte(label + "\x00" + authid))
	return m.Sum(nil)[:n]
}

func (a *Authenticator) decoyBase64(label, authid string, n int) string {
	return base64.StdEncoding.EncodeToString(a.decoy(label, authid, n))
}

// equalSecret compares two secrets in constant time, whatever their
// lengths (their hashes are compared).
func equalSecret(got, want string) bool {
	g, w := sha256.Sum256([]byte(got)), sha256.Sum256([]byte(want))
	return hmac.Equal(g[:], w[:])
}

// short bounds a client-chosen string (an authid) for a log line.
func short(s string) string {
	if len(s) <= 128 {
		return s
	}
	return strings.ToValidUTF8(s[:128], "") + "..."
}
