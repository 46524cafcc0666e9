package peer

import (
	"github.com/switchboard-wamp/switchboard/core/wamp"
)

// subKey identifies a router subscription from the subscriber's side: the
// router keeps one subscription per (topic, match) and returns its ID to
// every SUBSCRIBE of the same pair.
type subKey struct {
	topic wamp.URI
	match string
}

func keyOf(topic wamp.URI, opts wamp.Dict) subKey {
	m, _ := opts["match"].(string)
	if m == "exact" {
		m = ""
	}
	return subKey{topic: topic, match: m}
}

// subscription is one router subscription and the local handles on it.
type subscription struct {
	key subKey
	// handles is copy-on-write: EventDelivery shares it, so it is replaced,
	// never modified in place.
	handles       []any
	unsubscribing bool
}

// Subscribe sends SUBSCRIBE. handle identifies the local subscription: it
// receives the completion and every EVENT of the router subscription, and
// is what Unsubscribe removes. Handles must be comparable (pointers are
// ideal). Several handles on the same topic share one router subscription
// and each EVENT is reported once with all of them.
func (p *Peer) Subscribe(topic wamp.URI, opts wamp.Dict, handle any, out *Effects) wamp.ID {
	if !p.admit(wamp.SUBSCRIBE, handle, out) {
		return 0
	}
	if opts == nil {
		opts = wamp.Dict{}
	}
	id := p.nextID()
	k := keyOf(topic, opts)
	p.inflight[k]++
	p.pending[id] = request{kind: wamp.SUBSCRIBE, token: handle, key: k}
	out.Send = append(out.Send, &wamp.Subscribe{Request: id, Options: opts, Topic: topic})
	return id
}

func (p *Peer) onSubscribed(m *wamp.Subscribed, out *Effects) error {
	r, ok := p.pending[m.Request]
	if !ok || r.kind != wamp.SUBSCRIBE {
		return violation("SUBSCRIBED for unknown subscribe request %d", m.Request)
	}
	delete(p.pending, m.Request)
	s := p.subs[m.Subscription]
	if s == nil {
		s = &subscription{key: r.key}
		p.subs[m.Subscription] = s
	}
	s.handles = append(s.handles[:len(s.handles):len(s.handles)], r.token)
	if p.orphans[r.key] == m.Subscription {
		delete(p.orphans, r.key)
	}
	out.Completions = append(out.Completions, Completion{Token: r.token, Kind: wamp.SUBSCRIBE, Request: m.Request, Reply: m})
	p.subscribeSettled(r.key, out)
	return nil
}

// subscribeSettled runs when a SUBSCRIBE for k got its reply: once none is
// in flight, a subscription whose last handle went meanwhile is finally
// unsubscribed at the router.
func (p *Peer) subscribeSettled(k subKey, out *Effects) {
	if p.inflight[k]--; p.inflight[k] > 0 {
		return
	}
	delete(p.inflight, k)
	id, ok := p.orphans[k]
	if !ok {
		return
	}
	delete(p.orphans, k)
	if s := p.subs[id]; s != nil && len(s.handles) == 0 {
		p.sendUnsubscribe(id, s, nil, true, out)
	}
}

// Unsubscribe removes handle from subscription sub. token receives the
// completion. While other local handles remain on the router subscription,
// nothing is sent and the completion is immediate (Reply nil); the last
// handle sends UNSUBSCRIBE and completes on UNSUBSCRIBED. No EVENT is
// reported to handle after this call.
func (p *Peer) Unsubscribe(sub wamp.ID, handle any, token any, out *Effects) wamp.ID {
	if !p.admit(wamp.UNSUBSCRIBE, token, out) {
		return 0
	}
	s := p.subs[sub]
	i := -1
	if s != nil {
		i = indexOf(s.handles, handle)
	}
	if i < 0 {
		fail(out, wamp.UNSUBSCRIBE, token, ErrNoSuchSubscription)
		return 0
	}
	hs := make([]any, 0, len(s.handles)-1)
	s.handles = append(append(hs, s.handles[:i]...), s.handles[i+1:]...)
	if len(s.handles) > 0 {
		out.Completions = append(out.Completions, Completion{Token: token, Kind: wamp.UNSUBSCRIBE})
		return 0
	}
	if p.inflight[s.key] > 0 {
		// A SUBSCRIBE for the same (topic, match) is in flight and will get
		// this very subscription: unsubscribing now would take it away.
		p.orphans[s.key] = sub
		out.Completions = append(out.Completions, Completion{Token: token, Kind: wamp.UNSUBSCRIBE})
		return 0
	}
	return p.sendUnsubscribe(sub, s, token, false, out)
}

