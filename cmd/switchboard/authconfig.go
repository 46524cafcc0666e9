package main

import (
	"crypto/ed25519"
	"encoding/hex"
	"fmt"
	"os"
	"slices"
	"strings"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/switchboard-wamp/switchboard/auth"
	"github.com/switchboard-wamp/switchboard/auth/authcrypto"
)

// AuthConfig is a realm's authentication (package auth). Without it the
// realm is open to anonymous clients; with it, only the methods it names
// are accepted: anonymous when Anonymous is set, and each method some user
// has. Example:
//
//	auth:
//	  anonymous: {role: public}
//	  throttle: {delay: 250ms, max_delay: 4s}
//	  users:
//	    - authid: alice
//	      role: writer
//	      ticket: {secret_env: ALICE_TICKET}
//	    - authid: bob
//	      role: writer
//	      wampcra: {secret_file: /etc/switchboard/bob.key, salt: salt123, iterations: 1000, keylen: 32}
//	    - authid: dave
//	      role: device
//	      cryptosign: {pubkeys: [545efb0a2192db8d43f118e9bf9aee081466e1ef36c708b96ee6f62dddad9122]}
//	    - authid: erin
//	      role: writer
//	      scram: {secret_env: ERIN_PASSWORD, kdf: argon2id13, salt: c2FsdHNhbHQ=, iterations: 16, memory: 8192}
type AuthConfig struct {
	Anonymous *AnonymousConfig `yaml:"anonymous"`
	Users     []UserConfig     `yaml:"users"`
	Throttle  ThrottleConfig   `yaml:"throttle"`
}

// AnonymousConfig admits anonymous sessions as authid (empty = the
// session ID) and role (empty = anonymous).
type AnonymousConfig struct {
	AuthID string `yaml:"authid"`
	Role   string `yaml:"role"`
}

// UserConfig is one principal and the methods it may authenticate by.
type UserConfig struct {
	AuthID     string            `yaml:"authid"`
	Role       string            `yaml:"role"`
	Ticket     *TicketConfig     `yaml:"ticket"`
	WAMPCRA    *CRAConfig        `yaml:"wampcra"`
	Cryptosign *CryptosignConfig `yaml:"cryptosign"`
	SCRAM      *SCRAMConfig      `yaml:"scram"`
}

// SecretRef is a secret given in the file (secret), in a file of its own
// (secret_file: its content, a final newline removed) or in an environment
// variable (secret_env): exactly one of them. It never prints its value.
type SecretRef struct {
	Secret     string `yaml:"secret"`
	SecretFile string `yaml:"secret_file"`
	SecretEnv  string `yaml:"secret_env"`
}

// TicketConfig is a ticket user's ticket.
type TicketConfig struct {
	SecretRef `yaml:",inline"`
}

// CRAConfig is a WAMP-CRA user: its secret, or for a salted user (salt
// set) the key derived from its password (auth.CRAUser).
type CRAConfig struct {
	SecretRef  `yaml:",inline"`
	Salt       string `yaml:"salt"`
	Iterations int    `yaml:"iterations"`
	KeyLen     int    `yaml:"keylen"`
}

// CryptosignConfig lists a user's Ed25519 public keys (64 hex digits each).
type CryptosignConfig struct {
	PubKeys []string `yaml:"pubkeys"`
}

// SCRAMConfig is a WAMP-SCRAM user: its password (the secret) and its key
// derivation; the router keeps only the derived keys.
type SCRAMConfig struct {
	SecretRef  `yaml:",inline"`
	KDF        string `yaml:"kdf"` // argon2id13 or pbkdf2
	Salt       string `yaml:"salt"`
	Iterations int    `yaml:"iterations"`
	Memory     int    `yaml:"memory"`
}

// ThrottleConfig is auth.Throttle.
type ThrottleConfig struct {
	Disabled     bool          `yaml:"disabled"`
	Refuse       bool          `yaml:"refuse"`
	Delay        time.Duration `yaml:"delay"`
	MaxDelay     time.Duration `yaml:"max_delay"`
	Forget       time.Duration `yaml:"forget"`
	MaxAddresses int           `yaml:"max_addresses"`
}

// String hides the secret: a SecretRef printed says where it comes from.
func (s SecretRef) String() string {
	switch {
	case s.SecretFile != "":
		return "secret_file:" + s.SecretFile
	case s.SecretEnv != "":
		return "secret_env:" + s.SecretEnv
	case s.Secret != "":
		return "secret:<redacted>"
	}
	return "<no secret>"
}

// GoString hides it from %#v too.
func (s SecretRef) GoString() string { return s.String() }

