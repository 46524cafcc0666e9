package router

import (
	"slices"
	"time"

	"github.com/switchboard-wamp/switchboard/core/wamp"
)

// dealerFeatures are announced in WELCOME.Details.roles.dealer.features:
// exactly the advanced features implemented and tested here.
var dealerFeatures = wamp.Dict{
	"progressive_call_results":   true,
	"call_timeout":               true,
	"call_canceling":             true,
	"caller_identification":      true,
	"pattern_based_registration": true,
	"shared_registration":        true,
	"session_meta_api":           true,
	"registration_meta_api":      true,
	"testament_meta_api":         true,
	"payload_passthru_mode":      true,
}

// invokePolicy is a registration's options.invoke (shared registration).
type invokePolicy uint8

const (
	invokeSingle invokePolicy = iota // one callee only (the default)
	invokeRoundRobin
	invokeRandom
	invokeFirst
	invokeLast
)

var invokeNames = map[string]invokePolicy{
	wamp.InvokeSingle:     invokeSingle,
	wamp.InvokeRoundRobin: invokeRoundRobin,
	wamp.InvokeRandom:     invokeRandom,
	wamp.InvokeFirst:      invokeFirst,
	wamp.InvokeLast:       invokeLast,
}

// registration is one (procedure, match policy) pair with its callees. All
// callees of a shared registration share its ID.
type registration struct {
	id        wamp.ID
	procedure wamp.URI
	match     matchPolicy
	invoke    invokePolicy
	// created is when the first callee made it (registration meta API).
	created time.Time
	// callees in registration order ("first" is callees[0], "last" the end).
	callees []*session
	// next is the roundrobin cursor into callees.
	next int
}

// dealer is the realm's remote procedure call router.
type dealer struct {
	byID  map[wamp.ID]*registration
	index uriIndex[*registration]
	calls callTable
	fb    fallback
}

func newDealer() dealer {
	return dealer{byID: map[wamp.ID]*registration{}, index: newURIIndex[*registration](), calls: newCallTable()}
}

// register handles REGISTER. A (procedure, match) pair already registered
// with invoke "single", or with another invoke policy than the one asked
// for, or already registered by this very session, is
// procedure_already_exists; otherwise a shared registration gains a callee.
// Clients may not register under the reserved "wamp." prefix
// (invalid_uri); Internal sessions may. The registration meta events
// follow the REGISTERED: on_create when the registration is new, then
// on_register.
func (r *Realm) register(now time.Time, s *session, m *wamp.Register, fx *Effects) {
	policy, okMatch := parseMatch(m.Options)
	invoke, okInvoke := parseInvoke(m.Options)
	fail := func(uri wamp.URI, msg string) {
		fx.send(s.id, errorMsg(wamp.REGISTER, m.Request, uri, msg))
	}
	tooLong := r.listOverLimit(s, m)
	switch {
	case tooLong != "":
		fail(wamp.ErrInvalidArgument, tooLong)
		return
	case !okMatch || !okInvoke:
		fail(wamp.ErrInvalidArgument, "unknown match or invoke policy")
		return
	case !validURI(m.Procedure, r.cfg.StrictURI, policy == matchWildcard):
		fail(wamp.ErrInvalidURI, "invalid procedure URI "+quote(string(m.Procedure)))
		return
	case reserved(m.Procedure) && !s.info.Internal:
		fail(wamp.ErrInvalidURI, "procedure URI "+quote(string(m.Procedure))+" is reserved")
		return
	}
	if uri, msg, held := r.authorize(now, s, ActionRegister, m.Procedure, policy, false, m, fx); held || uri != "" {
		if !held {
			fail(uri, msg)
		}
		return
	}
	r.registerAuthorized(now, s, m, policy, invoke, false, fx)
}

// registerAuthorized goes on with a REGISTER that passed validation and
// authorization. With RealmConfig.ClusterClaims on, a REGISTER that would
// give the procedure its first claimant callee on this node is held until
// the cluster claims it (cluster_claims.go); claimed is true when it comes
// back with the claim won.
func (r *Realm) registerAuthorized(now time.Time, s *session, m *wamp.Register, policy matchPolicy, invoke invokePolicy,
	claimed bool, fx *Effects) {
	d := &r.dealer
	reg, exists := d.index.get(m.Procedure, policy)
	if exists && !s.node && (reg.invoke == invokeSingle || reg.invoke != invoke) && !reg.hasLocalCallee() {
		// Only other nodes serve it here: this node's own registration
		// wins (cluster.go), once claimed when it must be.
		if !claimed && r.needsClaim(s, reg, exists) {
			r.holdForClaim(s, m, policy, invoke, fx)
			return
		}
		r.revokeNodes(reg, fx)
		reg, exists = d.index.get(m.Procedure, policy)
	}
	if exists && (reg.invoke == invokeSingle || reg.invoke != invoke || slices.Contains(reg.callees, s)) {
		fx.send(s.id, errorMsg(wamp.REGISTER, m.Request, wamp.ErrProcedureAlreadyExists,
			"procedure "+quote(string(m.Procedure))+" is already registered"))
		if claimed {
			r.releaseUnusedClaim(m.Procedure, policy, invoke, fx)
		}
		return
	}
	if !claimed && r.needsClaim(s, reg, exists) {
		r.holdForClaim(s, m, policy, invoke, fx)
		return
	}
	if !exists {
		reg = &registration{id: r.newID(), procedure: m.Procedure, match: policy, invoke: invoke, created: now}
		d.index.add(m.Procedure, policy, reg)
		d.byID[reg.id] = reg
	}
	reg.callees = append(reg.callees, s)
	if s.regs == nil {
		s.regs = map[wamp.ID]*registration{}
	}
	s.regs[reg.id] = reg
	fx.notify(regNotice(NoticeRegistered, s, reg))
	fx.send(s.id, &wamp.Registered{Request: m.Request, Registration: reg.id})
	if !exists {
		r.registrationCreated(s, reg, fx)
	}
	if !s.isNode() {
		r.emitIDs(topicRegistrationRegister, s.id, reg.id, fx)
	}
}

