package engine

import (
	"time"

	"github.com/switchboard-wamp/switchboard/core/router"
	"github.com/switchboard-wamp/switchboard/core/wamp"
)

// Claimer claims procedures cluster-wide for this node (the cluster
// package implements it): the engine's side of router.Effects.Claim.
type Claimer interface {
	// Claim claims op's procedure in realm for this node, or gives the
	// claim up when op.Release is set (done is then nil). It is called on
	// the realm's executor and must not block; done may be called from any
	// goroutine, once, with refusal "" when the claim is this node's, or
	// the ERROR URI and message the REGISTER is refused with.
	Claim(realm wamp.URI, op router.ClaimOp, done func(refusal wamp.URI, msg string))
}

// SetClaimer makes c carry out the realm's claims from now on; nil
// answers every claim at once as won (a node alone). Executor-only.
func (r *Realm) SetClaimer(c Claimer) { r.claimer = c }

// claim carries out one ClaimOp (duty 10): the claimer's answer re-enters
// the router on the executor. Without a claimer the claim is won at once.
// Executor-only.
func (r *Realm) claim(op router.ClaimOp) {
	if r.claimer == nil {
		if !op.Release {
			r.r.Claimed(r.as.Now(), op, "", "", &r.fx)
		}
		return
	}
	if op.Release {
		r.claimer.Claim(r.uri, op, nil)
		return
	}
	r.claimer.Claim(r.uri, op, func(refusal wamp.URI, msg string) {
		r.ex.Post(func() {
			r.Do(func(now time.Time, rr *router.Realm, fx *router.Effects) {
				rr.Claimed(now, op, refusal, msg, fx)
			})
		})
	})
}
