package core

import (
	"context"
	"errors"
	"fmt"

	"github.com/switchboard-wamp/switchboard/core/wamp"
)

// What an operator does to a running application: drain it before Close,
// remove a realm, change a realm's limits (a configuration reload).

// ReasonRealmRemoved is the GOODBYE reason sessions get when their realm
// is removed (RemoveRealm). The spec has no URI for it.
const ReasonRealmRemoved wamp.URI = "switchboard.close.realm_removed"

// Drain prepares Close: from now on new sessions are refused (ABORT
// wamp.close.system_shutdown), while joined sessions keep working; it
// waits until no realm has a call in flight — calls routed meanwhile
// count — or ctx is done (then it returns ctx's error; Close still ends
// everything). Safe for concurrent use.
func (a *Application) Drain(ctx context.Context) error {
	a.mu.Lock()
	a.draining = true
	realms := make([]*Realm, 0, len(a.realms))
	for _, r := range a.realms {
		realms = append(realms, r)
	}
	a.mu.Unlock()
	var errs []error
	for _, r := range realms {
		if err := r.e.WaitCalls(ctx); err != nil {
			errs = append(errs, fmt.Errorf("realm %q: calls still in flight: %w", r.uri, err))
		}
	}
	return errors.Join(errs...)
}

// RemoveRealm removes the realm named uri: HELLOs for it are refused with
// wamp.error.no_such_realm (or join the default realm, when it is on) from
// now on, and its sessions get GOODBYE ReasonRealmRemoved; it waits until
// they are gone or ctx is done. Removing the default realm turns the
// default realm off. Safe for concurrent use.
func (a *Application) RemoveRealm(ctx context.Context, uri wamp.URI) error {
	a.mu.Lock()
	r, ok := a.realms[uri]
	if ok {
		delete(a.realms, uri)
		if a.defaultRealm == r {
			a.defaultRealm = nil
		}
	}
	a.mu.Unlock()
	if !ok {
		return fmt.Errorf("core: no realm %q", uri)
	}
	err := r.shutdown(ctx, ReasonRealmRemoved)
	if c := r.cluster.Load(); c != nil {
		c.Remove()
	}
	return err
}

// SetLimits applies the limits of rc to the running realm, its other
// fields are ignored: MaxSessions for sessions admitted from now on
// (sessions beyond a lowered limit stay), MaxOptionListLen and
// MaxPendingCallsPerSession for requests routed from now on. Zero values
// mean what they mean in RealmConfig (no session limit; 1024; 1000). Safe
// for concurrent use.
func (r *Realm) SetLimits(rc RealmConfig) error {
	if rc.MaxSessions < 0 || rc.MaxOptionListLen < 0 || rc.MaxPendingCallsPerSession < 0 {
		return fmt.Errorf("%w: realm %q: negative limit", ErrRealmConfig, r.uri)
	}
	r.sessions.mu.Lock()
	r.sessions.max = rc.MaxSessions
	r.sessions.mu.Unlock()
	if err := r.e.SetMaxOptionListLen(rc.MaxOptionListLen); err != nil {
		return ErrClosed
	}
	if err := r.e.SetMaxPendingCallsPerSession(rc.MaxPendingCallsPerSession); err != nil {
		return ErrClosed
	}
	return nil
}
