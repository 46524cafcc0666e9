package cluster

import (
	"context"
	"strings"

	"github.com/switchboard-wamp/switchboard/core/router"
	"github.com/switchboard-wamp/switchboard/core/wamp"
)

// RPC across nodes. Each node announces its realms' registrations — one
// entry per (procedure, match) that has a callee other than a node
// session, with its invoke policy — and every other node's node session
// for it registers the same there, so that match precedence and shared
// registrations (one callee per node) work unchanged in each dealer.
//
// A call on node A that A's dealer routes to B's node session is an
// INVOCATION to it; A sends B a CALL instead (same request ID, the
// INVOCATION's, which is unique among the node session's pending calls),
// with forward_for [{session, authid, authrole}] naming the caller,
// receive_progress and disclose_me as the caller asked. On B, A's node
// session makes that CALL; the router discloses the forward_for caller
// and routes it to B's own callees only. What B's router answers A's node
// session (RESULT, progressive or not; ERROR) goes back to A, where it is
// fed in as the YIELD or ERROR of B's node session for that INVOCATION. An
// INTERRUPT A's router sends B's node session (the caller canceled, in any
// mode; the call timed out; the caller left) becomes a CANCEL of the same
// mode on B. The timeout runs on A only. When B dies its node session
// leaves A's realm and A's router ends the calls in flight to it with
// ERROR wamp.error.canceled; when A dies, B forgets its calls (the
// callees get INTERRUPT killnowait).
//
// A node session's REGISTER can be refused, or its registration revoked
// later (this node has, or gets, its own registration of the procedure,
// and one of them is not shared: on each node its own wins): it is tried
// again whenever a registration goes here. Procedures under the
// reserved "wamp." prefix are never announced. Calls in payload passthru
// mode are not routed to other nodes (node sessions do not announce the
// feature: the caller gets feature_not_supported).

// rpcRealm is what a realm announces of its registrations. Executor-owned.
type rpcRealm struct {
	regs   map[wamp.ID]*localReg // local registrations with callees other than node sessions
	claims claimer               // claim.go
}

// localReg counts the callees (other than node sessions) of one local
// registration.
type localReg struct {
	key     string
	callees int
}

// rpcSession is what a node session registered for its node.
// Executor-owned.
type rpcSession struct {
	regs    map[string]*nodeReg // by entry key
	regReqs map[wamp.ID]string  // REGISTER request -> entry key, until answered
	procs   map[wamp.ID]wamp.URI
}

// nodeReg is one registration a node session made (or tried to make) for
// its node's announcement.
type nodeReg struct {
	value  []any   // [procedure, match, invoke]
	id     wamp.ID // 0 until REGISTERED
	drop   bool    // the announcement went before REGISTERED: unregister then
	failed bool    // refused here; tried again when a registration goes
}

func init() {
	kinds[KindRegistration] = kindHandler{added: registrationAdded, removed: registrationRemoved,
		detached: registrationsDetached}
	onSend[wamp.REGISTERED] = (*nodeSession).registered
	onSend[wamp.UNREGISTERED] = (*nodeSession).unregistered
	onSendError[wamp.REGISTER] = (*nodeSession).registerFailed
	onSendError[wamp.UNREGISTER] = func(*nodeSession, wamp.Message) bool { return true }
	onSend[wamp.INVOCATION] = (*nodeSession).invocation
	// INTERRUPT, RESULT and ERROR for a CALL go to the node as they are.
	onReceive[wamp.CALL] = receiveCall
	onReceive[wamp.INTERRUPT] = receiveInterrupt
	onReceive[wamp.RESULT] = receiveResult
	onReceive[wamp.ERROR] = receiveError
}

// registrationKey is the entry key of a (procedure, match) registration.
func registrationKey(procedure wamp.URI, match string) string { return match + " " + string(procedure) }

// registrationNotice announces the local registrations that appear and go
// (a callee other than a node session joins or leaves). Executor-only.
func (r *Realm) registrationNotice(no *router.Notice) {
	if strings.HasPrefix(string(no.Topic), "wamp.") {
		return
	}
	rr := &r.rpc
	if rr.regs == nil {
		rr.regs = make(map[wamp.ID]*localReg)
	}
	key := registrationKey(no.Topic, no.Match)
	switch no.Kind {
	case router.NoticeRegistered:
		lr := rr.regs[no.Registration]
		if lr == nil {
			lr = &localReg{key: key}
			rr.regs[no.Registration] = lr
		}
		if lr.callees++; lr.callees == 1 {
			r.n.Announce(r.uri, KindRegistration, key, []any{string(no.Topic), no.Match, no.Invoke})
		}
	case router.NoticeUnregistered:
		lr := rr.regs[no.Registration]
		if lr == nil {
			return
		}
		if lr.callees--; lr.callees == 0 {
			delete(rr.regs, no.Registration)
			r.n.Withdraw(r.uri, KindRegistration, key)
			r.retryRegistrations()
		}
	}
}