// MarshalYAML hides it from a dump.
func (s SecretRef) MarshalYAML() (any, error) { return s.String(), nil }

// UnmarshalYAML decodes a mapping of the secret keys. Anything else is an
// error that does not quote the value (a secret written in place of the
// mapping must not reach an error message).
func (c *TicketConfig) UnmarshalYAML(n *yaml.Node) error {
	type plain TicketConfig
	return decodeMapping(n, "main.TicketConfig", (*plain)(c), "secret", "secret_file", "secret_env")
}

// UnmarshalYAML: see TicketConfig.UnmarshalYAML.
func (c *CRAConfig) UnmarshalYAML(n *yaml.Node) error {
	type plain CRAConfig
	return decodeMapping(n, "main.CRAConfig", (*plain)(c), "secret", "secret_file", "secret_env", "salt", "iterations", "keylen")
}

// UnmarshalYAML: see TicketConfig.UnmarshalYAML.
func (c *SCRAMConfig) UnmarshalYAML(n *yaml.Node) error {
	type plain SCRAMConfig
	return decodeMapping(n, "main.SCRAMConfig", (*plain)(c), "secret", "secret_file", "secret_env", "kdf", "salt", "iterations", "memory")
}

// decodeMapping decodes a mapping node holding only the known keys into v,
// reporting other kinds of node and unknown keys as yaml.v3 does (so that
// config check locates them), without quoting any value.
func decodeMapping(n *yaml.Node, typ string, v any, known ...string) error {
	if n.Kind != yaml.MappingNode {
		// The empty quote keeps yaml.v3's form, by which config check finds
		// the key path, without the value.
		quote := ""
		if n.Kind == yaml.ScalarNode {
			quote = " ``"
		}
		return &yaml.TypeError{Errors: []string{fmt.Sprintf("line %d: cannot unmarshal %s%s into %s (want a mapping of %s; the value is not shown)", n.Line, n.ShortTag(), quote, typ, strings.Join(known, ", "))}}
	}
	var errs []string
	for i := 0; i+1 < len(n.Content); i += 2 {
		if k := n.Content[i]; !slices.Contains(known, k.Value) {
			errs = append(errs, fmt.Sprintf("line %d: field %s not found in type %s", k.Line, k.Value, typ))
		}
	}
	if err := n.Decode(v); err != nil {
		te, ok := err.(*yaml.TypeError)
		if !ok {
			return err
		}
		errs = append(errs, te.Errors...)
	}
	if len(errs) > 0 {
		return &yaml.TypeError{Errors: errs}
	}
	return nil
}

// resolve returns the secret's value. Its errors name the file or the
// variable, never the value.
func (s SecretRef) resolve() (string, error) {
	n := 0
	for _, v := range []string{s.Secret, s.SecretFile, s.SecretEnv} {
		if v != "" {
			n++
		}
	}
	if n != 1 {
		return "", fmt.Errorf("set exactly one of secret, secret_file and secret_env")
	}
	switch {
	case s.SecretFile != "":
		b, err := os.ReadFile(s.SecretFile)
		if err != nil {
			return "", fmt.Errorf("secret_file: %v", err)
		}
		v := strings.TrimSuffix(strings.TrimSuffix(string(b), "\n"), "\r")
		if v == "" {
			return "", fmt.Errorf("secret_file %s is empty", s.SecretFile)
		}
		return v, nil
	case s.SecretEnv != "":
		v, ok := os.LookupEnv(s.SecretEnv)
		if !ok || v == "" {
			return "", fmt.Errorf("secret_env: environment variable %s is not set or empty", s.SecretEnv)
		}
		return v, nil
	}
	return s.Secret, nil
}

// readsSecrets reports whether a user's secret comes from a file or the
// environment (whose value a reload must read again). Nil-safe.
func (a *AuthConfig) readsSecrets() bool {
	if a == nil {
		return false
	}
	external := func(r SecretRef) bool { return r.SecretFile != "" || r.SecretEnv != "" }
	for _, u := range a.Users {
		if (u.Ticket != nil && external(u.Ticket.SecretRef)) || (u.WAMPCRA != nil && external(u.WAMPCRA.SecretRef)) ||
			(u.SCRAM != nil && external(u.SCRAM.SecretRef)) {
			return true
		}
	}
	return false
}

