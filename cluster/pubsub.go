package cluster

import (
	"context"
	"slices"
	"time"

	"github.com/switchboard-wamp/switchboard/core/router"
	"github.com/switchboard-wamp/switchboard/core/wamp"
)

// Pub/sub across nodes. Each node announces its realms' subscription
// interest — one entry per distinct (topic, match) that has a subscriber
// other than a node session — and every other node's node session for it
// subscribes to the same (topic, match) there. A publication that matches
// any of them reaches that node session once, whatever the number of
// matching subscriptions, and is forwarded to the node, which fans it out
// to its own subscribers.

// interest is one local subscription with subscribers this node
// announces. Executor-owned.
type interest struct {
	key         string
	subscribers int // sessions other than node sessions
}

// nodeSub is a subscription a node session made for its node's interest.
type nodeSub struct {
	id   wamp.ID // 0 until SUBSCRIBED
	drop bool    // the interest went before SUBSCRIBED: unsubscribe then
}

func init() {
	kinds[KindSubscription] = kindHandler{added: interestAdded, removed: interestRemoved}
	onSend[wamp.SUBSCRIBED] = (*nodeSession).subscribed
	onSend[wamp.UNSUBSCRIBED] = func(*nodeSession, wamp.Message) bool { return true }
	onSendError[wamp.SUBSCRIBE] = (*nodeSession).subscribeFailed
	onSendError[wamp.UNSUBSCRIBE] = func(*nodeSession, wamp.Message) bool { return true }
	onSend[wamp.EVENT] = (*nodeSession).publication
	onReceive[wamp.EVENT] = publicationReceived
}

// publication forwards a publication the router hands the node session
// (one per publication, whatever the number of its subscriptions that
// match) to its node, encoded once for every node it goes to.
// Executor-only.
func (ns *nodeSession) publication(m wamp.Message) bool {
	rp, ok := m.(*router.RemotePublication)
	if !ok {
		return ns.forward(m) // not expected: the router sends node sessions publications whole
	}
	r := ns.r
	if r.encoded != rp {
		b, err := encodeMsg(publicationMessage(rp))
		if err != nil {
			r.n.log.Warn("cluster: publication not encodable for other nodes", "realm", string(r.uri), "topic", string(rp.Topic), "err", err)
			return true
		}
		r.encoded, r.encodedBytes = rp, b
	}
	if max := r.n.nc.MaxPayload(); int64(len(r.encodedBytes)) > max {
		// The subscribers of that node miss it, as a subscriber misses an
		// event its transport refuses (an acknowledged publisher is not told).
		r.n.log.Warn("cluster: publication too large for NATS; not sent to the node", "realm", string(r.uri),
			"topic", string(rp.Topic), "peer", ns.node, "bytes", len(r.encodedBytes), "max", max)
		return true
	}
	return ns.publish(r.encodedBytes)
}

// publicationMessage is a publication on the wire between nodes: an EVENT
// whose publication ID is the publication's and whose details carry the
// rest — topic, the PUBLISH options, the publisher's identity, whether it
// is disclosed. (The subscription ID is meaningless there.)
func publicationMessage(rp *router.RemotePublication) *wamp.Event {
	d := wamp.Dict{"topic": string(rp.Topic)}
	if len(rp.Options) > 0 {
		d["options"] = rp.Options
	}
	if rp.Publisher != 0 {
		d["publisher"] = rp.Publisher
		d["publisher_authid"] = rp.PublisherAuthID
		d["publisher_authrole"] = rp.PublisherAuthRole
	}
	if rp.Disclose {
		d["disclose"] = true
	}
	return &wamp.Event{Subscription: 1, Publication: rp.ID, Details: d, Args: rp.Args, Kwargs: rp.Kwargs}
}

// publicationReceived fans a publication from node ns out to this realm's
// subscribers (not to node sessions: the publishing node sent it to each
// node itself). Executor-only.
func publicationReceived(r *Realm, ns *nodeSession, m wamp.Message) {
	e := m.(*wamp.Event)
	topic, _ := e.Details["topic"].(string)
	rp := &router.RemotePublication{ID: e.Publication, Topic: wamp.URI(topic), Args: e.Args, Kwargs: e.Kwargs}
	rp.Options, _ = e.Details["options"].(wamp.Dict)
	if pub, ok := wamp.ToID(e.Details["publisher"]); ok {
		rp.Publisher = pub
		rp.PublisherAuthID, _ = e.Details["publisher_authid"].(string)
		rp.PublisherAuthRole, _ = e.Details["publisher_authrole"].(string)
	}
	rp.Disclose, _ = e.Details["disclose"].(bool)
	r.e.Do(func(now time.Time, rr *router.Realm, fx *router.Effects) { rr.PublishRemote(now, ns.sid, rp, fx) })
}

// interestKey is the entry key of a (topic, match) interest.
func interestKey(topic wamp.URI, match string) string { return match + " " + string(topic) }