// registrationValue reads an announced registration: [procedure, match,
// invoke].
func registrationValue(value []any) (proc wamp.URI, match, invoke string, ok bool) {
	if len(value) != 3 {
		return "", "", "", false
	}
	p, ok1 := value[0].(string)
	m, ok2 := value[1].(string)
	i, ok3 := value[2].(string)
	return wamp.URI(p), m, i, ok1 && ok2 && ok3 && p != ""
}

// registrationAdded registers ns for another node's registration; a
// changed invoke policy re-registers. Executor-only.
func registrationAdded(r *Realm, ns *nodeSession, key string, value, old []any) {
	if _, _, _, ok := registrationValue(value); !ok {
		return
	}
	rs := ns.rpcState()
	if reg := rs.regs[key]; reg != nil {
		if old != nil {
			registrationRemoved(r, ns, key, old)
		} else {
			reg.drop = false
			return
		}
	}
	rs.regs[key] = &nodeReg{value: value}
	ns.register(key)
}

// register sends the REGISTER of ns's entry key. Executor-only.
func (ns *nodeSession) register(key string) {
	rs := &ns.rpc
	reg := rs.regs[key]
	proc, match, invoke, _ := registrationValue(reg.value)
	reg.failed = false
	req := ns.request()
	rs.regReqs[req] = key
	opts := wamp.Dict{}
	if match != "" && match != wamp.MatchExact {
		opts[wamp.OptMatch] = match
	}
	if invoke != "" && invoke != wamp.InvokeSingle {
		opts[wamp.OptInvoke] = invoke
	}
	ns.handle(&wamp.Register{Request: req, Options: opts, Procedure: proc})
}

// registrationRemoved unregisters ns from a registration its node
// withdrew. Executor-only.
func registrationRemoved(r *Realm, ns *nodeSession, key string, _ []any) {
	rs := ns.rpcState()
	reg := rs.regs[key]
	if reg == nil {
		return
	}
	switch {
	case reg.failed:
		delete(rs.regs, key)
	case reg.id == 0:
		reg.drop = true
	default:
		delete(rs.regs, key)
		delete(rs.procs, reg.id)
		ns.handle(&wamp.Unregister{Request: ns.request(), Registration: reg.id})
		r.retryRegistrations()
	}
}

// registrationsDetached: ns left (its node died, left or restarted); the
// router dropped its registrations, which may let another node's
// registrations in. Executor-only.
func registrationsDetached(r *Realm, ns *nodeSession) {
	ns.rpc = rpcSession{}
	r.retryRegistrations()
	if _, live := r.n.liveEpoch(ns.node); !live {
		r.rpc.claims.push(r, claimJob{sweep: ns.node}) // its claims go (claim.go)
	}
}

// retryRegistrations tries again the node sessions' registrations this
// node refused, now that one of its registrations went. Executor-only.
func (r *Realm) retryRegistrations() {
	for _, name := range sortedKeys(r.peers) {
		ns := r.peers[name]
		for _, key := range sortedKeys(ns.rpc.regs) {
			if ns.rpc.regs[key].failed && !ns.gone {
				ns.register(key)
			}
		}
	}
}

// rpcState returns ns's RPC tables, made on first use.
func (ns *nodeSession) rpcState() *rpcSession {
	rs := &ns.rpc
	if rs.regs == nil {
		rs.regs = make(map[string]*nodeReg)
		rs.regReqs = make(map[wamp.ID]string)
		rs.procs = make(map[wamp.ID]wamp.URI)
	}
	return rs
}

// registered completes a node session's REGISTER. Executor-only.
func (ns *nodeSession) registered(m wamp.Message) bool {
	rm := m.(*wamp.Registered)
	rs := ns.rpcState()
	key, ok := rs.regReqs[rm.Request]
	if !ok {
		return true
	}
	delete(rs.regReqs, rm.Request)
	reg := rs.regs[key]
	if reg == nil || reg.drop {
		delete(rs.regs, key)
		ns.handle(&wamp.Unregister{Request: ns.request(), Registration: rm.Registration})
		return true
	}
	reg.id = rm.Registration
	proc, _, _, _ := registrationValue(reg.value)
	rs.procs[reg.id] = proc
	return true
}

// unregistered: the router revoked a node session's registration (Request
// 0): a registration of this node's own took the procedure over. Kept as
// refused, and tried again when a registration goes here. Executor-only.
func (ns *nodeSession) unregistered(m wamp.Message) bool {
	u := m.(*wamp.Unregistered)
	if u.Request != 0 {
		return true // the answer to the node session's own UNREGISTER
	}
	id, _ := wamp.ToID(u.Details["registration"])
	rs := ns.rpcState()
	for _, reg := range rs.regs {
		if reg.id == id && id != 0 {
			delete(rs.procs, id)
			reg.id, reg.failed = 0, true
		}
	}
	return true
}