// build turns the realm's auth section into an auth.Config, resolving
// secrets; problems have key paths relative to the auth section.
func (a *AuthConfig) build() (auth.Config, []configProblem) {
	var ps []configProblem
	add := func(msg string, path ...any) { ps = append(ps, configProblem{path, msg}) }
	t := a.Throttle
	cfg := auth.Config{Throttle: auth.Throttle{Disabled: t.Disabled, Refuse: t.Refuse, Delay: t.Delay, MaxDelay: t.MaxDelay, Forget: t.Forget, MaxAddresses: t.MaxAddresses}}
	if t.Delay < 0 || t.MaxDelay < 0 || t.Forget < 0 || t.MaxAddresses < 0 {
		add("negative setting", "throttle")
	}
	if a.Anonymous != nil {
		cfg.Anonymous = &auth.Anonymous{AuthID: a.Anonymous.AuthID, AuthRole: a.Anonymous.Role}
	}
	seen := map[string]bool{}
	for i, u := range a.Users {
		if u.AuthID == "" {
			add("empty", "users", i, "authid")
		} else if seen[u.AuthID] {
			add(fmt.Sprintf("%q appears twice", u.AuthID), "users", i, "authid")
		}
		seen[u.AuthID] = true
		if u.Ticket == nil && u.WAMPCRA == nil && u.Cryptosign == nil && u.SCRAM == nil {
			add("no method: set ticket, wampcra, cryptosign or scram", "users", i)
		}
		for _, p := range u.addTo(&cfg) {
			add(p.msg, append([]any{"users", i}, p.path...)...)
		}
	}
	if len(ps) == 0 {
		if err := cfg.Validate(); err != nil {
			add(err.Error())
		}
	}
	return cfg, ps
}

// addTo adds the user to each of its methods in cfg.
func (u UserConfig) addTo(cfg *auth.Config) []configProblem {
	var ps []configProblem
	add := func(msg string, path ...any) { ps = append(ps, configProblem{path, msg}) }
	if u.Ticket != nil {
		s, err := u.Ticket.resolve()
		if err != nil {
			add(err.Error(), "ticket")
		}
		if cfg.Ticket == nil {
			cfg.Ticket = &auth.Ticket{Users: map[string]auth.TicketUser{}}
		}
		cfg.Ticket.Users[u.AuthID] = auth.TicketUser{Ticket: s, AuthRole: u.Role}
	}
	if c := u.WAMPCRA; c != nil {
		s, err := c.resolve()
		if err != nil {
			add(err.Error(), "wampcra")
		}
		if c.Salt == "" && (c.Iterations != 0 || c.KeyLen != 0) {
			add("iterations and keylen need a salt", "wampcra")
		}
		if c.Iterations < 0 || c.KeyLen < 0 {
			add("negative iterations or keylen", "wampcra")
		}
		if cfg.WAMPCRA == nil {
			cfg.WAMPCRA = &auth.WAMPCRA{Users: map[string]auth.CRAUser{}}
		}
		cfg.WAMPCRA.Users[u.AuthID] = auth.CRAUser{Secret: s, AuthRole: u.Role, Salt: c.Salt, Iterations: c.Iterations, KeyLen: c.KeyLen}
	}
	if c := u.Cryptosign; c != nil {
		if len(c.PubKeys) == 0 {
			add("no public key", "cryptosign", "pubkeys")
		}
		for j, k := range c.PubKeys {
			if b, err := hex.DecodeString(k); err != nil || len(b) != ed25519.PublicKeySize {
				add(fmt.Sprintf("%q: want an Ed25519 public key, 64 hex digits", k), "cryptosign", "pubkeys", j)
			}
		}
		if cfg.Cryptosign == nil {
			cfg.Cryptosign = &auth.Cryptosign{}
		}
		cfg.Cryptosign.Users = append(cfg.Cryptosign.Users, auth.CryptosignUser{AuthID: u.AuthID, AuthRole: u.Role, PubKeys: c.PubKeys})
	}
	if u.SCRAM != nil {
		u.addSCRAM(cfg, add)
	}
	return ps
}

// addSCRAM adds the user to cfg's WAMP-SCRAM users, deriving its keys.
func (u UserConfig) addSCRAM(cfg *auth.Config, add func(msg string, path ...any)) {
	c := u.SCRAM
	s, err := c.resolve()
	if err != nil {
		add(err.Error(), "scram")
	}
	p := authcrypto.SCRAMParams{KDF: c.KDF, Salt: c.Salt, Iterations: c.Iterations, Memory: c.Memory}
	if err := p.Validate(); err != nil {
		add(strings.TrimPrefix(err.Error(), "authcrypto: "), "scram")
	} else if s != "" {
		su, err := auth.NewSCRAMUser(s, u.Role, p)
		if err != nil {
			add(err.Error(), "scram")
		}
		if cfg.SCRAM == nil {
			cfg.SCRAM = &auth.SCRAM{Users: map[string]auth.SCRAMUser{}}
		}
		cfg.SCRAM.Users[u.AuthID] = su
	}
}
