package router

import (
	"strconv"
	"time"

	"github.com/switchboard-wamp/switchboard/core/wamp"
)

// callKey names a request in a session's scope.
type callKey struct {
	sid SessionID
	req wamp.ID
}

// pendingCall is one routed CALL awaiting its callee's answer.
type pendingCall struct {
	seq       uint64 // realm-wide, orders cleanup output and validates deadlines
	caller    *session
	callerReq wamp.ID
	callee    *session
	inv       wamp.ID
	progress  bool // the caller asked for progressive results
	timeout   bool // a deadline entry is live for this call
	killed    bool // a kill-mode INTERRUPT was sent
}

// callTable indexes pending calls by the callee's INVOCATION request (for
// YIELD/ERROR) and by the caller's CALL request (for CANCEL). Records are
// recycled through a free list so that steady-state routing allocates only
// the messages it emits.
type callTable struct {
	byInv        map[callKey]*pendingCall
	byReq        map[callKey]*pendingCall
	free         []*pendingCall
	seq          uint64
	withDeadline int
	scratch      []*pendingCall
}

func newCallTable() callTable {
	return callTable{byInv: map[callKey]*pendingCall{}, byReq: map[callKey]*pendingCall{}}
}

// progressDetails is RESULT.Details of a progressive result (shared, immutable).
var progressDetails = wamp.Dict{wamp.OptProgress: true}

// call handles CALL: a meta procedure is answered by the router itself
// (meta.go); otherwise resolve the registration (exact, else longest
// prefix, else best wildcard; calls under the reserved "wamp." prefix
// resolve exact registrations only), or the fallback callee when its mode
// takes the call (dealer_fallback.go), pick a callee, send it an
// INVOCATION and remember the call.
func (r *Realm) call(now time.Time, s *session, m *wamp.Call, fx *Effects) {
	fail := func(uri wamp.URI, msg string) { fx.send(s.id, errorMsg(wamp.CALL, m.Request, uri, msg)) }
	// Option types were checked by wamp.ValidateOptions.
	var o callOpts
	// A timeout too large for a time.Duration (above wamp.MaxTimeoutMs,
	// about 292 years, or beyond int64 so that OptInt refuses it) means no
	// timeout, as 0 does: converting it would overflow into an immediate
	// timeout. Negative timeouts were refused by wamp.ValidateOptions.
	if ms, _ := wamp.OptInt(m.Options, wamp.OptTimeout); wamp.TimeoutDuration(ms) > 0 {
		o.timeoutMs = ms
	}
	o.progress, _ = wamp.OptBool(m.Options, wamp.OptReceiveProgress)
	o.disclose, _ = wamp.OptBool(m.Options, wamp.OptDiscloseMe)
	t := &r.dealer.calls
	if _, dup := t.byReq[callKey{s.id, m.Request}]; dup {
		r.violate(s, "CALL request ID already in use by a pending call", fx)
		return
	}
	if wamp.IsPPT(m.Options) {
		if s.feats&featCallerPPT == 0 {
			r.violate(s, pptUnannounced("CALL", wamp.RoleCaller), fx)
			return
		}
		o.ppt = m.Options
	}
	if msg := r.listOverLimit(s, m); msg != "" {
		fail(wamp.ErrInvalidArgument, msg)
		return
	}
	meta := reserved(m.Procedure)
	if meta && o.ppt != nil {
		// The router's own procedures would have to read the payload.
		fail(wamp.ErrFeatureNotSupported, "procedure "+quote(string(m.Procedure))+" does not take a payload in payload passthru mode")
		return
	}
	if meta && r.metaCall(now, s, m, fx) {
		return
	}
	if s.calling >= r.cfg.MaxPendingCallsPerSession && !s.info.Internal {
		fail(ErrTooManyPendingCalls, "too many calls pending (at most "+strconv.Itoa(r.cfg.MaxPendingCallsPerSession)+
			" per session); wait for a result before calling again")
		return
	}
	reg, policy, found := r.dealer.index.best(m.Procedure, !meta)
	// An exact hit proves the URI valid (validated at REGISTER).
	if (!found || policy != matchExact) && !validURI(m.Procedure, r.cfg.StrictURI, false) {
		fail(wamp.ErrInvalidURI, "invalid procedure URI "+quote(string(m.Procedure)))
		return
	}
	if uri, msg, held := r.authorize(now, s, ActionCall, m.Procedure, matchExact, o.disclose, m, fx); held || uri != "" {
		if !held {
			fail(uri, msg)
		}
		return
	}
	var fwd *callerBoxes
	if s.isNode() {
		var ok bool
		if fwd, ok = forwardedCaller(m.Options); !ok {
			fail(wamp.ErrInvalidArgument, "a CALL from a cluster node needs options.forward_for [{session, authid, authrole}]")
			return
		}
	}
	var callee *session
	var regID wamp.ID
	pattern := policy != matchExact // details.procedure tells the callee the called URI
	switch fb := &r.dealer.fb; {
	case fb.takes(m.Procedure, found):
		callee, regID, pattern = fb.callee, fb.reg, true
	case !found:
		fail(wamp.ErrNoSuchProcedure, "no callee registered for procedure "+quote(string(m.Procedure)))
		return
	case s.isNode():
		// A call from another node: local callees only (cluster.go).
		if callee, regID = r.pickLocalCallee(reg), reg.id; callee == nil {
			fail(wamp.ErrNoSuchProcedure, "no callee on this node for procedure "+quote(string(m.Procedure)))
			return
		}
	default:
		callee, regID = r.pickCallee(reg), reg.id
	}
	if o.ppt != nil && callee.feats&featCalleePPT == 0 {
		fail(wamp.ErrFeatureNotSupported, "the callee of "+quote(string(m.Procedure))+" did not announce payload_passthru_mode")
		return
	}
	o.progress = o.progress && callee.feats&featCalleeProgress != 0
	inv := &wamp.Invocation{
		Request:      callee.nextInvocation(),
		Registration: regID,
		Details:      invocationDetails(s, fwd, callee, pattern, m.Procedure, o),
		Args:         m.Args,
		Kwargs:       m.Kwargs,
	}
	fx.send(callee.id, inv)
	pc := t.add(s, m.Request, callee, inv.Request)
	pc.progress = o.progress
	if o.timeoutMs > 0 {
		pc.timeout = true
		t.withDeadline++
		r.addDeadline(deadline{at: now.Add(wamp.TimeoutDuration(o.timeoutMs)), kind: dlCall, key: callKey{callee.id, inv.Request}, seq: pc.seq})
	}
}

