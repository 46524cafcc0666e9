package router

import (
	"cmp"
	"slices"
	"time"

	"github.com/switchboard-wamp/switchboard/core/wamp"
)

// INTERRUPT options the dealer sends (shared, immutable).
var (
	interruptKill = wamp.Dict{wamp.OptMode: wamp.CancelKill, wamp.OptReason: string(wamp.ErrCanceled)}
	// interruptKillNoWait also serves a caller that left mid-call.
	interruptKillNoWait = wamp.Dict{wamp.OptMode: wamp.CancelKillNoWait, wamp.OptReason: string(wamp.ErrCanceled)}
	interruptTimeout    = wamp.Dict{wamp.OptMode: wamp.CancelKillNoWait, wamp.OptReason: string(wamp.ErrTimeout)}
)

// cancel handles CANCEL (spec, call canceling). Modes:
//   - skip: ERROR wamp.error.canceled to the caller now; no INTERRUPT; the
//     callee's eventual answer is discarded;
//   - kill: INTERRUPT to the callee; the call stays pending and the
//     callee's answer (ERROR or RESULT) reaches the caller as usual;
//   - killnowait (the default): ERROR canceled to the caller now, then
//     INTERRUPT to the callee; its answer is discarded.
//
// A callee that did not announce call_canceling gets skip. CANCEL for an
// unknown or finished call is discarded; a repeated kill sends no second
// INTERRUPT.
func (r *Realm) cancel(now time.Time, s *session, m *wamp.Cancel, fx *Effects) {
	mode, present := wamp.OptString(m.Options, wamp.OptMode) // type and value checked by wamp.ValidateOptions
	if !present {
		mode = wamp.CancelKillNoWait
	}
	t := &r.dealer.calls
	pc := t.byReq[callKey{s.id, m.Request}]
	if pc == nil {
		r.cancelHeld(now, s, m.Request, fx)
		return
	}
	if pc.callee.feats&featCalleeCanceling == 0 {
		mode = wamp.CancelSkip
	}
	switch mode {
	case wamp.CancelKill:
		if !pc.killed {
			pc.killed = true
			fx.send(pc.callee.id, &wamp.Interrupt{Request: pc.inv, Options: interruptKill})
		}
	case wamp.CancelKillNoWait:
		fx.send(s.id, errorMsg(wamp.CALL, pc.callerReq, wamp.ErrCanceled, "call canceled"))
		fx.send(pc.callee.id, &wamp.Interrupt{Request: pc.inv, Options: interruptKillNoWait})
		t.finish(pc)
	default: // skip
		fx.send(s.id, errorMsg(wamp.CALL, pc.callerReq, wamp.ErrCanceled, "call canceled"))
		t.finish(pc)
	}
}

// expireCall ends a call whose options.timeout elapsed: ERROR
// wamp.error.timeout to the caller, then INTERRUPT (killnowait, reason
// wamp.error.timeout) to the callee if it announced call_canceling and was
// not already sent a kill-mode INTERRUPT.
func (r *Realm) expireCall(pc *pendingCall, fx *Effects) {
	fx.send(pc.caller.id, errorMsg(wamp.CALL, pc.callerReq, wamp.ErrTimeout, "call timed out"))
	if pc.callee.feats&featCalleeCanceling != 0 && !pc.killed {
		fx.send(pc.callee.id, &wamp.Interrupt{Request: pc.inv, Options: interruptTimeout})
	}
	r.dealer.calls.finish(pc)
}

// dropCalls ends every pending call s takes part in, because s leaves.
// Calls it is the callee of fail at their callers with ERROR
// wamp.error.canceled; calls it made are forgotten, with INTERRUPT
// killnowait to callees that announced call_canceling. Nothing is sent to s.
// Output follows call order.
func (r *Realm) dropCalls(s *session, fx *Effects) {
	if s.pending == 0 {
		return
	}
	t := &r.dealer.calls
	list := t.scratch[:0]
	for _, pc := range t.byInv {
		if pc.caller == s || pc.callee == s {
			list = append(list, pc)
		}
	}
	slices.SortFunc(list, func(a, b *pendingCall) int { return cmp.Compare(a.seq, b.seq) })
	for _, pc := range list {
		switch {
		case pc.caller == pc.callee:
		case pc.callee == s:
			fx.send(pc.caller.id, errorMsg(wamp.CALL, pc.callerReq, wamp.ErrCanceled, "callee left"))
		case pc.callee.feats&featCalleeCanceling != 0:
			fx.send(pc.callee.id, &wamp.Interrupt{Request: pc.inv, Options: interruptKillNoWait})
		}
		t.finish(pc)
	}
	clear(list)
	t.scratch = list[:0]
}
