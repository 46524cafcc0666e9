package cluster

import (
	"reflect"
	"slices"

	"github.com/switchboard-wamp/switchboard/core/wamp"
)

// Kind is a kind of announced state: what a node tells the others about
// each of its realms so that they can act for it (subscribe, register on
// its behalf, list its sessions). Each kind has a handler (kinds) that
// the receiving realm runs as entries come and go.
type Kind uint8

// The kinds of announced state.
const (
	KindSubscription Kind = 1 // Key: match + " " + topic; Value: [topic, match] (pubsub.go)
	KindRegistration Kind = 2 // rpc.go
	KindSession      Kind = 3 // sessions.go
)

// kindHandler acts on another node's announced state in one realm, on the
// realm's executor: added for a new entry or a changed value (old is nil
// for a new one), removed for an entry gone; detached when the node
// session left the realm (the node died, left or restarted), after the
// router dropped its subscriptions and registrations, for what the router
// does not hold. ns.state still holds the node's entries then.
type kindHandler struct {
	added    func(r *Realm, ns *nodeSession, key string, value, old []any)
	removed  func(r *Realm, ns *nodeSession, key string, value []any)
	detached func(r *Realm, ns *nodeSession)
}

// kinds are the handlers of each kind; each kind's file adds its own in
// an init function. Read-only once the program runs.
var kinds = map[Kind]kindHandler{}

// stateKey identifies one entry of a node's state in a realm.
type stateKey struct {
	kind Kind
	key  string
}

// localState is what this node announces: per realm, its entries, and one
// version counting every change across realms. Guarded by Node.mu.
type localState struct {
	ver    uint64
	realms map[wamp.URI]map[stateKey][]any
}

func (s *localState) init() { s.realms = make(map[wamp.URI]map[stateKey][]any) }

// Announce adds entry key of kind to what this node announces of realm,
// or replaces its value, and tells every node. Safe for concurrent use;
// the order of announcements is the order of the calls.
func (n *Node) Announce(realm wamp.URI, kind Kind, key string, value []any) {
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.closed {
		return
	}
	entries := n.state.realms[realm]
	if entries == nil {
		entries = make(map[stateKey][]any)
		n.state.realms[realm] = entries
	}
	entries[stateKey{kind, key}] = value
	n.state.ver++
	n.publishCtl(&ctlMsg{Kind: ctlDelta, Ver: n.state.ver, Realm: string(realm),
		Entries: []entry{{Kind: kind, Key: key, Value: value}}})
}

// Withdraw removes entry key of kind from what this node announces of
// realm, and tells every node. Safe for concurrent use.
func (n *Node) Withdraw(realm wamp.URI, kind Kind, key string) {
	n.mu.Lock()
	defer n.mu.Unlock()
	k := stateKey{kind, key}
	if _, ok := n.state.realms[realm][k]; !ok || n.closed {
		return
	}
	delete(n.state.realms[realm], k)
	n.state.ver++
	n.publishCtl(&ctlMsg{Kind: ctlDelta, Ver: n.state.ver, Realm: string(realm), Del: true,
		Entries: []entry{{Kind: kind, Key: key}}})
}

// snapshotAll sends one snapshot round: every realm's entries at the
// current version, the last one marked. Safe for concurrent use.
func (n *Node) snapshotAll() {
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.closed {
		return
	}
	realms := sortedKeys(n.realms)
	if len(realms) == 0 {
		n.publishCtl(&ctlMsg{Kind: ctlSnapshot, Ver: n.state.ver, Last: true})
		return
	}
	for i, uri := range realms {
		n.publishCtl(n.snapshot(uri, i == len(realms)-1))
	}
}

// snapshot is realm's snapshot message. Under n.mu.
func (n *Node) snapshot(realm wamp.URI, last bool) *ctlMsg {
	entries := n.state.realms[realm]
	c := &ctlMsg{Kind: ctlSnapshot, Ver: n.state.ver, Realm: string(realm), Last: last,
		Entries: make([]entry, 0, len(entries))}
	for k, v := range entries {
		c.Entries = append(c.Entries, entry{Kind: k.kind, Key: k.key, Value: v})
	}
	return c
}

// applySnapshot replaces what the realm holds of node's state with
// entries: handlers run for what was added, changed and removed, so that
// nothing is held twice. Called by the loop; runs on the executor.
func (r *Realm) applySnapshot(node string, epoch uint64, entries []entry) {
	r.e.Apply(func() {
		ns := r.peer(node, epoch)
		if ns == nil {
			return
		}
		next := make(map[stateKey][]any, len(entries))
		for _, e := range entries {
			next[stateKey{e.Kind, e.Key}] = e.Value
		}
		for k, v := range ns.state {
			if _, ok := next[k]; !ok {
				delete(ns.state, k)
				r.stateRemoved(ns, k, v)
			}
		}
		for _, k := range sortedStateKeys(next) {
			old, had := ns.state[k]
			if had && valuesEqual(old, next[k]) {
				continue
			}
			ns.state[k] = next[k]
			r.stateAdded(ns, k, next[k], old)
		}
	})
}

// applyDelta applies one entry of node's state. Called by the loop; runs
// on the executor.
func (r *Realm) applyDelta(node string, epoch uint64, e entry, del bool) {
	r.e.Apply(func() {
		ns := r.peer(node, epoch)
		if ns == nil {
			return
		}
		k := stateKey{e.Kind, e.Key}
		old, had := ns.state[k]
		switch {
		case del && had:
			delete(ns.state, k)
			r.stateRemoved(ns, k, old)
		case !del && !(had && valuesEqual(old, e.Value)):
			ns.state[k] = e.Value
			r.stateAdded(ns, k, e.Value, old)
		}
	})
}

func (r *Realm) stateAdded(ns *nodeSession, k stateKey, v, old []any) {
	if h, ok := kinds[k.kind]; ok && h.added != nil {
		h.added(r, ns, k.key, v, old)
	}
}

func (r *Realm) stateRemoved(ns *nodeSession, k stateKey, v []any) {
	if h, ok := kinds[k.kind]; ok && h.removed != nil {
		h.removed(r, ns, k.key, v)
	}
}

func sortedStateKeys(m map[stateKey][]any) []stateKey {
	keys := make([]stateKey, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.SortFunc(keys, func(a, b stateKey) int {
		if a.kind != b.kind {
			return int(a.kind) - int(b.kind)
		}
		if a.key < b.key {
			return -1
		}
		if a.key > b.key {
			return 1
		}
		return 0
	})
	return keys
}

// valuesEqual compares two entry values, both decoded from the wire by
// the same decoder (so of the same types when equal).
func valuesEqual(a, b []any) bool { return reflect.DeepEqual(a, b) }

func wampURI(s string) wamp.URI { return wamp.URI(s) }

func sortedKeys[V any, K ~string](m map[K]V) []K {
	keys := make([]K, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
