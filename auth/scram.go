package auth

import (
	"context"
	"encoding/base64"
	"fmt"
	"maps"
	"slices"

	"github.com/switchboard-wamp/switchboard/auth/authcrypto"
	"github.com/switchboard-wamp/switchboard/core"
	"github.com/switchboard-wamp/switchboard/core/wamp"
)

// scram runs WAMP-SCRAM as the specification describes it: the client's
// nonce comes in HELLO.Details.authextra.nonce; the CHALLENGE carries the
// combined nonce (the client's followed by 16 fresh random bytes), the
// user's salt and KDF parameters; the AUTHENTICATE signature is the
// base64 ClientProof, checked against the stored key in constant time; the
// WELCOME carries authextra.verifier, the base64 ServerSignature. Channel
// binding is not supported and is refused when asked for. An unknown
// authid gets a challenge with a stable decoy salt, then the same denial.
func (a *Authenticator) scram(ctx context.Context, req *core.AuthRequest) (*core.Identity, error) {
	clientNonce, _ := req.AuthExtra["nonce"].(string)
	if _, err := base64.StdEncoding.DecodeString(clientNonce); err != nil || clientNonce == "" || req.AuthID == "" {
		return nil, &core.AbortError{URI: wamp.ErrAuthenticationDenied, Message: "wamp-scram needs an authid and HELLO.Details.authextra.nonce (base64)"}
	}
	if cb := req.AuthExtra["channel_binding"]; cb != nil {
		return nil, &core.AbortError{URI: wamp.ErrNoMatchingAuthMethod, Message: fmt.Sprintf("wamp-scram channel binding %v is not supported", cb)}
	}
	u, dynamic, err := lookup(ctx, a.cfg.SCRAM.Users, a.cfg.SCRAM.Lookup, req.AuthID)
	if err != nil {
		return nil, fmt.Errorf("auth: wamp-scram lookup of %q: %w", req.AuthID, err)
	}
	if u != nil && u.validate() != nil {
		return nil, fmt.Errorf("auth: wamp-scram lookup of %q returned an invalid user: %w", req.AuthID, u.validate())
	}
	p := a.scramDecoy(req.AuthID)
	if u != nil {
		p = u.Params
	}
	serverNonce, err := a.random(16)
	if err != nil {
		return nil, err
	}
	nonce := clientNonce + base64.StdEncoding.EncodeToString(serverNonce)
	extra := wamp.Dict{"nonce": nonce, "salt": p.Salt, "kdf": p.KDF, "iterations": int64(p.Iterations), "memory": nil}
	if p.KDF == authcrypto.KDFArgon2id {
		extra["memory"] = int64(p.Memory)
	}
	ans, err := req.Challenge(ctx, authcrypto.SCRAM, extra)
	if err != nil {
		return nil, err
	}
	stored := make([]byte, 32) // an unknown user's check costs the same
	if u != nil {
		stored = u.StoredKey
	}
	proof, err := base64.StdEncoding.DecodeString(ans.Signature)
	msg := authcrypto.SCRAMAuthMessage(req.AuthID, clientNonce, nonce, p.Salt, p.Iterations)
	valid := err == nil && authcrypto.SCRAMVerifyProof(stored, proof, msg)
	if u == nil || !valid || ans.Extra["nonce"] != nonce || ans.Extra["channel_binding"] != nil || ans.Extra["cbind_data"] != nil {
		return nil, errDenied
	}
	verifier := base64.StdEncoding.EncodeToString(authcrypto.SCRAMServerSignature(u.ServerKey, msg))
	return &core.Identity{AuthID: req.AuthID, AuthRole: u.AuthRole, AuthMethod: authcrypto.SCRAM, AuthProvider: a.provider(dynamic),
		AuthExtra: wamp.Dict{"verifier": verifier}}, nil
}

// scramDecoy are the parameters an unknown authid is challenged with: those
// of the realm's first static user (by authid), with a salt of its own.
func (a *Authenticator) scramDecoy(authid string) authcrypto.SCRAMParams {
	p := authcrypto.SCRAMParams{KDF: authcrypto.KDFArgon2id, Iterations: 4096, Memory: 512}
	for _, id := range slices.Sorted(maps.Keys(a.cfg.SCRAM.Users)) {
		p = a.cfg.SCRAM.Users[id].Params
		break
	}
	p.Salt = a.decoyBase64("scram-salt", authid, 16)
	return p
}
