package router

import (
	"slices"
	"time"

	"github.com/switchboard-wamp/switchboard/core/wamp"
)

// Registration claims make procedure_already_exists hold across a
// cluster. With RealmConfig.ClusterClaims on, a REGISTER of a claimant
// session (one that is not Internal: not the application's session, not a
// node session) that would give its (procedure, match) registration its
// first claimant callee on this node is held, like a request waiting for
// the dynamic authorizer (authz_dynamic.go), until the driver has claimed
// the procedure for this node cluster-wide:
//
//	REGISTER ──> held; ClaimOp{Ticket} in Effects.Claim
//	Claimed(op, "")      ──> the REGISTER goes on (REGISTERED, or the
//	                         local rules refuse it), then the session's
//	                         next held request
//	Claimed(op, uri,msg) ──> ERROR uri (procedure_already_exists when
//	                         another node holds it)
//
// The session's later CALL, REGISTER, PUBLISH and SUBSCRIBE wait behind it
// (at most RealmConfig.MaxHeldRequests). When the last claimant callee of
// a registration leaves it (UNREGISTER, or the session goes), and when a
// won claim turns out unused (the REGISTER was refused locally after all,
// or its session left while it was held), a ClaimOp with Release set tells
// the driver to give the claim up; releases are not answered.

// ClaimOp asks the driver to claim (or, with Release, give up) a
// procedure cluster-wide for this node, and to answer a claim with
// Claimed(op, ...).
type ClaimOp struct {
	Session SessionID
	Ticket  uint64
	// Procedure, Match ("exact", "prefix", "wildcard") and Invoke
	// ("single", "roundrobin", ...) describe the registration; two nodes
	// may hold the same claim only when both are shared with the same
	// invoke policy.
	Procedure wamp.URI
	Match     string
	Invoke    string
	Release   bool
}

// claimant reports whether s's registrations are claimed cluster-wide.
func (s *session) claimant() bool { return !s.info.Internal }

// needsClaim reports whether s joining reg (exists: reg is not nil) must be
// claimed first.
func (r *Realm) needsClaim(s *session, reg *registration, exists bool) bool {
	return r.cfg.ClusterClaims && s.claimant() && (!exists || !reg.hasClaimant())
}

// hasClaimant reports whether reg has a claimant callee.
func (reg *registration) hasClaimant() bool {
	return slices.ContainsFunc(reg.callees, (*session).claimant)
}

// holdForClaim holds m at the head of s's requests and asks the driver
// for the claim.
func (r *Realm) holdForClaim(s *session, m *wamp.Register, policy matchPolicy, invoke invokePolicy, fx *Effects) {
	r.authzTicket++
	s.held = slices.Insert(s.held, 0, heldReq{msg: m, ticket: r.authzTicket, claim: true})
	fx.Claim = append(fx.Claim, ClaimOp{Session: s.id, Ticket: r.authzTicket, Procedure: m.Procedure,
		Match: policy.String(), Invoke: invokeName(invoke)})
}

// Claimed answers the ClaimOp op: refusal "" means the claim is this
// node's; otherwise the REGISTER is refused with ERROR refusal (message
// msg). The held REGISTER goes on, then the session's later held
// requests. A won claim whose REGISTER is no longer held (its session
// left) is released at once. Executor-only.
func (r *Realm) Claimed(now time.Time, op ClaimOp, refusal wamp.URI, msg string, fx *Effects) {
	policy, okP := parseMatch(wamp.Dict{wamp.OptMatch: op.Match})
	invoke, okI := invokeNames[op.Invoke]
	if op.Release || !okP || !okI {
		return
	}
	s := r.sessions[op.Session]
	if s == nil || s.state != stEstablished || len(s.held) == 0 || s.held[0].ticket != op.Ticket || !s.held[0].claim {
		if refusal == "" {
			r.releaseUnusedClaim(op.Procedure, policy, invoke, fx)
		}
		return
	}
	m := s.held[0].msg.(*wamp.Register)
	s.held = slices.Delete(s.held, 0, 1)
	if refusal != "" {
		fx.send(s.id, errorMsg(wamp.REGISTER, m.Request, refusal, msg))
	} else {
		r.registerAuthorized(now, s, m, policy, invoke, true, fx)
	}
	r.drainHeld(now, s, fx)
}

// releaseUnusedClaim gives up this node's claim on (proc, policy) unless
// a claimant callee holds it.
func (r *Realm) releaseUnusedClaim(proc wamp.URI, policy matchPolicy, invoke invokePolicy, fx *Effects) {
	if reg, ok := r.dealer.index.get(proc, policy); ok && reg.hasClaimant() {
		return
	}
	fx.Claim = append(fx.Claim, ClaimOp{Procedure: proc, Match: policy.String(), Invoke: invokeName(invoke), Release: true})
}

// claimLeft releases reg's claim when s, which just left it, was its last
// claimant callee.
func (r *Realm) claimLeft(s *session, reg *registration, fx *Effects) {
	if r.cfg.ClusterClaims && s.claimant() && !reg.hasClaimant() {
		fx.Claim = append(fx.Claim, ClaimOp{Session: s.id, Procedure: reg.procedure, Match: reg.match.String(),
			Invoke: invokeName(reg.invoke), Release: true})
	}
}

// invokeName is the options.invoke name of p.
func invokeName(p invokePolicy) string {
	for name, v := range invokeNames {
		if v == p {
			return name
		}
	}
	return wamp.InvokeSingle
}

// SetClusterClaims turns claims on or off for REGISTERs from now on
// (RealmConfig.ClusterClaims); REGISTERs already held still get their
// answers. Executor-only.
func (r *Realm) SetClusterClaims(on bool) { r.cfg.ClusterClaims = on }
