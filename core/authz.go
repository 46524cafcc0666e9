package core

import (
	"context"
	"errors"
	"fmt"
	"runtime/debug"
	"slices"

	"github.com/switchboard-wamp/switchboard/core/router"
	"github.com/switchboard-wamp/switchboard/core/wamp"
)

// Authorization: which URIs a session may call, register, publish and
// subscribe to, decided by its authrole (set by the Authenticator's
// Identity, "anonymous" without one).
//
// Static: RealmConfig.Roles (or Realm.SetRoles) lists roles, each with
// permissions by URI — exact, prefix or wildcard — granting some of call,
// register, publish, subscribe and disclose (the right to ask, with
// disclose_me, that callees and subscribers see the session's identity).
// For a URI the most specific permission of the role decides: exact, then
// the longest prefix, then the wildcard with the most literal components
// before its first wildcard (then before its second, ...). A permission
// grants what it lists and nothing more, so a more specific one can take
// an action away. Once a realm has roles (Roles not nil), a role it does
// not list may do nothing, and neither may any role on a URI none of its
// permissions matches. A prefix or wildcard subscription or registration
// is allowed only when every URI it can match is. Denied: ERROR
// wamp.error.not_authorized (an unacknowledged PUBLISH is dropped, as the
// spec says); disclose_me without the disclose permission:
// wamp.error.option_disallowed.disclose_me. URIs under "wamp." stay the
// router's whatever the roles say: clients can never register or publish
// there (wamp.error.invalid_uri).
//
// Dynamic: an Authorizer (RealmConfig.Authorizer, Realm.SetAuthorizer) is
// asked about every request the roles allow (or about every request, when
// the realm has no roles). It runs as a backend task that may block (on the
// eventloop backend off the loop), never on the realm's executor; the
// request waits, and the session's later calls, registrations,
// publications and subscriptions wait behind it so they keep their order
// (at most RealmConfig.MaxHeldRequests). Its verdicts are cached per
// session for RealmConfig.AuthorizerCacheTTL (0: not cached), keyed by
// action, URI, match policy and disclose_me — a verdict must not depend on
// other options — and dropped when the session leaves. An Authorizer that
// returns an error (or panics) answers wamp.error.authorization_failed;
// the error is logged, not sent.
//
// The application's own procedures and publications are never checked.

// Authorization types, shared with the router.
type (
	// Action is what a session asks to do with a URI.
	Action = router.Action
	// Allow is what a Permission grants.
	Allow = router.Allow
	// Permission grants Allow on the URIs URI matches under Match
	// ("exact" when empty, "prefix", "wildcard"). A prefix may be empty
	// (every URI) or end with "." ("com.example." is everything below
	// com.example).
	Permission = router.Permission
	// Role is a named set of permissions; sessions have it as authrole.
	Role = router.Role
)

// The authorized actions.
const (
	ActionCall      = router.ActionCall
	ActionRegister  = router.ActionRegister
	ActionPublish   = router.ActionPublish
	ActionSubscribe = router.ActionSubscribe
)

// Authorizer decides whether a session may take an action on a URI. It
// may block (a database or a policy service); ctx is the session's
// (cancelled when it leaves) and carries the realm's dependencies. Return
// an error when it could not decide: the client gets
// wamp.error.authorization_failed.
type Authorizer func(ctx context.Context, req *AuthorizationRequest) (allow bool, err error)

// AuthorizationRequest is one request an Authorizer decides on. Read-only.
type AuthorizationRequest struct {
	// Session is who asks (AuthID, AuthRole, ...).
	Session *Session
	Action  Action
	// URI is the procedure or topic; for prefix and wildcard
	// subscriptions and registrations the pattern (see Match), which the
	// Authorizer must judge as the set of URIs it can reach.
	URI wamp.URI
	// Match is "exact", "prefix" or "wildcard".
	Match string
	// Options are the request's options (disclose_me, acknowledge, ...).
	Options wamp.Dict
}

// ErrAuthorizer is what an Authorizer's task reports when it could not
// run (no Authorizer anymore, the session left, the backend refused it).
var ErrAuthorizer = errors.New("core: the authorizer could not run")

// compileRoles returns the router's table for roles; nil roles: none.
func compileRoles(roles []Role) (*router.Authorization, error) {
	if roles == nil {
		return nil, nil
	}
	return router.NewAuthorization(roles)
}

