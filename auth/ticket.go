package auth

import (
	"context"
	"fmt"

	"github.com/switchboard-wamp/switchboard/auth/authcrypto"
	"github.com/switchboard-wamp/switchboard/core"
)

// ticket runs the ticket method: CHALLENGE "ticket" {}, and the
// AUTHENTICATE signature is compared with the user's ticket in constant
// time. An unknown authid gets the same CHALLENGE, then the same denial.
func (a *Authenticator) ticket(ctx context.Context, req *core.AuthRequest) (*core.Identity, error) {
	if req.AuthID == "" {
		return nil, errDenied
	}
	u, dynamic, err := lookup(ctx, a.cfg.Ticket.Users, a.cfg.Ticket.Lookup, req.AuthID)
	if err != nil {
		return nil, fmt.Errorf("auth: ticket lookup of %q: %w", req.AuthID, err)
	}
	ans, err := req.Challenge(ctx, authcrypto.Ticket, nil)
	if err != nil {
		return nil, err
	}
	want := "" // an unknown user's comparison costs the same
	if u != nil {
		want = u.Ticket
	}
	if match := equalSecret(ans.Signature, want); u == nil || want == "" || !match {
		return nil, errDenied
	}
	return &core.Identity{AuthID: req.AuthID, AuthRole: u.AuthRole, AuthMethod: authcrypto.Ticket, AuthProvider: a.provider(dynamic)}, nil
}

// lookup finds authid among the static users, then through the lookup
// function. It returns nil for an unknown user, and whether the user came
// from the function.
func lookup[U any](ctx context.Context, users map[string]U, fn func(context.Context, string) (*U, error), authid string) (*U, bool, error) {
	if u, ok := users[authid]; ok {
		return &u, false, nil
	}
	if fn == nil {
		return nil, false, nil
	}
	u, err := fn(ctx, authid)
	return u, true, err
}
