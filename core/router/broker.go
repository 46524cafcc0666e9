package router

import (
	"slices"
	"time"

	"github.com/switchboard-wamp/switchboard/core/wamp"
)

// brokerFeatures are announced in WELCOME.Details.roles.broker.features:
// exactly the advanced features implemented and tested here.
var brokerFeatures = wamp.Dict{
	"publisher_exclusion":           true,
	"publisher_identification":      true,
	"subscriber_blackwhite_listing": true,
	"pattern_based_subscription":    true,
	"session_meta_api":              true,
	"subscription_meta_api":         true,
	"payload_passthru_mode":         true,
}

// subscription is one (topic, match policy) pair with its subscribers. All
// subscribers share its ID (spec: the broker may assign the ID per topic and
// options so that an event is serialized once for all receivers).
type subscription struct {
	id    wamp.ID
	topic wamp.URI
	match matchPolicy
	// created is when the first subscriber made it (subscription meta API).
	created time.Time
	// history, when set, keeps the events published to it
	// (RealmConfig.History); such a subscription stays without
	// subscribers.
	history *eventHistory
	// subscribers in subscription order (deterministic fan-out order).
	subscribers []*session
	// nodes are the node sessions subscribed (cluster.go), apart: each
	// gets one RemotePublication per publication, unfiltered, and the
	// fan-out over subscribers need not tell them apart.
	nodes []*session
}

// broker is the realm's publish & subscribe router.
type broker struct {
	byID  map[wamp.ID]*subscription
	index uriIndex[*subscription]
	// scratch buffers reused across publications.
	matches []*subscription
	filter  publishFilter
	// metaScratch holds the subscriptions of one meta event or testament
	// (meta_events.go), apart from matches.
	metaScratch []*subscription
	// nodes collects the node sessions one publication reaches, and
	// remotePublisher stands for the publisher of a publication from
	// another node (cluster.go).
	nodes           []*session
	remotePublisher session
	// retained are the topics' retained events (broker_retain.go).
	retained map[wamp.URI]*retainedEvent
	// histories counts the subscriptions that keep an event history
	// (broker_history.go).
	histories int
}

func newBroker() broker {
	return broker{byID: map[wamp.ID]*subscription{}, index: newURIIndex[*subscription]()}
}

// subscribe handles SUBSCRIBE: SUBSCRIBED with the subscription shared by
// every subscriber of the same topic and match policy; subscribing again to
// the same subscription answers with the same ID and changes nothing.
// Subscribing to the reserved wamp.* space is allowed (meta events).
func (r *Realm) subscribe(now time.Time, s *session, m *wamp.Subscribe, fx *Effects) {
	if msg := r.listOverLimit(s, m); msg != "" {
		fx.send(s.id, errorMsg(wamp.SUBSCRIBE, m.Request, wamp.ErrInvalidArgument, msg))
		return
	}
	policy, ok := parseMatch(m.Options)
	if !ok {
		fx.send(s.id, errorMsg(wamp.SUBSCRIBE, m.Request, wamp.ErrInvalidArgument, "unknown match policy"))
		return
	}
	if !validURI(m.Topic, r.cfg.StrictURI, policy == matchWildcard) {
		fx.send(s.id, errorMsg(wamp.SUBSCRIBE, m.Request, wamp.ErrInvalidURI, "invalid topic URI "+quote(string(m.Topic))))
		return
	}
	if uri, msg, held := r.authorize(now, s, ActionSubscribe, m.Topic, policy, false, m, fx); held || uri != "" {
		if !held {
			fx.send(s.id, errorMsg(wamp.SUBSCRIBE, m.Request, uri, msg))
		}
		return
	}
	if sub, ok := r.broker.index.get(m.Topic, policy); ok {
		if _, already := s.subs[sub.id]; already {
			fx.send(s.id, &wamp.Subscribed{Request: m.Request, Subscription: sub.id})
			return
		}
	}
	if r.cfg.SubscribeApproval && !s.info.Internal {
		r.holdSubscribe(s, m, policy, fx)
		return
	}
	getRetained, _ := wamp.OptBool(m.Options, wamp.OptGetRetained)
	r.addSubscriber(now, s, m.Request, m.Topic, policy, getRetained, fx)
}

