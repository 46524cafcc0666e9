package core

import (
	"context"
	"fmt"
	"slices"

	"github.com/switchboard-wamp/switchboard/core/wamp"
)

// ProcedureAuthorizer returns an Authorizer that asks a WAMP procedure of
// realm, as Crossbar.io's dynamic authorizers do: a trusted session (a
// backend service) registers procedure, and every request to authorize
// becomes a call
//
//	procedure(session, uri, action, options)
//
// where session is a dict {session, authid, authrole, authmethod,
// authprovider}, uri the procedure or topic (the pattern for pattern
// subscriptions and registrations, with options.match), action "call",
// "register", "publish" or "subscribe", and options the request's options.
// The answer's first argument is the verdict: a bool, or a dict whose
// "allow" is one; anything else, an ERROR, or no callee makes the request
// fail with wamp.error.authorization_failed.
//
// Requests of sessions whose authrole is in trusted are allowed without a
// call: the trusted sessions must be able to register procedure (and the
// other URIs they serve) before any authorizer answers, so give their role
// static permissions (RealmConfig.Roles), which still apply to them. Keep
// procedure out of other roles' register permissions, or any session could
// become the authorizer.
func ProcedureAuthorizer(realm *Realm, procedure wamp.URI, trusted ...string) Authorizer {
	trusted = slices.Clone(trusted)
	return func(ctx context.Context, req *AuthorizationRequest) (bool, error) {
		s := req.Session
		if slices.Contains(trusted, s.AuthRole) {
			return true, nil
		}
		session := wamp.Dict{"session": int64(s.ID), "authid": s.AuthID, "authrole": s.AuthRole,
			"authmethod": s.AuthMethod, "authprovider": s.AuthProvider}
		opts := req.Options
		if opts == nil {
			opts = wamp.Dict{}
		}
		res, err := realm.Call(ctx, procedure, wamp.List{session, string(req.URI), req.Action.String(), opts}, nil, nil)
		if err != nil {
			return false, fmt.Errorf("core: authorizer procedure %s: %w", procedure, err)
		}
		if len(res.Args) > 0 {
			switch v := res.Args[0].(type) {
			case bool:
				return v, nil
			case wamp.Dict:
				if allow, ok := v["allow"].(bool); ok {
					return allow, nil
				}
			}
		}
		return false, fmt.Errorf("core: authorizer procedure %s answered %v, want a bool or {allow: bool}", procedure, res.Args)
	}
}
