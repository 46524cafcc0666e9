package router

import (
	"slices"
	"time"

	"github.com/switchboard-wamp/switchboard/core/wamp"
)

// Clustering (the cluster package drives it; the router stays pure): every
// other live node of the cluster is one *node session* in each realm it
// shares, a session joined with SessionInfo.Node set. A node session is
// Internal (it may register and publish anything, it is never authorized,
// limited or shown by the session meta API) and the router treats it as
// the other node's stand-in:
//
//   - Broker: a publication that matches any subscription of a node
//     session produces exactly one outbound to it, a *RemotePublication
//     (the whole publication), whatever the number of its matching
//     subscriptions, and the publisher's exclude/eligible/exclude_me
//     filters are not applied to it: the other node applies them when it
//     feeds the publication back in with PublishRemote, which delivers to
//     local, non-node subscribers only (so an event never loops).
//   - Dealer: a local session's REGISTER that conflicts with a
//     registration only node sessions hold takes it over (the node
//     sessions get UNREGISTERED {registration, reason}): on each node its
//     own registration wins. A CALL from a node session carries the
//     original caller in options.forward_for[0] ({session, authid, authrole}); that identity
//     is the one INVOCATION.Details disclose. Such a CALL is never routed to
//     another node session: only local callees are picked (shared
//     registrations), and a procedure only node sessions serve is
//     wamp.error.no_such_procedure.
//   - Registration and subscription meta events are not emitted for node
//     sessions: the node whose client made the registration announces it.
//   - Claims (cluster_claims.go) and remote session records
//     (cluster_sessions.go) make procedure_already_exists and the session
//     meta API cluster-wide.

// RemotePublication is one publication crossing to another node: what a
// node session receives in Outbound.Msg (its Type is wamp.EVENT, but it is
// never a wire message: the driver's outlet for a node session encodes it
// for the cluster), and what PublishRemote takes on the other side.
// Immutable once emitted; Args, Kwargs and Options are the publisher's
// own values, shared with the local EVENTs.
type RemotePublication struct {
	// ID is the publication ID, the same on every node.
	ID    wamp.ID
	Topic wamp.URI
	// Args and Kwargs are the payload.
	Args   wamp.List
	Kwargs wamp.Dict
	// Options are the PUBLISH options: exclude_me, the black- and
	// white-lists, retain, payload passthru keys.
	Options wamp.Dict
	// Publisher, PublisherAuthID and PublisherAuthRole are the publisher's
	// identity; Publisher is 0 for the router's own publications (meta
	// events, which have no publisher).
	Publisher         SessionID
	PublisherAuthID   string
	PublisherAuthRole string
	// Disclose: the publisher asked for disclose_me (and was allowed).
	Disclose bool
}

// Type reports wamp.EVENT: a RemotePublication is delivered like an event.
func (*RemotePublication) Type() wamp.Type { return wamp.EVENT }

// isNode reports whether s stands for another node of the cluster.
func (s *session) isNode() bool { return s.node }

// sendToNodes emits p once to each node session fanout met (p.nodes),
// then forgets them.
func (p *publication) sendToNodes(fx *Effects) {
	nodes := *p.nodes
	rp := &RemotePublication{ID: p.id, Topic: p.topic, Args: p.args, Kwargs: p.kwargs, Options: p.opts, Disclose: p.disclose}
	if p.from != nil {
		rp.Publisher, rp.PublisherAuthID, rp.PublisherAuthRole = p.from.id, p.from.info.AuthID, p.from.info.AuthRole
	}
	for _, n := range nodes {
		fx.send(n.id, rp)
	}
	clear(nodes)
	*p.nodes = nodes[:0]
}

// metNode remembers node session n as a receiver of p (once).
func (p *publication) metNode(n *session) {
	if p.nodes != nil && !slices.Contains(*p.nodes, n) {
		*p.nodes = append(*p.nodes, n)
	}
}