func (p *Peer) sendUnsubscribe(sub wamp.ID, s *subscription, token any, internal bool, out *Effects) wamp.ID {
	s.unsubscribing = true
	id := p.nextID()
	p.pending[id] = request{kind: wamp.UNSUBSCRIBE, token: token, id: sub, internal: internal}
	out.Send = append(out.Send, &wamp.Unsubscribe{Request: id, Subscription: sub})
	return id
}

func (p *Peer) onUnsubscribed(m *wamp.Unsubscribed, out *Effects) error {
	if m.Request == 0 {
		return p.revokeSubscription(m, out)
	}
	r, ok := p.pending[m.Request]
	if !ok || r.kind != wamp.UNSUBSCRIBE {
		return violation("UNSUBSCRIBED for unknown unsubscribe request %d", m.Request)
	}
	delete(p.pending, m.Request)
	p.dropSubscription(r.id)
	if !r.internal {
		out.Completions = append(out.Completions, Completion{Token: r.token, Kind: wamp.UNSUBSCRIBE, Request: m.Request, Reply: m})
	}
	return nil
}

// dropSubscription forgets a subscription the router no longer has, unless
// new handles joined it meanwhile (which needs a misordering router).
func (p *Peer) dropSubscription(id wamp.ID) {
	if s := p.subs[id]; s != nil && len(s.handles) == 0 {
		delete(p.subs, id)
	}
}

// revokeSubscription handles [UNSUBSCRIBED, 0, {subscription, reason}].
func (p *Peer) revokeSubscription(m *wamp.Unsubscribed, out *Effects) error {
	id, ok := wamp.OptID(m.Details, "subscription")
	if !ok {
		return violation("UNSUBSCRIBED revocation without details.subscription")
	}
	s, ok := p.subs[id]
	if !ok {
		return nil
	}
	delete(p.subs, id)
	if p.orphans[s.key] == id {
		delete(p.orphans, s.key)
	}
	reason, _ := m.Details["reason"].(string)
	out.Revoked = append(out.Revoked, Revocation{Kind: wamp.SUBSCRIBE, ID: id, Tokens: s.handles, Reason: reason})
	return nil
}

func (p *Peer) onEvent(m *wamp.Event, out *Effects) error {
	s, ok := p.subs[m.Subscription]
	if !ok {
		return violation("EVENT for unknown subscription %d", m.Subscription)
	}
	if p.st != stEstablished || len(s.handles) == 0 {
		return nil // leaving, or every local handle is gone already
	}
	out.Events = append(out.Events, EventDelivery{Handles: s.handles, Msg: m})
	return nil
}

// Publish sends PUBLISH. With opts.acknowledge = true the publication is
// pending until PUBLISHED or ERROR and token receives the completion;
// otherwise nothing is recorded and the returned ID is only informative.
func (p *Peer) Publish(topic wamp.URI, args wamp.List, kwargs wamp.Dict, opts wamp.Dict, token any, out *Effects) wamp.ID {
	if !p.admit(wamp.PUBLISH, token, out) {
		return 0
	}
	if opts == nil {
		opts = wamp.Dict{}
	}
	id := p.nextID()
	if optBool(opts, "acknowledge") {
		p.pending[id] = request{kind: wamp.PUBLISH, token: token}
	}
	out.Send = append(out.Send, &wamp.Publish{Request: id, Options: opts, Topic: topic, Args: args, Kwargs: kwargs})
	return id
}

func (p *Peer) onPublished(m *wamp.Published, out *Effects) error {
	r, ok := p.pending[m.Request]
	if !ok || r.kind != wamp.PUBLISH {
		return violation("PUBLISHED for unknown acknowledged publish %d", m.Request)
	}
	delete(p.pending, m.Request)
	out.Completions = append(out.Completions, Completion{Token: r.token, Kind: wamp.PUBLISH, Request: m.Request, Reply: m})
	return nil
}

func indexOf(hs []any, h any) int {
	for i, x := range hs {
		if x == h {
			return i
		}
	}
	return -1
}
