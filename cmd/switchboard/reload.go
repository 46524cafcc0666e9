package main

import (
	"context"
	"fmt"
	"log/slog"
	"reflect"
	"slices"

	"github.com/switchboard-wamp/switchboard/core"
	"github.com/switchboard-wamp/switchboard/core/wamp"
)

// SIGHUP re-reads the configuration file. An invalid file (unreadable, bad
// YAML, unknown keys, failed validation) is refused: every problem is
// logged and the running configuration stays. A valid one is applied by
// reload, the one function that changes a running router's configuration.

// reloadFile reloads the file the configuration came from. Signal loop.
func (s *server) reloadFile() {
	s.mu.Lock()
	file, metricsFlag := s.cfg.file, s.cfg.metricsFlag
	s.mu.Unlock()
	if file == "" {
		s.log.Warn("reload: SIGHUP ignored: the configuration came from flags, not a file (-config)")
		return
	}
	next, err := loadConfig(file)
	if err == nil && metricsFlag != "" {
		next.Metrics.Address, next.metricsFlag = metricsFlag, metricsFlag
	}
	if err == nil {
		next = next.withDefaults()
		for _, p := range next.problems() {
			err = fmt.Errorf("%s: %w", file, p)
			s.log.Error("reload refused: invalid configuration; the running one is kept", "file", file, "problem", p.Error())
		}
	} else {
		s.log.Error("reload refused: invalid configuration; the running one is kept", "file", file, "err", err)
	}
	if err != nil {
		return
	}
	s.reload(next)
}

// reload applies next, a valid configuration, to the running router:
//
//   - realms added are created, realms removed are closed (their sessions
//     get GOODBYE switchboard.close.realm_removed), realms kept take their
//     new limits (max_sessions, max_option_list_len) without losing a
//     session; a kept realm's strict_uri cannot change while it runs;
//   - log.level, shutdown_timeout and drain_timeout apply at once;
//   - what the running process is built on — backend, listeners, message
//     and queue sizes, the handshake timeout, the log format, the metrics
//     endpoint — needs a restart: a change is logged and not applied.
//
// Per-realm authentication, roles and users, when the configuration
// carries them, are applied here too, for each kept or added realm next to
// its limits (applyRealm), so that one SIGHUP changes them together.
// Signal loop.
func (s *server) reload(next Config) {
	s.mu.Lock()
	cur := s.cfg
	s.mu.Unlock()
	ctx, cancel := context.WithTimeout(context.Background(), cur.ShutdownTimeout)
	defer cancel()
	applied := cur
	applied.Realms = s.reloadRealms(ctx, cur.Realms, next.Realms)
	applied.ShutdownTimeout, applied.DrainTimeout = next.ShutdownTimeout, next.DrainTimeout
	if s.level != nil && next.Log.Level != cur.Log.Level {
		if err := s.level.UnmarshalText([]byte(next.Log.Level)); err == nil {
			applied.Log.Level = next.Log.Level
		}
	}
	for _, key := range restartKeys(cur, next) {
		s.log.Warn("reload: this setting changes only at a restart; the running value is kept", "key", key)
	}
	s.mu.Lock()
	s.cfg = applied
	s.mu.Unlock()
	s.log.Info("reloaded", "file", cur.file, "realms", len(applied.Realms))
}

// reloadRealms removes, adds and updates realms; it returns the realms
// running afterwards, in next's order (a realm that could not be changed
// keeps its running configuration).
func (s *server) reloadRealms(ctx context.Context, cur, next []RealmConfig) []RealmConfig {
	byURI := func(rs []RealmConfig, uri string) (RealmConfig, bool) {
		i := slices.IndexFunc(rs, func(r RealmConfig) bool { return r.URI == uri })
		if i < 0 {
			return RealmConfig{}, false
		}
		return rs[i], true
	}
	var running []RealmConfig
	for _, old := range cur {
		if _, kept := byURI(next, old.URI); kept {
			continue
		}
		if err := s.app.RemoveRealm(ctx, wamp.URI(old.URI)); err != nil {
			s.log.Warn("reload: realm removed; some sessions did not leave in time", "realm", old.URI, "err", err)
		} else {
			s.log.Info("reload: realm removed", "realm", old.URI)
		}
	}
	for _, rc := range next {
		old, kept := byURI(cur, rc.URI)
		if !kept {
			if _, err := s.app.AddRealm(rc.core()); err != nil {
				s.log.Error("reload: realm not added", "realm", rc.URI, "err", err)
				continue
			}
			if err := s.setAuth(rc); err != nil {
				s.log.Error("reload: realm added without its authentication; it admits nobody", "realm", rc.URI, "err", err)
			}
			s.log.Info("reload: realm added", "realm", rc.URI)
			running = append(running, rc)
			continue
		}
		running = append(running, s.applyRealm(old, rc))
	}
	return running
}