// PublishRemote delivers a publication made on another node, received
// through that node's node session nodeSID, to this realm's local
// subscribers: every filter of the publication (exclude_me, the black-
// and white-lists by session, authid and authrole) is evaluated against
// the original publisher, the EVENTs carry the original publication ID,
// and retention and event history keep it as they keep a local
// publication. Node sessions receive nothing (the publishing node sent it
// to each node itself). A sid that is not a node session, a topic that is
// not a valid URI, options of the wrong types or a list option longer than
// MaxOptionListLen: the publication is dropped. Executor-only.
func (r *Realm) PublishRemote(now time.Time, nodeSID SessionID, rp *RemotePublication, fx *Effects) {
	n := r.sessions[nodeSID]
	if n == nil || !n.isNode() || n.state != stEstablished || rp == nil || !validURI(rp.Topic, false, false) {
		return
	}
	// The options crossed the network: checked as a PUBLISH's are, so
	// that the filters can trust their types and lengths.
	if opts := (&wamp.Publish{Options: rp.Options}); wamp.ValidateOptions(opts) != nil {
		return
	} else if key, _ := wamp.ListOptionOver(opts, r.cfg.MaxOptionListLen); key != "" {
		return
	}
	b := &r.broker
	b.matches = b.index.appendAll(b.matches[:0], rp.Topic)
	defer clear(b.matches)
	var from *session
	if rp.Publisher != 0 {
		from = &b.remotePublisher
		*from = session{id: rp.Publisher, info: SessionInfo{AuthID: rp.PublisherAuthID, AuthRole: rp.PublisherAuthRole}}
	}
	f := &b.filter
	f.set(from, rp.Options, b.matches)
	defer f.reset()
	ppt := wamp.IsPPT(rp.Options)
	p := publication{from: from, id: rp.ID, topic: rp.Topic, disclose: rp.Disclose && from != nil, args: rp.Args,
		kwargs: rp.Kwargs, opts: rp.Options}
	if ppt {
		p.ppt = rp.Options
	}
	fanout(&p, b.matches, f, fx)
	if b.histories > 0 && !ppt {
		r.record(now, &p, rp.Options, b.matches)
	}
	if r.cfg.RetainedTopics > 0 && !ppt && from != nil {
		if retain, _ := wamp.OptBool(rp.Options, wamp.OptRetain); retain {
			r.retain(&p, rp.Options)
		}
	}
}

// forwardedCaller reads the original caller of a CALL from a node session:
// options.forward_for[0] = {session, authid, authrole}. ok is false when
// it is absent or malformed.
func forwardedCaller(opts wamp.Dict) (*callerBoxes, bool) {
	l, _ := opts[wamp.OptForwardFor].(wamp.List)
	if len(l) == 0 {
		return nil, false
	}
	d, _ := l[0].(wamp.Dict)
	id, okID := wamp.ToID(d["session"])
	authID, okA := d["authid"].(string)
	authRole, okR := d["authrole"].(string)
	if !okID || !okA || !okR {
		return nil, false
	}
	return &callerBoxes{id: int64(id), authID: authID, authRole: authRole}, true
}

// hasLocalCallee reports whether reg has a callee that is not a node
// session.
func (reg *registration) hasLocalCallee() bool {
	return slices.ContainsFunc(reg.callees, func(c *session) bool { return !c.isNode() })
}

// pickLocalCallee chooses, per reg's invoke policy, among the callees of
// reg that are not node sessions (a CALL that came from another node);
// nil when there is none.
func (r *Realm) pickLocalCallee(reg *registration) *session {
	n := len(reg.callees)
	switch reg.invoke {
	case invokeLast:
		for i := n - 1; i >= 0; i-- {
			if !reg.callees[i].isNode() {
				return reg.callees[i]
			}
		}
	case invokeRoundRobin:
		for range n {
			c := reg.callees[reg.next%n]
			reg.next = (reg.next + 1) % n
			if !c.isNode() {
				return c
			}
		}
	case invokeRandom:
		local := 0
		for _, c := range reg.callees {
			if !c.isNode() {
				local++
			}
		}
		if local == 0 {
			return nil
		}
		k := r.rng.intn(local)
		for _, c := range reg.callees {
			if !c.isNode() {
				if k == 0 {
					return c
				}
				k--
			}
		}
	default: // single, first
		for _, c := range reg.callees {
			if !c.isNode() {
				return c
			}
		}
	}
	return nil
}

// revokeNodes takes reg away from its node session callees, because a
// local session registers the procedure in a way that conflicts with it:
// on each node, the node's own registration wins over another node's.
// Each node session is told with UNREGISTERED {registration, reason}
// (the spec's registration revocation, Request 0), and the registration
// meta events say it left. Calls already invoked complete normally.
func (r *Realm) revokeNodes(reg *registration, fx *Effects) {
	for _, c := range slices.Clone(reg.callees) {
		deleted := r.dealer.leave(reg, c)
		fx.notify(regNotice(NoticeUnregistered, c, reg))
		fx.send(c.id, &wamp.Unregistered{Details: wamp.Dict{"registration": int64(reg.id),
			"reason": string(wamp.ErrProcedureAlreadyExists)}})
		r.unregistered(c, reg.id, deleted, fx)
	}
}
