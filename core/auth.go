package core

import (
	"context"
	"time"

	"github.com/switchboard-wamp/switchboard/core/engine"
	"github.com/switchboard-wamp/switchboard/core/wamp"
)

// Errors of the authentication API.
var (
	// ErrHandshakeEnded: the connection closed, the handshake timed out or
	// the application is closing while an authenticator was using its
	// AuthRequest.
	ErrHandshakeEnded = engine.ErrHandshakeEnded
	// ErrChallengePending: Challenge was called while an earlier CHALLENGE
	// still waits for its AUTHENTICATE.
	ErrChallengePending = engine.ErrChallengePending
)

// Authenticator decides whether a new session may join, and as whom.
//
// It runs once per HELLO, after the realm is chosen and before WELCOME, as
// a backend task that may block (a database lookup, a round trip to the
// client with Challenge): never on a connection's reader goroutine or a
// realm's executor. On the eventloop backend it runs off the loop
// (scheduler.SpawnBlocking, on a helper goroutine) so that a slow lookup or
// a slow client does not hold the loop. HandshakeTimeout bounds the whole handshake; ctx is
// cancelled when it passes, when the connection drops, or when the
// application closes. ctx carries the realm's dependencies (Dep).
//
// Return the session's *Identity to admit it. Return an *AbortError to
// refuse it with that URI and message (wamp.error.authentication_denied for
// bad credentials, wamp.error.no_matching_auth_method, ...). Any other error
// refuses it with wamp.error.authentication_failed (the spec's "the
// authentication could not run to its end") and a generic message; the
// error is logged, not sent. (nil, nil) also refuses, as
// authentication_failed: admitting must be explicit.
//
// Without an authenticator a realm admits anonymous sessions only (HELLO
// without authmethods, or with "anonymous" among them).
type Authenticator func(ctx context.Context, req *AuthRequest) (*Identity, error)

// AuthRequest is a new session's request to join, as an Authenticator sees
// it. Its fields are read-only.
type AuthRequest struct {
	// SessionID is the ID the session will have if admitted.
	SessionID wamp.ID
	// Realm is the realm the HELLO asked for. RealmURI is the realm the
	// session joins: the same, or the default realm's URI.
	Realm, RealmURI wamp.URI
	// AuthID, AuthMethods and AuthExtra are HELLO.Details' authid,
	// authmethods and authextra (empty when absent).
	AuthID      string
	AuthMethods []string
	AuthExtra   wamp.Dict
	// Details are the whole HELLO.Details (roles, agent, ...).
	Details wamp.Dict
	// Transport describes the connection: peer address, HTTP path, query,
	// headers and cookies of the WebSocket upgrade, TLS.
	Transport Connection

	hs *engine.Handshake
}

// Identity is who an Authenticator admitted. Empty fields take defaults:
// AuthID the session ID in decimal (never the authid the client claimed:
// an authenticator that trusts it copies it), AuthRole "authenticated",
// AuthMethod the method of the last Challenge or else "custom", and
// AuthProvider "application". AuthExtra, when not empty, is sent to the
// client as WELCOME.Details.authextra.
type Identity struct {
	AuthID, AuthRole, AuthMethod, AuthProvider string
	AuthExtra                                  wamp.Dict
}

// AbortError refuses a session: the client gets ABORT with URI as reason and
// Message as Details.message. Authenticators and session hooks return it.
type AbortError struct {
	URI     wamp.URI
	Message string
}

// Error implements error.
func (e *AbortError) Error() string {
	if e.Message == "" {
		return string(e.URI)
	}
	return string(e.URI) + ": " + e.Message
}

// Challenge sends CHALLENGE {method, extra} to the client and waits for its
// AUTHENTICATE: the round trip of challenge-response methods (ticket,
// WAMP-CRA, cryptosign, SCRAM). It may be called again for methods that
// need several rounds. It returns ctx's error, or ErrHandshakeEnded when
// the handshake ends first (connection dropped, HandshakeTimeout passed,
// application closing). Any message other than AUTHENTICATE from the client
// meanwhile aborts the session as a protocol violation; so does an
// AUTHENTICATE that no CHALLENGE asked for.
func (q *AuthRequest) Challenge(ctx context.Context, method string, extra wamp.Dict) (*wamp.Authenticate, error) {
	return q.hs.Challenge(ctx, method, extra)
}

// Delay waits d before the authenticator goes on, as a penalty after
// failed logins does, without holding a place of a backend that bounds
// blocking work meanwhile (a pool worker, an event loop's offload
// helper): a flood of delayed logins cannot stall other sessions'
// authentication or handlers. It returns ctx's error, or
// ErrHandshakeEnded when the handshake ends first. ctx must be the
// context the Authenticator was called with, or derived from it. d is
// measured on the backend's clock.
func (q *AuthRequest) Delay(ctx context.Context, d time.Duration) error {
	return q.hs.Delay(ctx, d)
}

// SetAuthenticator sets the authenticator of every realm that has none of
// its own, including realms added later; nil removes it. Set it before
// serving: sessions already admitted are not re-checked. Safe for
// concurrent use.
func (a *Application) SetAuthenticator(f Authenticator) { a.sc.setAuth(f) }

// SetAuthenticator sets the realm's own authenticator, which replaces the
// application's for this realm; nil falls back to the application's. Safe
// for concurrent use.
func (r *Realm) SetAuthenticator(f Authenticator) { r.sc.setAuth(f) }

func (sc *scope) setAuth(f Authenticator) {
	if f == nil {
		sc.auth.Store(nil)
		return
	}
	sc.auth.Store(&f)
}

// authenticator returns the authenticator that admits sessions to r, or nil
// for anonymous admission.
func (r *Realm) authenticator() Authenticator {
	if f := r.sc.auth.Load(); f != nil {
		return *f
	}
	if f := r.app.sc.auth.Load(); f != nil {
		return *f
	}
	return nil
}
