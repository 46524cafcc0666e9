package auth

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"maps"
	"slices"

	"github.com/switchboard-wamp/switchboard/auth/authcrypto"
	"github.com/switchboard-wamp/switchboard/core"
	"github.com/switchboard-wamp/switchboard/core/wamp"
)

// craChallenge is the JSON object a WAMP-CRA client signs (the spec's
// seven members).
type craChallenge struct {
	AuthID       string  `json:"authid"`
	AuthRole     string  `json:"authrole"`
	AuthMethod   string  `json:"authmethod"`
	AuthProvider string  `json:"authprovider"`
	Nonce        string  `json:"nonce"`
	Timestamp    string  `json:"timestamp"`
	Session      wamp.ID `json:"session"`
}

// wampcra runs WAMP-CRA: a challenge with a fresh random nonce, this
// session's ID and the time, signed by the client with HMAC-SHA256 under
// the user's secret (for a salted user, the key derived from its
// password); the signatures are compared in constant time. A signature
// made for another challenge (a replay) cannot match: every challenge has
// its own nonce. An unknown authid gets a challenge of the same shape (a
// salted one with a stable decoy salt when the realm has salted users).
func (a *Authenticator) wampcra(ctx context.Context, req *core.AuthRequest) (*core.Identity, error) {
	if req.AuthID == "" {
		return nil, errDenied
	}
	u, dynamic, err := lookup(ctx, a.cfg.WAMPCRA.Users, a.cfg.WAMPCRA.Lookup, req.AuthID)
	if err != nil {
		return nil, fmt.Errorf("auth: wampcra lookup of %q: %w", req.AuthID, err)
	}
	if u != nil && u.validate() != nil { // a lookup returned an unusable user
		return nil, fmt.Errorf("auth: wampcra lookup of %q returned an invalid user: %w", req.AuthID, u.validate())
	}
	nonce, err := a.random(16)
	if err != nil {
		return nil, err
	}
	c := craChallenge{AuthID: req.AuthID, AuthMethod: authcrypto.WAMPCRA, AuthProvider: a.provider(dynamic),
		Nonce: base64.StdEncoding.EncodeToString(nonce), Timestamp: a.now().UTC().Format("2006-01-02T15:04:05.000Z"),
		Session: req.SessionID}
	user := u
	if user == nil {
		user = a.craDecoy(req.AuthID)
	}
	c.AuthRole = user.AuthRole
	text, err := json.Marshal(c)
	if err != nil {
		return nil, err
	}
	extra := wamp.Dict{"challenge": string(text)}
	if user.Salt != "" {
		extra["salt"], extra["iterations"], extra["keylen"] = user.Salt, int64(orDefault(user.Iterations, 1000)), int64(orDefault(user.KeyLen, 32))
	}
	ans, err := req.Challenge(ctx, authcrypto.WAMPCRA, extra)
	if err != nil {
		return nil, err
	}
	key := "" // an unknown user's check costs the same
	if u != nil {
		key = u.Secret
	}
	if valid := authcrypto.VerifyCRA(key, string(text), ans.Signature); u == nil || !valid {
		return nil, errDenied
	}
	return &core.Identity{AuthID: req.AuthID, AuthRole: u.AuthRole, AuthMethod: authcrypto.WAMPCRA, AuthProvider: a.provider(dynamic)}, nil
}

// craDecoy is the user an unknown authid is challenged as: salted like the
// realm's first salted static user, if any, with a salt of its own.
func (a *Authenticator) craDecoy(authid string) *CRAUser {
	d := &CRAUser{AuthRole: "user"}
	for _, id := range slices.Sorted(maps.Keys(a.cfg.WAMPCRA.Users)) { // sorted: the same decoy every time
		if u := a.cfg.WAMPCRA.Users[id]; u.Salt != "" {
			d.Salt, d.Iterations, d.KeyLen = a.decoyBase64("wampcra-salt", authid, 12), u.Iterations, u.KeyLen
			break
		}
	}
	return d
}

func orDefault(v, def int) int {
	if v == 0 {
		return def
	}
	return v
}
