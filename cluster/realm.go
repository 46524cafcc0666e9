package cluster

import (
	"fmt"
	"sync"

	"github.com/nats-io/nats.go"

	"github.com/switchboard-wamp/switchboard/core/engine"
	"github.com/switchboard-wamp/switchboard/core/router"
	"github.com/switchboard-wamp/switchboard/core/wamp"
	"github.com/switchboard-wamp/switchboard/transport"
)

// Realm is one realm of the application as a member of the cluster: the
// other nodes' node sessions in it, what this node announces of it.
// Methods are safe for concurrent use unless marked executor-only (the
// engine realm's executor).
type Realm struct {
	n     *Node
	e     *engine.Realm
	uri   wamp.URI
	inbox *nats.Subscription
	// gate is the inbox as a sender the realm's congested receivers
	// throttle (engine.Realm.ApplyAs): while one is held, the inbox waits
	// and NATS keeps what arrives (up to its pending limit).
	gate *transport.Gate
	// slots bounds the inbox's messages handed to the executor and not
	// yet taken (inboxInflight), so that congestion is seen, and the gate
	// held, within that many messages; stopped ends a wait for one.
	slots    chan struct{}
	stopped  chan struct{}
	stopOnce sync.Once

	// Executor-owned.
	peers    map[string]*nodeSession // by node name
	bySID    map[wamp.ID]*nodeSession
	dead     map[string]uint64     // per node name, the last epoch declared dead
	interest map[wamp.ID]*interest // local subscriptions this node announces (pubsub.go)
	rpc      rpcRealm              // local registrations this node announces (rpc.go)
	// encoded is the last publication forwarded and its encoding: the
	// router hands the same publication to every node session it
	// reaches, one after the other, and it is encoded once (pubsub.go).
	encoded      *router.RemotePublication
	encodedBytes []byte
}

// AddRealm makes realm e part of the cluster: this node receives what the
// others send it there, and announces it (an empty snapshot first). The
// application calls it for each realm it creates, and routes the realm's
// subscription notices to Realm.Notices.
func (n *Node) AddRealm(e *engine.Realm) (*Realm, error) {
	r := &Realm{n: n, e: e, uri: e.URI(), gate: transport.NewGate(transport.Info{Transport: "cluster", PeerAddr: "nats"}),
		slots: make(chan struct{}, inboxInflight), stopped: make(chan struct{}),
		peers: make(map[string]*nodeSession), bySID: make(map[wamp.ID]*nodeSession),
		dead: make(map[string]uint64), interest: make(map[wamp.ID]*interest)}
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.closed {
		return nil, ErrClosed
	}
	if _, ok := n.realms[r.uri]; ok {
		return nil, fmt.Errorf("cluster: realm %q added twice", r.uri)
	}
	sub, err := n.nc.Subscribe(inboxSubject(n.cfg.SubjectPrefix, r.uri, n.name), r.fromNode)
	if err != nil {
		return nil, fmt.Errorf("cluster: subscribing for realm %q: %w", r.uri, err)
	}
	r.inbox = sub
	n.realms[r.uri] = r
	if n.state.realms[r.uri] == nil {
		n.state.realms[r.uri] = make(map[stateKey][]any)
	}
	// Announce the realm, and ask the others for their state: what they
	// sent before the realm was here was not for it.
	n.publishCtl(n.snapshot(r.uri, false))
	n.publishCtl(&ctlMsg{Kind: ctlSync})
	r.startClaims()
	return r, nil
}

// URI returns the realm's name.
func (r *Realm) URI() wamp.URI { return r.uri }

// Node returns the node the realm belongs to.
func (r *Realm) Node() *Node { return r.n }

func (r *Realm) unsubscribe() {
	r.stopOnce.Do(func() { close(r.stopped) })
	r.gate.Stop()
	if r.inbox != nil {
		_ = r.inbox.Unsubscribe()
	}
}

// fromNode receives one message a node sent this realm, on the inbox's
// NATS goroutine: decoded here, handled on the realm's executor in
// arrival order. The inbox waits while the realm's mailbox is full, and
// while a receiver the inbox's last messages congested drains (its
// gate): a busy realm or a slow subscriber slows the inbox down, as a
// connection's reader would be; beyond the NATS client's pending limits,
// messages are dropped and counted as a slow consumer.
func (r *Realm) fromNode(msg *nats.Msg) {
	from := fromOfSubject(msg.Subject)
	epoch, ok := r.n.liveEpoch(from)
	if !ok {
		return // not (or no longer) a live node
	}
	m, err := decodeMsg(msg.Data)
	if err != nil {
		r.n.log.Warn("cluster: message from a node dropped", "realm", string(r.uri), "peer", from, "err", err)
		return
	}
	select {
	case r.slots <- struct{}{}:
	case <-r.stopped:
		return
	}
	r.gate.Wait() // a receiver the messages before congested has drained
	if !r.e.ApplyAs(r.gate, func() {
		<-r.slots
		ns := r.peer(from, epoch)
		if ns == nil {
			return
		}
		if h := onReceive[m.Type()]; h != nil {
			h(r, ns, m)
			return
		}
		r.n.log.Debug("cluster: unexpected message from a node", "realm", string(r.uri), "peer", from, "type", m.Type())
	}) {
		<-r.slots
	}
}