// regNotice reports that s joined or left reg.
func regNotice(kind NoticeKind, s *session, reg *registration) Notice {
	return Notice{Kind: kind, Session: s.id, Registration: reg.id, Topic: reg.procedure, Match: reg.match.String(),
		Invoke: invokeName(reg.invoke)}
}

// parseInvoke reads options.invoke (already type-checked by
// wamp.ValidateOptions); ok is false for an unknown policy.
func parseInvoke(opts wamp.Dict) (invokePolicy, bool) {
	s, present := wamp.OptString(opts, wamp.OptInvoke)
	if !present {
		return invokeSingle, true
	}
	p, ok := invokeNames[s]
	return p, ok
}

// unregister handles UNREGISTER: only a callee of the registration may
// unregister from it; anything else is no_such_registration. Calls already
// invoked on that callee stay pending and complete normally.
func (r *Realm) unregister(s *session, m *wamp.Unregister, fx *Effects) {
	reg, ok := s.regs[m.Registration]
	if !ok {
		fx.send(s.id, errorMsg(wamp.UNREGISTER, m.Request, wamp.ErrNoSuchRegistration, "no such registration"))
		return
	}
	deleted := r.dealer.leave(reg, s)
	fx.notify(regNotice(NoticeUnregistered, s, reg))
	r.claimLeft(s, reg, fx)
	fx.send(s.id, &wamp.Unregistered{Request: m.Request})
	r.unregistered(s, reg.id, deleted, fx)
}

// unregistered announces that callee s left registration id
// (wamp.registration.on_unregister [session, registration]), and its
// deletion when s was its last callee (on_delete, same payload).
func (r *Realm) unregistered(s *session, id wamp.ID, deleted bool, fx *Effects) {
	if s.isNode() {
		return
	}
	r.emitIDs(topicRegistrationUnreg, s.id, id, fx)
	if deleted {
		r.emitIDs(topicRegistrationDelete, s.id, id, fx)
	}
}

// leave removes callee s from reg, deleting reg when it was the last one,
// which it reports.
func (d *dealer) leave(reg *registration, s *session) bool {
	delete(s.regs, reg.id)
	if i := slices.Index(reg.callees, s); i >= 0 {
		reg.callees = slices.Delete(reg.callees, i, i+1)
		if i < reg.next {
			reg.next--
		}
	}
	if reg.next >= len(reg.callees) {
		reg.next = 0
	}
	if len(reg.callees) == 0 {
		d.index.remove(reg.procedure, reg.match)
		delete(d.byID, reg.id)
		return true
	}
	return false
}

// dropRegistrations removes s from all its registrations, in
// registration ID order, then announces it (meta events), and drops the
// fallback if s is its callee.
func (r *Realm) dropRegistrations(s *session, fx *Effects) {
	d := &r.dealer
	d.dropFallback(s)
	if len(s.regs) == 0 {
		return
	}
	ids := make([]wamp.ID, 0, len(s.regs))
	for id := range s.regs {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	deleted := make([]bool, len(ids))
	for i, id := range ids {
		reg := s.regs[id]
		deleted[i] = d.leave(reg, s)
		fx.notify(regNotice(NoticeUnregistered, s, reg))
		r.claimLeft(s, reg, fx)
	}
	for i, id := range ids {
		r.unregistered(s, id, deleted[i], fx)
	}
}

// pickCallee chooses the callee of reg for one call per its invoke policy.
func (r *Realm) pickCallee(reg *registration) *session {
	n := len(reg.callees)
	switch reg.invoke {
	case invokeLast:
		return reg.callees[n-1]
	case invokeRoundRobin:
		c := reg.callees[reg.next%n]
		reg.next = (reg.next + 1) % n
		return c
	case invokeRandom:
		return reg.callees[r.rng.intn(n)]
	}
	return reg.callees[0] // single, first
}
