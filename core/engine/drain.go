package engine

import "context"

// WaitCalls waits until the realm has no call in flight (router's
// PendingCalls is 0) or ctx is done: a drain lets the calls already
// routed finish before the sessions are told GOODBYE. Calls routed while
// it waits count too. Safe for concurrent use; not from the executor.
func (r *Realm) WaitCalls(ctx context.Context) error {
	done := make(chan struct{})
	if !r.ex.Post(func() {
		if r.r.PendingCalls() == 0 {
			close(done)
			return
		}
		r.callsIdle = append(r.callsIdle, done)
	}) {
		return ErrClosed
	}
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// releaseCallWaiters wakes WaitCalls once no call is pending. Executor-only.
func (r *Realm) releaseCallWaiters() {
	if len(r.callsIdle) == 0 || r.r.PendingCalls() > 0 {
		return
	}
	for _, ch := range r.callsIdle {
		close(ch)
	}
	r.callsIdle = nil
}

// SetMaxOptionListLen changes the realm's limit on list-valued options
// (router.Realm.SetMaxOptionListLen) for requests routed after it. Safe
// for concurrent use; it does not wait.
func (r *Realm) SetMaxOptionListLen(n int) error {
	if !r.ex.Post(func() { r.r.SetMaxOptionListLen(n) }) {
		return ErrClosed
	}
	return nil
}

// SetMaxPendingCallsPerSession changes the realm's limit on one session's
// pending calls (router.Realm.SetMaxPendingCallsPerSession) for calls
// routed after it. Safe for concurrent use; it does not wait.
func (r *Realm) SetMaxPendingCallsPerSession(n int) error {
	if !r.ex.Post(func() { r.r.SetMaxPendingCallsPerSession(n) }) {
		return ErrClosed
	}
	return nil
}
