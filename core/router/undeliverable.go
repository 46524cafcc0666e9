package router

import (
	"time"
	"unicode/utf8"

	"github.com/switchboard-wamp/switchboard/core/wamp"
)

// Undeliverable tells the realm that m, emitted earlier for session to,
// could not be delivered: the receiver's transport refused it (larger than
// the receiver's maximum message size, or holding a value the receiver's
// serializer cannot carry). The receiver is never punished for what a
// sender sent: it stays in the realm, and whoever caused the message is
// answered instead, with uri (wamp.error.payload_size_exceeded, or
// wamp.error.invalid_argument for a value the receiver cannot be sent) and
// msg as ERROR.Args[0]:
//
//   - INVOCATION: the call fails at its caller with ERROR; the callee never
//     saw it, so nothing goes to the callee.
//   - RESULT: the caller gets ERROR for its CALL instead. If the call is
//     still pending (a progressive result), it ends there, and the callee
//     is sent INTERRUPT (killnowait) when it announced call_canceling.
//   - ERROR for a CALL: the caller gets an ERROR with the same request, uri
//     and no payload (the callee's error could not be carried).
//   - EVENT: the subscriber misses this event; an acknowledged publisher was
//     already told by the driver (which checks acknowledged publications
//     before PUBLISHED goes out). Nothing is emitted.
//
// Anything else (messages the router builds itself) is dropped: it cannot
// be too large for a limit the transports enforce on their minimum of 512
// bytes unless the application made it so. Executor-only.
func (r *Realm) Undeliverable(_ time.Time, to SessionID, m wamp.Message, uri wamp.URI, msg string, fx *Effects) {
	t := &r.dealer.calls
	switch m := m.(type) {
	case *wamp.Invocation:
		pc := t.byInv[callKey{to, m.Request}]
		if pc == nil {
			return // the call ended meanwhile (canceled, timed out, caller gone)
		}
		fx.send(pc.caller.id, errorMsg(wamp.CALL, pc.callerReq, uri, "the call could not be delivered to the callee: "+msg))
		t.finish(pc)
	case *wamp.Result:
		if _, ok := r.sessions[to]; !ok {
			return
		}
		fx.send(to, errorMsg(wamp.CALL, m.Request, uri, "the result could not be delivered: "+msg))
		pc := t.byReq[callKey{to, m.Request}]
		if pc == nil {
			return
		}
		if pc.callee.feats&featCalleeCanceling != 0 && !pc.killed {
			fx.send(pc.callee.id, &wamp.Interrupt{Request: pc.inv,
				Options: wamp.Dict{wamp.OptMode: wamp.CancelKillNoWait, wamp.OptReason: string(uri)}})
		}
		t.finish(pc)
	case *wamp.Error:
		if m.RequestType != wamp.CALL || len(m.Args) == 0 && len(m.Kwargs) == 0 && len(m.Details) == 0 {
			return // nothing smaller to send instead
		}
		if _, ok := r.sessions[to]; !ok {
			return
		}
		fx.send(to, &wamp.Error{RequestType: wamp.CALL, Request: m.Request, Details: emptyDetails, Error: uri,
			Args: wamp.List{"the callee's error " + quote(truncate(string(m.Error), 128)) + " could not be delivered: " + msg}})
	}
}

// truncate shortens s to at most n bytes (on a rune boundary), marking the
// cut, so a message built from peer input stays small.
func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n] + "…"
}
