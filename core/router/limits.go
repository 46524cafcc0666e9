package router

// What an operator changes or watches while the realm runs: its pending
// calls (a drain waits for them) and its limits (a configuration reload).

// PendingCalls returns the number of routed calls awaiting their callee's
// answer, the application's own calls and calls to its procedures
// included. Executor-only.
func (r *Realm) PendingCalls() int { return len(r.dealer.calls.byInv) }

// SetMaxOptionListLen changes RealmConfig.MaxOptionListLen for the
// requests routed from now on; n <= 0 restores DefaultMaxOptionListLen.
// Executor-only.
func (r *Realm) SetMaxOptionListLen(n int) {
	if n <= 0 {
		n = DefaultMaxOptionListLen
	}
	r.cfg.MaxOptionListLen = n
}

// SetMaxPendingCallsPerSession changes
// RealmConfig.MaxPendingCallsPerSession for the CALLs routed from now on
// (calls already pending stay, even beyond a lowered limit); n <= 0
// restores DefaultMaxPendingCallsPerSession. Executor-only.
func (r *Realm) SetMaxPendingCallsPerSession(n int) {
	if n <= 0 {
		n = DefaultMaxPendingCallsPerSession
	}
	r.cfg.MaxPendingCallsPerSession = n
}