// applyRealm changes a kept realm from old to rc and returns what runs.
func (s *server) applyRealm(old, rc RealmConfig) RealmConfig {
	log := s.log.With("realm", rc.URI)
	if rc.StrictURI != old.StrictURI {
		log.Warn("reload: strict_uri changes only at a restart (or remove the realm, reload, add it back); the running value is kept")
		rc.StrictURI = old.StrictURI
	}
	// A secret read from a file or the environment may have changed with
	// the same text: such an auth section is applied again.
	authChanged := !reflect.DeepEqual(rc.Auth, old.Auth) || rc.Auth.readsSecrets()
	if reflect.DeepEqual(rc, old) && !authChanged {
		return rc
	}
	r, ok := s.app.Realm(wamp.URI(rc.URI))
	if !ok {
		log.Error("reload: realm not found")
		return old
	}
	if authChanged {
		if err := s.reloadAuth(r, old, rc); err != nil {
			log.Error("reload: realm authentication not changed", "err", err)
			rc.Auth = old.Auth
		}
	}
	if !reflect.DeepEqual(rc.Roles, old.Roles) {
		// Validated with the file; a table the realm still refuses keeps
		// the running roles and limits.
		if err := r.SetRoles(rc.coreRoles()); err != nil {
			log.Error("reload: realm roles not changed", "err", err)
			return old
		}
		log.Info("reload: realm roles changed", slog.Int("roles", len(rc.Roles)))
	}
	if rc.MaxSessions != old.MaxSessions || rc.MaxOptionListLen != old.MaxOptionListLen ||
		rc.MaxPendingCallsPerSession != old.MaxPendingCallsPerSession {
		if err := r.SetLimits(rc.core()); err != nil {
			log.Error("reload: realm limits not changed", "err", err)
			rc.MaxSessions, rc.MaxOptionListLen = old.MaxSessions, old.MaxOptionListLen
			rc.MaxPendingCallsPerSession = old.MaxPendingCallsPerSession
			return rc
		}
		log.Info("reload: realm limits changed", slog.Int("max_sessions", rc.MaxSessions), slog.Int("max_option_list_len", rc.MaxOptionListLen),
			slog.Int("max_pending_calls_per_session", rc.MaxPendingCallsPerSession))
	}
	return rc
}

// restartKeys lists the keys whose change needs a restart.
func restartKeys(cur, next Config) []string {
	var keys []string
	diff := func(key string, a, b any) {
		if !reflect.DeepEqual(a, b) {
			keys = append(keys, key)
		}
	}
	diff("backend", cur.Backend, next.Backend)
	diff("listeners", cur.Listeners, next.Listeners)
	diff("max_message_bytes", cur.MaxMessageBytes, next.MaxMessageBytes)
	diff("outbound_queue", cur.OutboundQueue, next.OutboundQueue)
	diff("handshake_timeout", cur.HandshakeTimeout, next.HandshakeTimeout)
	diff("max_handshakes", cur.MaxHandshakes, next.MaxHandshakes)
	diff("max_handshakes_per_address", cur.MaxHandshakesPerAddress, next.MaxHandshakesPerAddress)
	diff("rate_limit", cur.RateLimit, next.RateLimit)
	diff("rate_burst", cur.RateBurst, next.RateBurst)
	diff("log.format", cur.Log.Format, next.Log.Format)
	diff("metrics", cur.Metrics, next.Metrics)
	diff("cluster", cur.Cluster, next.Cluster)
	return keys
}

// reloadAuth applies a kept realm's new auth section: the new
// authenticator admits from now on, and the sessions of users the new
// section no longer lists are killed with switchboard.close.user_removed.
// A removed user whose authentication was under way with the old
// authenticator is refused when it ends (server.guarded); what remains
// is the instant between that check and the session's admission.
func (s *server) reloadAuth(r *core.Realm, old, rc RealmConfig) error {
	if rc.Auth == nil {
		s.setRealmAuth(rc.URI, nil)
		r.SetAuthenticator(nil) // anonymous only, as a realm without auth
	} else if err := s.setAuth(rc); err != nil {
		return err
	}
	kept := map[string]bool{}
	if rc.Auth != nil {
		for _, u := range rc.Auth.Users {
			kept[u.AuthID] = true
		}
	}
	if old.Auth == nil {
		return nil
	}
	for _, u := range old.Auth.Users {
		if kept[u.AuthID] {
			continue
		}
		for _, sess := range r.Sessions() {
			if sess.AuthID == u.AuthID && sess.AuthMethod != "anonymous" {
				s.log.Info("reload: user removed; closing its session", "realm", rc.URI, "authid", u.AuthID, "session", sess.ID)
				_ = sess.Kill(userRemoved)
			}
		}
	}
	return nil
}

// userRemoved is the GOODBYE reason of a session whose user a reload removed.
const userRemoved = "switchboard.close.user_removed"