// registerFailed: this node refused a node session's REGISTER (it has a
// registration of its own that conflicts): kept, and tried again when a
// registration goes here. Executor-only.
func (ns *nodeSession) registerFailed(m wamp.Message) bool {
	e := m.(*wamp.Error)
	rs := ns.rpcState()
	key, ok := rs.regReqs[e.Request]
	if !ok {
		return true
	}
	delete(rs.regReqs, e.Request)
	reg := rs.regs[key]
	if reg == nil || reg.drop {
		delete(rs.regs, key)
		return true
	}
	reg.failed = true
	ns.r.n.log.Debug("cluster: a node's registration refused here", "realm", string(ns.r.uri), "peer", ns.node,
		"registration", key, "error", string(e.Error))
	return true
}

// invocation sends the node a CALL for an INVOCATION the router routed to
// its node session. Executor-only.
func (ns *nodeSession) invocation(m wamp.Message) bool {
	inv := m.(*wamp.Invocation)
	proc, _ := inv.Details[wamp.DetailProcedure].(string)
	if proc == "" {
		proc = string(ns.rpc.procs[inv.Registration])
	}
	if proc == "" {
		ns.handle(&wamp.Error{RequestType: wamp.INVOCATION, Request: inv.Request, Details: wamp.Dict{},
			Error: wamp.ErrNoSuchProcedure, Args: wamp.List{"the procedure left node " + ns.node}})
		return true
	}
	d := inv.Details
	opts := wamp.Dict{wamp.OptForwardFor: wamp.List{wamp.Dict{
		"session": d[wamp.DetailCaller], "authid": d[wamp.DetailCallerAuthID], "authrole": d[wamp.DetailCallerAuthRole],
	}}}
	if p, _ := d[wamp.OptReceiveProgress].(bool); p {
		opts[wamp.OptReceiveProgress] = true
	}
	if dm, _ := d[wamp.OptDiscloseMe].(bool); dm {
		opts[wamp.OptDiscloseMe] = true
	}
	return ns.forwardFor(inv, &wamp.Call{Request: inv.Request, Options: opts, Procedure: wamp.URI(proc), Args: inv.Args,
		Kwargs: inv.Kwargs})
}

// receiveCall: node ns asks for a call on this node, as its node session.
// A CALL the router would take for a protocol violation of the node
// session (options of the wrong types, payload passthru mode, which node
// sessions do not announce) is answered with ERROR instead: it must not
// end the node session and every call through it. Executor-only.
func receiveCall(_ *Realm, ns *nodeSession, m wamp.Message) {
	c := m.(*wamp.Call)
	if wamp.ValidateOptions(c) != nil || wamp.IsPPT(c.Options) {
		ns.forward(&wamp.Error{RequestType: wamp.CALL, Request: c.Request, Details: wamp.Dict{},
			Error: wamp.ErrInvalidArgument, Args: wamp.List{"a CALL from a cluster node with options this node does not take"}})
		return
	}
	ns.handle(c)
}

// receiveInterrupt: node ns's router interrupted the INVOCATION it sent
// for a call made here: cancel that call, in the same mode. Executor-only.
func receiveInterrupt(_ *Realm, ns *nodeSession, m wamp.Message) {
	in := m.(*wamp.Interrupt)
	mode, _ := in.Options[wamp.OptMode].(string)
	if mode != wamp.CancelSkip && mode != wamp.CancelKillNoWait {
		mode = wamp.CancelKill
	}
	ns.handle(&wamp.Cancel{Request: in.Request, Options: wamp.Dict{wamp.OptMode: mode}})
}

// receiveResult: node ns answered a call routed to its node session here:
// that session's YIELD. Executor-only.
func receiveResult(_ *Realm, ns *nodeSession, m wamp.Message) {
	res := m.(*wamp.Result)
	opts := wamp.Dict{}
	if p, _ := res.Details[wamp.OptProgress].(bool); p {
		opts[wamp.OptProgress] = true
	}
	ns.handle(&wamp.Yield{Request: res.Request, Options: opts, Args: res.Args, Kwargs: res.Kwargs})
}

// receiveError: node ns failed a call routed to its node session here:
// that session's ERROR for the INVOCATION. An error URI that is not valid
// is replaced (the router would take it for a protocol violation of the
// node session, and end every call in flight to that node). Executor-only.
func receiveError(_ *Realm, ns *nodeSession, m wamp.Message) {
	e := m.(*wamp.Error)
	if e.RequestType != wamp.CALL {
		return
	}
	uri := e.Error
	if !wamp.ValidURI(uri, false, false) {
		uri = wamp.ErrInvalidArgument
	}
	details := e.Details
	if details == nil || wamp.IsPPT(details) {
		details = wamp.Dict{} // no payload passthru across nodes (see above)
	}
	ns.handle(&wamp.Error{RequestType: wamp.INVOCATION, Request: e.Request, Details: details, Error: uri,
		Args: e.Args, Kwargs: e.Kwargs})
}

// Registrations returns, per live node, the registrations its node
// session holds in the realm ("match procedure", sorted): the calls this
// node can route there. For tests and diagnostics.
func (r *Realm) Registrations(ctx context.Context) (map[string][]string, error) {
	return r.peerKeys(ctx, func(ns *nodeSession) []string {
		keys := []string{}
		for k, reg := range ns.rpc.regs {
			if reg.id != 0 {
				keys = append(keys, k)
			}
		}
		return keys
	})
}