// inboxInflight bounds a realm inbox's messages waiting for the executor,
// as Config.InflightPerSession bounds a connection's.
const inboxInflight = 64

// peer returns node's node session in the realm, attaching it first if
// needed; nil when that epoch of node was declared dead. A newer epoch
// (the node was learnt again) replaces the older session. Executor-only.
func (r *Realm) peer(node string, epoch uint64) *nodeSession {
	if epoch <= r.dead[node] {
		return nil
	}
	ns := r.peers[node]
	if ns != nil && ns.epoch >= epoch {
		return ns
	}
	if ns != nil {
		r.detach(ns)
	}
	ns = newNodeSession(r, node, epoch, r.n.ids.NextID())
	r.peers[node] = ns
	r.bySID[ns.sid] = ns
	r.e.AttachNode(ns.sid, ns, nodeHello(r.uri), router.SessionInfo{
		AuthID: node, AuthRole: NodeAuthRole, AuthMethod: "cluster", AuthProvider: "switchboard", Internal: true, Node: node,
	})
	return ns
}

// NodeAuthRole is the authrole of node sessions.
const NodeAuthRole = "switchboard.node"

// dropNode detaches node's session up to epoch, for good: later messages
// of that epoch are ignored. Called by the loop; runs on the executor.
func (r *Realm) dropNode(node string, epoch uint64) {
	r.e.Apply(func() {
		r.dead[node] = max(r.dead[node], epoch)
		if ns := r.peers[node]; ns != nil && ns.epoch <= epoch {
			r.detach(ns)
		}
	})
}

// detach removes ns from the realm: the router drops its subscriptions
// and registrations and ends the calls in flight to it. The router's
// notices of the step are handled within DetachNode (detach runs in a
// task of its own, never inside a walk of effects), while bySID still
// names ns: its unsubscriptions are not mistaken for local ones.
// Executor-only.
func (r *Realm) detach(ns *nodeSession) {
	ns.gone = true
	r.e.DetachNode(ns.sid)
	r.forget(ns)
	for _, h := range kinds {
		if h.detached != nil {
			h.detached(r, ns)
		}
	}
}

// forget removes ns from the realm's tables. Executor-only.
func (r *Realm) forget(ns *nodeSession) {
	ns.gone = true
	if r.peers[ns.node] == ns {
		delete(r.peers, ns.node)
	}
	delete(r.bySID, ns.sid)
}

// IsNodeSession reports whether sid is a node session. Executor-only.
func (r *Realm) IsNodeSession(sid wamp.ID) bool { return r.bySID[sid] != nil }

// nodeHello is the HELLO a node session joins with: every role, with the
// features the router acts on for callees.
func nodeHello(realm wamp.URI) *wamp.Hello {
	f := func(names ...string) wamp.Dict {
		d := wamp.Dict{}
		for _, n := range names {
			d[n] = true
		}
		return wamp.Dict{"features": d}
	}
	return &wamp.Hello{Realm: realm, Details: wamp.Dict{"roles": wamp.Dict{
		"caller":     f(wamp.FeatureProgressiveCallResults, wamp.FeatureCallCanceling, wamp.FeatureCallerIdentification),
		"callee":     f(wamp.FeatureProgressiveCallResults, wamp.FeatureCallCanceling, wamp.FeatureCallerIdentification, wamp.FeaturePatternBasedRegistration, wamp.FeatureSharedRegistration),
		"publisher":  f(wamp.FeaturePublisherExclusion, wamp.FeaturePublisherIdentification),
		"subscriber": f(wamp.FeaturePatternBasedSubscription, wamp.FeaturePublisherIdentification),
	}}}
}

// Remove takes the realm out of the cluster (the application removed
// it): this node stops receiving for it, withdraws what it announced of
// it, and tells the others, which detach its node session there. Call it
// once the realm's sessions are gone. Safe for concurrent use.
func (r *Realm) Remove() {
	n := r.n
	n.mu.Lock()
	if n.realms[r.uri] != r {
		n.mu.Unlock()
		return
	}
	delete(n.realms, r.uri)
	delete(n.state.realms, r.uri)
	n.state.ver++
	if !n.closed {
		n.publishCtl(&ctlMsg{Kind: ctlRealmGone, Ver: n.state.ver, Realm: string(r.uri)})
	}
	n.mu.Unlock()
	r.unsubscribe()
}

// nodeLeftRealm detaches node's session: the node no longer serves the
// realm. Unlike dropNode, the node may serve it again in the same epoch.
// Called by the loop; runs on the executor.
func (r *Realm) nodeLeftRealm(node string) {
	r.e.Apply(func() {
		if ns := r.peers[node]; ns != nil {
			r.detach(ns)
		}
	})
}
