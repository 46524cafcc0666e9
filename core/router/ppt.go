package router

import "github.com/switchboard-wamp/switchboard/core/wamp"

// Payload passthru mode (advanced profile). A CALL, PUBLISH, YIELD or ERROR
// whose options carry ppt_* keys (wamp.IsPPT; their types and ppt_scheme
// were checked by wamp.ValidateOptions) has an opaque payload: the router
// forwards Args and Kwargs as they are, with the ppt_* keys copied into the
// INVOCATION, EVENT, RESULT or ERROR details, and only between peers that
// announced payload_passthru_mode (or autobahn's payload_transparency) for
// the role they play. As the specification says:
//
//   - a sender that did not announce the feature for its role is aborted
//     with wamp.error.protocol_violation;
//   - a CALL whose callee did not announce it is answered with ERROR
//     wamp.error.feature_not_supported (so is a CALL of the router's own
//     wamp.* procedures, which would have to read the payload);
//   - a YIELD or ERROR in passthru mode for a caller that did not announce
//     it ends the call with ERROR wamp.error.feature_not_supported to the
//     caller. The specification asks the dealer to answer the callee with
//     that error, but no ERROR message answers a YIELD (ERROR.Request.Type
//     is never YIELD in either profile, and clients treat one as a protocol
//     violation), so the callee gets nothing and its answer is discarded;
//   - a publication is delivered only to subscribers that announced the
//     feature; the others are skipped, which the publisher cannot see (its
//     PUBLISHED, when acknowledged, says the publication was accepted), as
//     the specification leaves this case to the subscriber side. Such a
//     publication is neither retained nor kept in an event history, whose
//     readers may not have the feature.

// pptUnannounced is the ABORT message for a sender of a passthru payload
// that did not announce the feature for role.
func pptUnannounced(msg, role string) string {
	return msg + " in payload passthru mode from a " + role + " that did not announce payload_passthru_mode"
}

// pptRefusedByCaller ends pc with ERROR wamp.error.feature_not_supported to
// its caller when the caller did not announce payload passthru mode, and
// reports whether it did so.
func (r *Realm) pptRefusedByCaller(pc *pendingCall, fx *Effects) bool {
	if pc.caller.feats&featCallerPPT != 0 {
		return false
	}
	fx.send(pc.caller.id, errorMsg(wamp.CALL, pc.callerReq, wamp.ErrFeatureNotSupported,
		"the callee answered in payload passthru mode, which the caller did not announce"))
	r.dealer.calls.finish(pc)
	return true
}

// withPPT returns base (shared, never modified) plus the ppt_* keys of opts.
func withPPT(base, opts wamp.Dict) wamp.Dict {
	d := make(wamp.Dict, len(base)+4)
	for k, v := range base {
		d[k] = v
	}
	wamp.CopyPPT(d, opts)
	return d
}
