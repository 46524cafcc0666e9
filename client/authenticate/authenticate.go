// Package authenticate holds the client side of WAMP's authentication
// methods: each constructor returns an Auth, the authid, authmethods,
// authextra and CHALLENGE handler to put in a client.Config.
//
//	a := authenticate.Ticket("alice", "wonderland")
//	cfg := client.Config{Realm: "realm1", Backend: backend}
//	a.Apply(&cfg)
//	s, err := client.Dial(ctx, url, cfg)
//
// The methods are those of package auth on the router, and interoperate
// with autobahn's: ticket, WAMP-CRA (plain and salted), cryptosign
// (Ed25519) and WAMP-SCRAM (argon2id and pbkdf2).
package authenticate

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"

	"github.com/switchboard-wamp/switchboard/auth/authcrypto"
	"github.com/switchboard-wamp/switchboard/client"
	"github.com/switchboard-wamp/switchboard/core/wamp"
)

// Auth is one way of authenticating: what to announce in HELLO and how to
// answer the router's CHALLENGE.
type Auth struct {
	AuthID      string
	AuthMethods []string
	AuthExtra   wamp.Dict
	OnChallenge client.ChallengeHandler
	// CheckWelcome, when not nil, checks the router's WELCOME details
	// (WAMP-SCRAM's server signature: mutual authentication). Apply and
	// Component put it in the session's configuration, where it runs on
	// every join before Hooks.OnJoin: a router that fails it is left at
	// once and the join fails with client.ErrWelcomeRefused.
	CheckWelcome func(details wamp.Dict) error
}

// Apply sets cfg's AuthID, AuthMethods, AuthExtra, OnChallenge and
// CheckWelcome.
func (a Auth) Apply(cfg *client.Config) {
	cfg.AuthID, cfg.AuthMethods, cfg.AuthExtra, cfg.OnChallenge = a.AuthID, a.AuthMethods, a.AuthExtra, a.OnChallenge
	cfg.CheckWelcome = a.CheckWelcome
}

// Component returns a as a client.Auth, for a client.ComponentConfig or
// an ApplicationRunner, CheckWelcome included.
func (a Auth) Component() client.Auth {
	return client.Auth{AuthID: a.AuthID, AuthMethods: a.AuthMethods, AuthExtra: a.AuthExtra,
		OnChallenge: a.OnChallenge, CheckWelcome: a.CheckWelcome}
}

// ErrChallenge is wrapped by a handler's error for a CHALLENGE it cannot
// answer (another method, a malformed or hostile challenge); the join then
// fails.
var ErrChallenge = errors.New("authenticate: cannot answer the challenge")

// Ticket authenticates as authid with a ticket (a password or a token),
// which travels to the router as is: use it over TLS.
func Ticket(authid, ticket string) Auth {
	return Auth{AuthID: authid, AuthMethods: []string{authcrypto.Ticket},
		OnChallenge: func(_ context.Context, c *wamp.Challenge) (string, wamp.Dict, error) {
			if c.AuthMethod != authcrypto.Ticket {
				return "", nil, fmt.Errorf("%w: method %q, want ticket", ErrChallenge, c.AuthMethod)
			}
			return ticket, wamp.Dict{}, nil
		}}
}

// WAMPCRA authenticates as authid with WAMP-CRA. secret is the shared
// secret, or for a salted user the password: the key is then derived from
// it with the salt, iterations and keylen of the CHALLENGE, as autobahn
// does.
func WAMPCRA(authid, secret string) Auth {
	return Auth{AuthID: authid, AuthMethods: []string{authcrypto.WAMPCRA},
		OnChallenge: func(_ context.Context, c *wamp.Challenge) (string, wamp.Dict, error) {
			if c.AuthMethod != authcrypto.WAMPCRA {
				return "", nil, fmt.Errorf("%w: method %q, want wampcra", ErrChallenge, c.AuthMethod)
			}
			sig, err := signCRA(secret, c.Extra)
			return sig, wamp.Dict{}, err
		}}
}

// signCRA answers a WAMP-CRA CHALLENGE's extra.
func signCRA(secret string, extra wamp.Dict) (string, error) {
	challenge, ok := extra["challenge"].(string)
	if !ok {
		return "", fmt.Errorf("%w: wampcra without a challenge string", ErrChallenge)
	}
	key := secret
	if salt, ok := extra["salt"].(string); ok {
		iterations, keylen := int64(1000), int64(32)
		if v, ok := extra["iterations"]; ok && v != nil {
			iterations, ok = wamp.ToInt(v)
			if !ok {
				return "", fmt.Errorf("%w: wampcra iterations %v", ErrChallenge, extra["iterations"])
			}
		}
		if v, ok := extra["keylen"]; ok && v != nil {
			keylen, ok = wamp.ToInt(v)
			if !ok {
				return "", fmt.Errorf("%w: wampcra keylen %v", ErrChallenge, extra["keylen"])
			}
		}
		// Bounds, so that a hostile router cannot make the client derive a
		// key for hours or allocate without limit.
		if iterations < 1 || iterations > 10_000_000 || keylen < 1 || keylen > 1024 {
			return "", fmt.Errorf("%w: wampcra iterations %d or keylen %d out of range", ErrChallenge, iterations, keylen)
		}
		k, err := authcrypto.DeriveCRAKey(secret, salt, int(iterations), int(keylen))
		if err != nil {
			return "", err
		}
		key = k
	}
	return authcrypto.SignCRA(key, challenge), nil
}

// Combine offers several methods, in the given order (the router picks
// the first it accepts), and answers each method's CHALLENGE with its own
// handler. The authid is the first non-empty one; the authextras are
// merged (a later one does not override an earlier key).
func Combine(auths ...Auth) Auth {
	var out Auth
	handlers := map[string]client.ChallengeHandler{}
	var checks []func(wamp.Dict) error
	for _, a := range auths {
		if out.AuthID == "" {
			out.AuthID = a.AuthID
		}
		for k, v := range a.AuthExtra {
			if out.AuthExtra == nil {
				out.AuthExtra = wamp.Dict{}
			}
			if _, ok := out.AuthExtra[k]; !ok {
				out.AuthExtra[k] = v
			}
		}
		for _, m := range a.AuthMethods {
			out.AuthMethods = append(out.AuthMethods, m)
			if _, ok := handlers[m]; !ok && a.OnChallenge != nil {
				handlers[m] = a.OnChallenge
			}
		}
		if a.CheckWelcome != nil {
			checks = append(checks, a.CheckWelcome)
		}
	}
	out.OnChallenge = func(ctx context.Context, c *wamp.Challenge) (string, wamp.Dict, error) {
		h, ok := handlers[c.AuthMethod]
		if !ok {
			return "", nil, fmt.Errorf("%w: method %q was not offered (offered %v)", ErrChallenge, c.AuthMethod, slices.Sorted(maps.Keys(handlers)))
		}
		return h(ctx, c)
	}
	if len(checks) > 0 {
		out.CheckWelcome = func(d wamp.Dict) error {
			for _, check := range checks { // each one ignores another method's WELCOME
				if err := check(d); err != nil {
					return err
				}
			}
			return nil
		}
	}
	return out
}