// callOpts are the CALL options the dealer acts on.
type callOpts struct {
	timeoutMs int64 // 1..wamp.MaxTimeoutMs, or 0 = no timeout
	progress  bool  // receive_progress, and the callee supports it
	disclose  bool
	ppt       wamp.Dict // the CALL's options when in payload passthru mode
}

// invocationDetails builds INVOCATION.Details: "procedure" for pattern
// registrations and the fallback, the caller's identity on disclose_me
// (caller identification), receive_progress when the caller asked for
// progressive results and the callee announced support for them, and the
// CALL's ppt_* options in payload passthru mode.
//
// An Internal callee (the application's own session) is trusted with
// more: it always gets the caller's identity (so that application handlers
// can find the calling session), plus "timeout" (the caller's
// options.timeout in ms, when it sets a deadline) and "disclose_me" (true when the caller
// asked for disclosure, so the application can honour the caller's wish).
//
// Like emptyDetails, the details of the plainest call to the application
// (the caller's identity alone) are one map per caller, made once and
// shared by its calls: nobody modifies an INVOCATION's details.
//
// fwd, when not nil, is the identity disclosed instead of the caller's:
// the original caller of a CALL from a node session (cluster.go).
func invocationDetails(caller *session, fwd *callerBoxes, callee *session, pattern bool, proc wamp.URI, o callOpts) wamp.Dict {
	internal := callee.info.Internal
	if !pattern && !o.disclose && !o.progress && o.ppt == nil {
		switch {
		case !internal:
			return emptyDetails
		case o.timeoutMs == 0 && fwd == nil:
			return caller.identityDetails()
		}
	}
	d := make(wamp.Dict, 4)
	wamp.CopyPPT(d, o.ppt)
	if pattern {
		d[wamp.DetailProcedure] = string(proc)
	}
	if o.disclose || internal {
		b := fwd
		if b == nil {
			b = caller.callerBoxes()
		}
		d[wamp.DetailCaller] = b.id
		d[wamp.DetailCallerAuthID] = b.authID
		d[wamp.DetailCallerAuthRole] = b.authRole
	}
	if o.progress {
		d[wamp.OptReceiveProgress] = true
	}
	if internal {
		if o.timeoutMs > 0 {
			d[wamp.OptTimeout] = o.timeoutMs
		}
		if o.disclose {
			d[wamp.OptDiscloseMe] = true
		}
	}
	return d
}