// SetRoles replaces the realm's roles (nil: no static authorization): it
// governs every request the realm receives after SetRoles returns (those
// already received are decided by the old table). Subscriptions and
// registrations made earlier stay. It fails, changing nothing, on an invalid table (a role
// without a name or listed twice, an unknown match, an invalid URI, a
// URI and match listed twice in one role). Safe for concurrent use.
func (r *Realm) SetRoles(roles []Role) error {
	a, err := compileRoles(roles)
	if err != nil {
		return fmt.Errorf("%w: realm %q: %w", ErrRealmConfig, r.uri, err)
	}
	roles = cloneRoles(roles)
	if !r.e.Apply(func() {
		r.roles.Store(&roles)
		r.e.Router().SetAuthorization(a)
	}) {
		return ErrClosed
	}
	return nil
}

// Roles returns a copy of the realm's roles (nil: no static
// authorization). It reflects SetRoles once the realm has applied it.
func (r *Realm) Roles() []Role {
	if p := r.roles.Load(); p != nil {
		return cloneRoles(*p)
	}
	return nil
}

func cloneRoles(roles []Role) []Role {
	if roles == nil {
		return nil
	}
	out := make([]Role, len(roles))
	for i, ro := range roles {
		out[i] = Role{Name: ro.Name, Permissions: slices.Clone(ro.Permissions)}
	}
	return out
}

// SetAuthorizer sets the realm's dynamic authorizer (nil: none) and
// forgets the verdicts cached so far; it governs every request the realm
// receives after SetAuthorizer returns. Requests already waiting for the
// previous one get its verdict. Safe for concurrent use.
func (r *Realm) SetAuthorizer(f Authorizer) error {
	if !r.e.Apply(func() {
		// On the executor, so the router's switch and the function the
		// host runs for its requests change together.
		if f == nil {
			r.authorizer.Store(nil)
		} else {
			r.authorizer.Store(&f)
		}
		rr := r.e.Router()
		rr.SetAuthorizer(f != nil)
		rr.FlushAuthorizations()
	}) {
		return ErrClosed
	}
	return nil
}

// Authorize implements engine.Host: the authorizer runs as a task that
// may block; its verdict goes to done.
func (h *host) Authorize(op router.AuthorizeOp, done func(bool, error)) {
	r := h.realm()
	fp := r.authorizer.Load()
	s, ok := r.sessions.get(op.Session)
	if fp == nil || !ok {
		done(false, ErrAuthorizer)
		return
	}
	f := *fp
	req := &AuthorizationRequest{Session: s, Action: op.Action, URI: op.URI, Match: op.Match, Options: op.Options}
	err := r.spawnBlocking(r.handlerContext(s.Context(), s), func(ctx context.Context) {
		allow, err := r.runAuthorizer(ctx, f, req)
		if err != nil && s.Context().Err() == nil {
			r.log.Warn("authorizer failed", "session", op.Session, "action", op.Action.String(), "uri", string(op.URI), "err", err)
		}
		done(allow, err)
	})
	if err != nil {
		r.log.Error("authorizer not run: the backend refused the task", "session", op.Session, "err", err)
		done(false, fmt.Errorf("%w: %w", ErrAuthorizer, err))
	}
}

func (r *Realm) runAuthorizer(ctx context.Context, f Authorizer, req *AuthorizationRequest) (allow bool, err error) {
	defer func() {
		if v := recover(); v != nil {
			allow, err = false, panicError(v)
			r.log.Error("authorizer panicked", "session", req.Session.ID, "panic", v, "stack", string(debug.Stack()))
		}
	}()
	return f(ctx, req)
}

// authzConfig fills the router's authorization settings from rc (already
// validated).
func (rc RealmConfig) authzConfig(c *router.RealmConfig) {
	c.Authorization, _ = compileRoles(rc.Roles)
	c.Authorizer = rc.Authorizer != nil
	c.AuthorizerCacheTTL = rc.AuthorizerCacheTTL
	c.MaxHeldRequests = rc.MaxHeldRequests
}

// validateAuthz reports what is wrong with rc's authorization settings.
func (rc RealmConfig) validateAuthz() error {
	if _, err := compileRoles(rc.Roles); err != nil {
		return fmt.Errorf("%w: realm %q: %w", ErrRealmConfig, rc.URI, err)
	}
	switch {
	case rc.AuthorizerCacheTTL < 0:
		return fmt.Errorf("%w: realm %q: AuthorizerCacheTTL %v < 0", ErrRealmConfig, rc.URI, rc.AuthorizerCacheTTL)
	case rc.MaxHeldRequests < 0:
		return fmt.Errorf("%w: realm %q: MaxHeldRequests %d < 0", ErrRealmConfig, rc.URI, rc.MaxHeldRequests)
	}
	return nil
}
