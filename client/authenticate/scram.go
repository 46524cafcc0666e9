package authenticate

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
	"sync"

	"github.com/switchboard-wamp/switchboard/auth/authcrypto"
	"github.com/switchboard-wamp/switchboard/core/wamp"
)

// SCRAM authenticates as authid with WAMP-SCRAM (authmethod "wamp-scram"),
// as the WAMP specification describes it: a fresh client nonce in HELLO,
// the key derived with the CHALLENGE's kdf (argon2id13 or pbkdf2), salt
// and cost parameters (bounded: see authcrypto.SCRAMParams.Validate), and
// the ClientProof in AUTHENTICATE. The password is used as its UTF-8
// bytes (no SASLprep). CheckWelcome verifies the router's server
// signature. An Auth from SCRAM serves one join: make a new one for the
// next (each has its own nonce).
func SCRAM(authid, password string) (Auth, error) {
	n := make([]byte, 16)
	if _, err := rand.Read(n); err != nil {
		return Auth{}, err
	}
	clientNonce := base64.StdEncoding.EncodeToString(n)
	var mu sync.Mutex
	var authMsg string
	var serverKey []byte
	a := Auth{AuthID: authid, AuthMethods: []string{authcrypto.SCRAM}, AuthExtra: wamp.Dict{"nonce": clientNonce, "channel_binding": nil}}
	a.OnChallenge = func(_ context.Context, c *wamp.Challenge) (string, wamp.Dict, error) {
		if c.AuthMethod != authcrypto.SCRAM {
			return "", nil, fmt.Errorf("%w: method %q, want wamp-scram", ErrChallenge, c.AuthMethod)
		}
		nonce, p, err := scramChallenge(c.Extra, clientNonce)
		if err != nil {
			return "", nil, err
		}
		salted, err := authcrypto.SaltedPassword(password, p)
		if err != nil {
			return "", nil, fmt.Errorf("%w: %v", ErrChallenge, err)
		}
		ck, sk, srv := authcrypto.SCRAMKeys(salted)
		msg := authcrypto.SCRAMAuthMessage(authid, clientNonce, nonce, p.Salt, p.Iterations)
		mu.Lock()
		authMsg, serverKey = msg, srv
		mu.Unlock()
		proof := base64.StdEncoding.EncodeToString(authcrypto.SCRAMProof(ck, sk, msg))
		return proof, wamp.Dict{"nonce": nonce, "channel_binding": nil, "cbind_data": nil}, nil
	}
	a.CheckWelcome = func(d wamp.Dict) error {
		if m, _ := d["authmethod"].(string); m != authcrypto.SCRAM {
			return nil
		}
		mu.Lock()
		msg, srv := authMsg, serverKey
		mu.Unlock()
		extra, ok := d["authextra"].(wamp.Dict)
		if !ok {
			extra, _ = d["authextra"].(map[string]any)
		}
		v, _ := extra["verifier"].(string)
		got, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(v, "v="))
		if srv == nil || err != nil || !hmac.Equal(got, authcrypto.SCRAMServerSignature(srv, msg)) {
			return errors.New("authenticate: the router's WAMP-SCRAM server signature is wrong or missing: it does not know this user's keys")
		}
		return nil
	}
	return a, nil
}

// scramChallenge reads a WAMP-SCRAM CHALLENGE's extra.
func scramChallenge(extra wamp.Dict, clientNonce string) (string, authcrypto.SCRAMParams, error) {
	nonce, _ := extra["nonce"].(string)
	if !strings.HasPrefix(nonce, clientNonce) || len(nonce) == len(clientNonce) {
		return "", authcrypto.SCRAMParams{}, fmt.Errorf("%w: the wamp-scram nonce does not extend ours", ErrChallenge)
	}
	p := authcrypto.SCRAMParams{}
	p.KDF, _ = extra["kdf"].(string)
	p.Salt, _ = extra["salt"].(string)
	it, ok := wamp.ToInt(extra["iterations"])
	if !ok || it > 1<<31 {
		return "", p, fmt.Errorf("%w: wamp-scram iterations %v", ErrChallenge, extra["iterations"])
	}
	p.Iterations = int(it)
	if m := extra["memory"]; m != nil {
		mem, ok := wamp.ToInt(m)
		if !ok || mem > 1<<31 {
			return "", p, fmt.Errorf("%w: wamp-scram memory %v", ErrChallenge, m)
		}
		p.Memory = int(mem)
	}
	if err := p.Validate(); err != nil {
		return "", p, fmt.Errorf("%w: %v", ErrChallenge, err)
	}
	return nonce, p, nil
}
