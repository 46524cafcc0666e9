package router

import (
	"errors"

	"github.com/switchboard-wamp/switchboard/core/wamp"
)

// FallbackMode says which CALLs a realm routes to its fallback callee.
type FallbackMode uint8

const (
	// FallbackOff: no fallback. A CALL that no registration matches fails
	// with ERROR wamp.error.no_such_procedure.
	FallbackOff FallbackMode = iota
	// FallbackUnmatched: a CALL that no registration matches (exact, prefix
	// or wildcard) goes to the fallback callee instead of failing.
	FallbackUnmatched
	// FallbackAll: every CALL goes to the fallback callee; registrations
	// stay in the dealer but receive no calls.
	FallbackAll
)

// ErrFallbackCallee is returned by SetFallback when the session is not an
// established Internal session of the realm.
var ErrFallbackCallee = errors.New("router: the fallback callee must be an established internal session")

// fallback is the realm's fallback callee (the application's own session,
// which resolves what the dealer cannot: regular-expression routes, or a
// custom call handler that replaces routing altogether).
type fallback struct {
	mode   FallbackMode
	callee *session
	// reg is the registration ID that fallback INVOCATIONs carry. It names
	// no entry of the dealer's index: it is allocated (from the realm's
	// IDSource, so it never collides with a real registration) on the first
	// SetFallback and kept for the realm's lifetime.
	reg wamp.ID
}

// SetFallback makes the established Internal session sid the realm's
// fallback callee for mode, replacing any previous one, and returns the
// registration ID its INVOCATIONs will carry. A fallback INVOCATION always
// has Details.procedure (the called URI), and otherwise follows the rules
// of any INVOCATION: call timeouts, CANCEL, progressive results and the
// callee leaving work as for a registration. Calls under the reserved
// "wamp." prefix never go to the fallback. FallbackOff removes the fallback
// (sid is then ignored). When the fallback callee leaves the realm, the
// fallback is removed. Executor-only.
func (r *Realm) SetFallback(sid SessionID, mode FallbackMode) (wamp.ID, error) {
	fb := &r.dealer.fb
	if mode == FallbackOff {
		fb.mode, fb.callee = FallbackOff, nil
		return fb.reg, nil
	}
	s := r.sessions[sid]
	if s == nil || s.state != stEstablished || !s.info.Internal || mode > FallbackAll {
		return 0, ErrFallbackCallee
	}
	if fb.reg == 0 {
		fb.reg = r.newID()
	}
	fb.mode, fb.callee = mode, s
	return fb.reg, nil
}

// takes reports whether a CALL to proc goes to the fallback callee, given
// whether a registration matched it.
func (fb *fallback) takes(proc wamp.URI, matched bool) bool {
	switch fb.mode {
	case FallbackAll:
		return !reserved(proc)
	case FallbackUnmatched:
		return !matched && !reserved(proc)
	}
	return false
}

// dropFallback removes the fallback if s is its callee.
func (d *dealer) dropFallback(s *session) {
	if d.fb.callee == s {
		d.fb.mode, d.fb.callee = FallbackOff, nil
	}
}