// addSubscriber makes s a subscriber of (topic, policy), creating the
// subscription if needed, and answers SUBSCRIBED to request req. It
// reports the subscription ID and whether s was added (false when it
// already was a subscriber). The subscription meta events follow the
// SUBSCRIBED: on_create when the subscription is new, then on_subscribe.
// With getRetained, the retained events the subscription matches come
// right after the SUBSCRIBED (broker_retain.go).
func (r *Realm) addSubscriber(now time.Time, s *session, req wamp.ID, topic wamp.URI, policy matchPolicy, getRetained bool, fx *Effects) (wamp.ID, bool) {
	b := &r.broker
	sub, ok := b.index.get(topic, policy)
	if !ok {
		sub = &subscription{id: r.newID(), topic: topic, match: policy, created: now}
		b.index.add(topic, policy, sub)
		b.byID[sub.id] = sub
	}
	_, already := s.subs[sub.id]
	if !already {
		if s.node {
			sub.nodes = append(sub.nodes, s)
		} else {
			sub.subscribers = append(sub.subscribers, s)
		}
		if s.subs == nil {
			s.subs = map[wamp.ID]*subscription{}
		}
		s.subs[sub.id] = sub
		fx.notify(Notice{Kind: NoticeSubscribed, Session: s.id, Request: req, Subscription: sub.id,
			Topic: topic, Match: policy.String()})
	}
	fx.send(s.id, &wamp.Subscribed{Request: req, Subscription: sub.id})
	if getRetained && !already {
		r.sendRetained(s, sub, fx)
	}
	if !ok {
		r.subscriptionCreated(s, sub, fx)
	}
	if !already && !s.isNode() {
		r.emitIDs(topicSubscriptionSubscribe, s.id, sub.id, fx)
	}
	return sub.id, !already
}

// unsubscribe handles UNSUBSCRIBE: only a subscriber of the subscription
// may leave it; anything else is no_such_subscription.
func (r *Realm) unsubscribe(s *session, m *wamp.Unsubscribe, fx *Effects) {
	sub, ok := s.subs[m.Subscription]
	if !ok {
		fx.send(s.id, errorMsg(wamp.UNSUBSCRIBE, m.Request, wamp.ErrNoSuchSubscription, "no such subscription"))
		return
	}
	deleted := r.broker.leave(sub, s, m.Request, fx)
	fx.send(s.id, &wamp.Unsubscribed{Request: m.Request})
	r.unsubscribed(s, sub.id, deleted, fx)
}

// unsubscribed announces that s left subscription id
// (wamp.subscription.on_unsubscribe [session, subscription]), and its
// deletion when s was its last subscriber (on_delete, same payload).
func (r *Realm) unsubscribed(s *session, id wamp.ID, deleted bool, fx *Effects) {
	if s.isNode() {
		return
	}
	r.emitIDs(topicSubscriptionUnsub, s.id, id, fx)
	if deleted {
		r.emitIDs(topicSubscriptionDelete, s.id, id, fx)
	}
}

// leave removes s from sub (NoticeUnsubscribed with request req, 0 when
// the session is leaving) and deletes sub when its last subscriber left,
// which it reports.
func (b *broker) leave(sub *subscription, s *session, req wamp.ID, fx *Effects) bool {
	delete(s.subs, sub.id)
	fx.notify(Notice{Kind: NoticeUnsubscribed, Session: s.id, Request: req, Subscription: sub.id,
		Topic: sub.topic, Match: sub.match.String()})
	if i := slices.Index(sub.subscribers, s); i >= 0 {
		sub.subscribers = slices.Delete(sub.subscribers, i, i+1)
	} else if i := slices.Index(sub.nodes, s); i >= 0 {
		sub.nodes = slices.Delete(sub.nodes, i, i+1)
	}
	if len(sub.subscribers) == 0 && len(sub.nodes) == 0 && sub.history == nil {
		b.index.remove(sub.topic, sub.match)
		delete(b.byID, sub.id)
		return true
	}
	return false
}

// dropSubscriptions removes s from all its subscriptions, in
// subscription ID order (so that notices are deterministic), and forgets
// the SUBSCRIBEs it had waiting for approval. The meta events follow once
// s is out of every subscription, so none reaches the leaving session.
func (r *Realm) dropSubscriptions(s *session, fx *Effects) {
	s.pendingSubs = nil
	if len(s.subs) == 0 {
		return
	}
	ids := make([]wamp.ID, 0, len(s.subs))
	for id := range s.subs {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	deleted := make([]bool, len(ids))
	for i, id := range ids {
		deleted[i] = r.broker.leave(s.subs[id], s, 0, fx)
	}
	for i, id := range ids {
		r.unsubscribed(s, id, deleted[i], fx)
	}
}