// yield handles YIELD: RESULT to the caller. A progressive YIELD
// (options.progress=true) becomes a RESULT with details.progress=true and
// leaves the call pending; it is discarded when the caller did not ask for
// progressive results (the caller could not tell it from the final result).
// In payload passthru mode the ppt_* options go into RESULT.Details (see
// ppt.go for a caller or callee without the feature).
// A YIELD for an unknown or finished invocation is discarded (spec: the
// call may have been canceled or timed out meanwhile).
func (r *Realm) yield(s *session, m *wamp.Yield, fx *Effects) {
	t := &r.dealer.calls
	ppt := wamp.IsPPT(m.Options)
	if ppt && s.feats&featCalleePPT == 0 {
		r.violate(s, pptUnannounced("YIELD", wamp.RoleCallee), fx)
		return
	}
	pc := t.byInv[callKey{s.id, m.Request}]
	if pc == nil {
		return
	}
	if ppt && r.pptRefusedByCaller(pc, fx) {
		return
	}
	progress, _ := wamp.OptBool(m.Options, wamp.OptProgress)
	details := emptyDetails
	if progress {
		details = progressDetails
	}
	if ppt {
		details = withPPT(details, m.Options)
	}
	if progress {
		if pc.progress {
			fx.send(pc.caller.id, &wamp.Result{Request: pc.callerReq, Details: details, Args: m.Args, Kwargs: m.Kwargs})
		}
		return
	}
	fx.send(pc.caller.id, &wamp.Result{Request: pc.callerReq, Details: details, Args: m.Args, Kwargs: m.Kwargs})
	t.finish(pc)
}

// calleeError handles ERROR for an INVOCATION: the same error (details,
// URI, args, kwargs) goes to the caller as ERROR for its CALL. Unknown or
// finished invocations are discarded, as for YIELD.
//
// An ERROR whose URI is empty or invalid (loose rules, no empty component,
// whatever the realm's URI checking: an error URI is the callee's own) is
// an invalid message, never forwarded: the callee gets ABORT
// wamp.error.protocol_violation and leaves, so that each call it was
// serving, this one included, fails at its caller with ERROR
// wamp.error.canceled ("callee left"), as for any callee that leaves.
func (r *Realm) calleeError(s *session, m *wamp.Error, fx *Effects) {
	if !validURI(m.Error, false, false) {
		r.violate(s, "ERROR for an INVOCATION with an invalid error URI "+strconv.Quote(string(m.Error)), fx)
		return
	}
	t := &r.dealer.calls
	ppt := wamp.IsPPT(m.Details)
	if ppt && s.feats&featCalleePPT == 0 {
		r.violate(s, pptUnannounced("ERROR", wamp.RoleCallee), fx)
		return
	}
	pc := t.byInv[callKey{s.id, m.Request}]
	if pc == nil {
		return
	}
	if ppt && r.pptRefusedByCaller(pc, fx) {
		return
	}
	details := m.Details
	if details == nil {
		details = emptyDetails
	}
	fx.send(pc.caller.id, &wamp.Error{RequestType: wamp.CALL, Request: pc.callerReq, Details: details, Error: m.Error, Args: m.Args, Kwargs: m.Kwargs})
	t.finish(pc)
}

// add records a new pending call.
func (t *callTable) add(caller *session, req wamp.ID, callee *session, inv wamp.ID) *pendingCall {
	var pc *pendingCall
	if n := len(t.free); n > 0 {
		pc, t.free = t.free[n-1], t.free[:n-1]
	} else {
		pc = new(pendingCall)
	}
	t.seq++
	*pc = pendingCall{seq: t.seq, caller: caller, callerReq: req, callee: callee, inv: inv}
	t.byInv[callKey{callee.id, inv}] = pc
	t.byReq[callKey{caller.id, req}] = pc
	caller.pending++
	caller.calling++
	callee.pending++
	return pc
}

// finish forgets a call and recycles its record. Its deadline entry, if
// any, goes stale (the heap skips it lazily).
func (t *callTable) finish(pc *pendingCall) {
	delete(t.byInv, callKey{pc.callee.id, pc.inv})
	delete(t.byReq, callKey{pc.caller.id, pc.callerReq})
	pc.caller.pending--
	pc.caller.calling--
	pc.callee.pending--
	if pc.timeout {
		t.withDeadline--
	}
	*pc = pendingCall{}
	t.free = append(t.free, pc)
}
