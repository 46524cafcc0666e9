package cluster

import (
	"maps"
	"time"

	"github.com/nats-io/nats.go"
)

// remote is what the loop knows of another node.
type remote struct {
	inc   uint64    // its incarnation
	epoch uint64    // ours for it: a new one whenever it is (re)learnt
	heard time.Time // its last control message
	ver   uint64    // its state version we hold
	// synced: a whole snapshot round of it was received since it was
	// learnt or a gap was seen; deltas apply only then.
	synced bool
	asked  time.Time // when we last asked it for snapshots
}

// members is the loop's view of the cluster. Owned by run.
type members struct {
	remotes    map[string]*remote
	epoch      uint64
	twinWarned bool // another node with our name was reported
}

// run is the node's loop: control messages, heartbeats, failure
// detection, re-announcing after a reconnect.
func (n *Node) run() {
	beating := make(chan struct{})
	defer func() { <-beating; close(n.done) }()
	go n.beat(beating)
	m := &members{remotes: make(map[string]*remote)}
	t := time.NewTicker(n.cfg.HeartbeatInterval)
	defer t.Stop()
	n.announceAll()
	for {
		select {
		case <-n.stop:
			return
		case msg := <-n.ctl:
			n.control(m, msg)
		case <-t.C:
			// What arrived while the loop was busy (a realm's full
			// mailbox holds it in Apply) counts before anyone is found
			// silent.
			for drained := false; !drained; {
				select {
				case msg := <-n.ctl:
					n.control(m, msg)
				default:
					drained = true
				}
			}
			n.expire(m, time.Now())
		case <-n.kick:
			n.log.Info("cluster: reconnected to NATS: announcing the node's state again")
			n.announceAll()
		}
	}
}

// announceAll sends this node's snapshots and asks every node for theirs:
// at start and after a reconnect, when deltas may have been lost both
// ways. Receivers replace what they hold, so repeating it is harmless.
func (n *Node) announceAll() {
	n.snapshotAll()
	n.publishCtl(&ctlMsg{Kind: ctlSync})
}

// control handles one control message. Loop only.
func (n *Node) control(m *members, msg *nats.Msg) {
	c, err := decodeCtl(msg.Data)
	if err != nil || !validToken(c.Node) || c.Node == n.name {
		switch {
		case err != nil:
			n.log.Warn("cluster: control message dropped", "err", err)
		case c.Node == n.name && c.Inc != n.inc && !m.twinWarned:
			m.twinWarned = true
			n.log.Error("cluster: another node runs under this node's name: node names must be unique; the others see the two as one node restarting")
		}
		return
	}
	switch c.Kind {
	case ctlBye:
		if rm := m.remotes[c.Node]; rm != nil && rm.inc == c.Inc {
			n.log.Info("cluster: node left", "peer", c.Node)
			n.dropNode(m, c.Node)
		}
		return
	case ctlSync:
		if c.Target == "" || c.Target == n.name {
			n.snapshotAll()
		}
	case ctlHeartbeat, ctlDelta, ctlSnapshot, ctlRealmGone:
	default:
		return // a newer node's kind
	}
	now := time.Now()
	rm := n.learn(m, c.Node, c.Inc, now)
	switch c.Kind {
	case ctlHeartbeat:
		if !rm.synced || c.Ver != rm.ver {
			n.askSync(rm, c.Node, now)
		}
	case ctlDelta:
		switch {
		case !rm.synced:
			n.askSync(rm, c.Node, now)
		case c.Ver <= rm.ver: // already in a snapshot
		case c.Ver == rm.ver+1 && len(c.Entries) == 1:
			rm.ver = c.Ver
			n.toRealm(c, rm.epoch, false)
		default:
			rm.synced = false
			n.askSync(rm, c.Node, now)
		}
	case ctlRealmGone:
		if rm.synced && c.Ver == rm.ver+1 {
			rm.ver = c.Ver
		} else if c.Ver > rm.ver {
			rm.synced = false
			n.askSync(rm, c.Node, now)
		}
		if r := n.realm(c.Realm); r != nil {
			r.nodeLeftRealm(c.Node)
		}
	case ctlSnapshot:
		if rm.synced && c.Ver < rm.ver {
			return // an older round than what we hold
		}
		rm.ver = c.Ver
		n.toRealm(c, rm.epoch, true)
		if c.Last {
			rm.synced = true
		}
	}
}