// Notices takes the subscription notices of one round of the realm's
// effects and announces the interest that appears or goes. The
// application calls it from its engine.Host's Notices. Executor-only.
func (r *Realm) Notices(notices []router.Notice) {
	for i := range notices {
		no := &notices[i]
		if r.bySID[no.Session] != nil {
			continue // a node session's own subscription: never announced back
		}
		switch no.Kind {
		case router.NoticeSubscribed:
			in := r.interest[no.Subscription]
			if in == nil {
				in = &interest{key: interestKey(no.Topic, no.Match)}
				r.interest[no.Subscription] = in
			}
			in.subscribers++
			if in.subscribers == 1 {
				r.n.Announce(r.uri, KindSubscription, in.key, []any{string(no.Topic), no.Match})
			}
		case router.NoticeUnsubscribed:
			in := r.interest[no.Subscription]
			if in == nil {
				continue
			}
			if in.subscribers--; in.subscribers == 0 {
				delete(r.interest, no.Subscription)
				r.n.Withdraw(r.uri, KindSubscription, in.key)
			}
		case router.NoticeRegistered, router.NoticeUnregistered:
			r.registrationNotice(no) // rpc.go
		case router.NoticeJoined, router.NoticeLeft:
			r.sessionNotice(no) // sessions.go
		}
	}
}

// interestAdded subscribes ns to another node's interest. Executor-only.
func interestAdded(r *Realm, ns *nodeSession, key string, value, old []any) {
	if old != nil {
		return // an interest's value is its key: nothing changes
	}
	if len(value) != 2 {
		return
	}
	topic, _ := value[0].(string)
	match, _ := value[1].(string)
	if topic == "" {
		return
	}
	if s := ns.subs[key]; s != nil {
		s.drop = false
		return
	}
	req := ns.request()
	ns.subs[key] = &nodeSub{}
	ns.subReqs[req] = key
	opts := wamp.Dict{}
	if match != "" && match != wamp.MatchExact {
		opts["match"] = match
	}
	ns.handle(&wamp.Subscribe{Request: req, Options: opts, Topic: wamp.URI(topic)})
}

// interestRemoved unsubscribes ns from an interest the node withdrew.
// Executor-only.
func interestRemoved(r *Realm, ns *nodeSession, key string, _ []any) {
	s := ns.subs[key]
	if s == nil {
		return
	}
	if s.id == 0 {
		s.drop = true
		return
	}
	delete(ns.subs, key)
	ns.handle(&wamp.Unsubscribe{Request: ns.request(), Subscription: s.id})
}

// subscribed completes a node session's SUBSCRIBE. Executor-only.
func (ns *nodeSession) subscribed(m wamp.Message) bool {
	sm := m.(*wamp.Subscribed)
	key, ok := ns.subReqs[sm.Request]
	if !ok {
		return true
	}
	delete(ns.subReqs, sm.Request)
	s := ns.subs[key]
	if s == nil || s.drop {
		delete(ns.subs, key)
		ns.handle(&wamp.Unsubscribe{Request: ns.request(), Subscription: sm.Subscription})
		return true
	}
	s.id = sm.Subscription
	return true
}

// subscribeFailed: the router refused a node session's SUBSCRIBE (an
// interest this node's rules do not allow, such as an invalid URI under
// its strict rules): the node's subscribers get nothing from here.
func (ns *nodeSession) subscribeFailed(m wamp.Message) bool {
	e := m.(*wamp.Error)
	if key, ok := ns.subReqs[e.Request]; ok {
		delete(ns.subReqs, e.Request)
		delete(ns.subs, key)
		ns.r.n.log.Warn("cluster: a node's subscription refused here", "realm", string(ns.r.uri), "peer", ns.node,
			"interest", key, "error", string(e.Error))
	}
	return true
}

// Interest returns, per live node, the subscription interests its node
// session holds in the realm ("match topic", sorted): what this node
// forwards there. For tests and diagnostics.
func (r *Realm) Interest(ctx context.Context) (map[string][]string, error) {
	return r.peerKeys(ctx, func(ns *nodeSession) []string {
		keys := []string{}
		for k, s := range ns.subs {
			if s.id != 0 {
				keys = append(keys, k)
			}
		}
		return keys
	})
}

// peerKeys returns, per live node, the keys f lists of its node session,
// sorted, read on the realm's executor. For tests and diagnostics.
func (r *Realm) peerKeys(ctx context.Context, f func(*nodeSession) []string) (map[string][]string, error) {
	ch := make(chan map[string][]string, 1)
	if !r.e.Post(func() {
		out := make(map[string][]string, len(r.peers))
		for name, ns := range r.peers {
			keys := f(ns)
			slices.Sort(keys)
			out[name] = keys
		}
		ch <- out
	}) {
		return nil, ErrClosed
	}
	select {
	case m := <-ch:
		return m, nil
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}