// learn returns the record of node name, heard at now; a node not known,
// or known under another incarnation (it restarted), is learnt anew: the
// old incarnation's sessions are dropped first. Loop only.
func (n *Node) learn(m *members, name string, inc uint64, now time.Time) *remote {
	rm := m.remotes[name]
	if rm != nil && rm.inc != inc {
		n.log.Info("cluster: node restarted", "peer", name)
		n.dropNode(m, name)
		rm = nil
	}
	if rm == nil {
		m.epoch++
		rm = &remote{inc: inc, epoch: m.epoch}
		m.remotes[name] = rm
		n.setLive(m)
		n.log.Info("cluster: node joined", "peer", name)
	}
	rm.heard = now
	return rm
}

// askSync asks node name for its snapshots, at most once per heartbeat
// interval. Loop only.
func (n *Node) askSync(rm *remote, name string, now time.Time) {
	if now.Sub(rm.asked) < n.cfg.HeartbeatInterval {
		return
	}
	rm.asked = now
	n.publishCtl(&ctlMsg{Kind: ctlSync, Target: name})
}

// expire drops the nodes not heard of for NodeTimeout. Loop only.
func (n *Node) expire(m *members, now time.Time) {
	for name, rm := range m.remotes {
		if now.Sub(rm.heard) > n.cfg.NodeTimeout {
			n.log.Warn("cluster: node timed out", "peer", name, "silent", now.Sub(rm.heard).Round(time.Millisecond))
			n.dropNode(m, name)
		}
	}
}

// dropNode forgets node name: its node sessions leave every realm (their
// subscriptions and registrations go, calls in flight to them end).
// Loop only.
func (n *Node) dropNode(m *members, name string) {
	rm := m.remotes[name]
	if rm == nil {
		return
	}
	delete(m.remotes, name)
	n.setLive(m)
	for _, r := range n.realmList() {
		r.dropNode(name, rm.epoch)
	}
}

// setLive publishes the live set for the inbox goroutines. Loop only.
func (n *Node) setLive(m *members) {
	live := make(map[string]uint64, len(m.remotes))
	for name, rm := range m.remotes {
		live[name] = rm.epoch
	}
	n.live.Store(&live)
}

// liveEpoch returns node name's epoch if it is alive. Safe for concurrent
// use.
func (n *Node) liveEpoch(name string) (uint64, bool) {
	e, ok := (*n.live.Load())[name]
	return e, ok
}

// Nodes returns the names of the nodes this node knows alive. Safe for
// concurrent use.
func (n *Node) Nodes() []string {
	return sortedKeys(maps.Clone(*n.live.Load()))
}

// toRealm hands a delta or snapshot to the realm it is about, if this
// node serves it. Loop only.
func (n *Node) toRealm(c *ctlMsg, epoch uint64, snapshot bool) {
	if c.Realm == "" {
		return // a node without realms: its snapshot round is this marker
	}
	r := n.realm(c.Realm)
	if r == nil {
		return
	}
	if snapshot {
		r.applySnapshot(c.Node, epoch, c.Entries)
		return
	}
	r.applyDelta(c.Node, epoch, c.Entries[0], c.Del)
}

// realm returns the node's realm named uri, nil if it serves none. Safe
// for concurrent use.
func (n *Node) realm(uri string) *Realm {
	n.mu.Lock()
	defer n.mu.Unlock()
	return n.realms[wampURI(uri)]
}

// beat sends the heartbeats, on a goroutine of its own: a loop held up
// by a busy realm must not make this node look dead. It ends with the
// loop (closing done).
func (n *Node) beat(done chan<- struct{}) {
	defer close(done)
	t := time.NewTicker(n.cfg.HeartbeatInterval)
	defer t.Stop()
	for {
		select {
		case <-n.stop:
			return
		case <-t.C:
			n.heartbeat()
		}
	}
}

// heartbeat tells the others this node lives, with its state version.
// Under the state lock, so that it never overtakes a delta.
func (n *Node) heartbeat() {
	n.mu.Lock()
	defer n.mu.Unlock()
	n.publishCtl(&ctlMsg{Kind: ctlHeartbeat, Ver: n.state.ver})
}

// realmList returns the node's realms. Safe for concurrent use.
func (n *Node) realmList() []*Realm {
	n.mu.Lock()
	defer n.mu.Unlock()
	l := make([]*Realm, 0, len(n.realms))
	for _, r := range n.realms {
		l = append(l, r)
	}
	return l
}
