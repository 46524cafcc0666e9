package router

import (
	"github.com/switchboard-wamp/switchboard/core/wamp"
)

// Meta events (session, registration and subscription meta API; spec,
// advanced profile) are publications of the router itself: they take the
// broker's path (fanout), so subscribers reach them through exact and
// pattern subscriptions alike, and each is encoded once per serializer.
// Nothing is built, and no publication ID drawn, when nobody subscribes to
// the topic. While the realm shuts down none are sent: every session is
// leaving.
const (
	topicSessionOnJoin         wamp.URI = "wamp.session.on_join"
	topicSessionOnLeave        wamp.URI = "wamp.session.on_leave"
	topicRegistrationCreate    wamp.URI = "wamp.registration.on_create"
	topicRegistrationRegister  wamp.URI = "wamp.registration.on_register"
	topicRegistrationUnreg     wamp.URI = "wamp.registration.on_unregister"
	topicRegistrationDelete    wamp.URI = "wamp.registration.on_delete"
	topicSubscriptionCreate    wamp.URI = "wamp.subscription.on_create"
	topicSubscriptionSubscribe wamp.URI = "wamp.subscription.on_subscribe"
	topicSubscriptionUnsub     wamp.URI = "wamp.subscription.on_unsubscribe"
	topicSubscriptionDelete    wamp.URI = "wamp.subscription.on_delete"
)

// metaMatches returns the subscriptions a meta event on topic reaches,
// in a scratch slice valid until the next call; nil when there are none
// or the realm is shutting down.
func (r *Realm) metaMatches(topic wamp.URI) []*subscription {
	if r.closing {
		return nil
	}
	b := &r.broker
	b.metaScratch = b.index.appendAll(b.metaScratch[:0], topic)
	if len(b.metaScratch) == 0 {
		return nil
	}
	return b.metaScratch
}

// emitTo publishes a meta event to matches (from metaMatches), from the
// router: no publisher to exclude or disclose.
func (r *Realm) emitTo(matches []*subscription, topic wamp.URI, args wamp.List, fx *Effects) {
	p := publication{id: r.newID(), topic: topic, args: args, nodes: &r.broker.nodes}
	var f publishFilter
	fanout(&p, matches, &f, fx)
	clear(matches)
}

// emitIDs publishes a meta event whose payload is [a, b] (two IDs).
func (r *Realm) emitIDs(topic wamp.URI, a, b wamp.ID, fx *Effects) {
	if m := r.metaMatches(topic); m != nil {
		r.emitTo(m, topic, wamp.List{int64(a), int64(b)}, fx)
	}
}

// sessionDetails is the session meta API's description of s (on_join,
// wamp.session.get).
func sessionDetails(s *session) wamp.Dict {
	d := wamp.Dict{
		"session":      int64(s.id),
		"authid":       s.info.AuthID,
		"authrole":     s.info.AuthRole,
		"authmethod":   s.info.AuthMethod,
		"authprovider": s.info.AuthProvider,
	}
	if t := s.info.Transport.Dict(); t != nil {
		d["transport"] = t
	}
	return d
}

// visible reports whether the session meta API shows s: established, and
// not one of the router's own (Internal) sessions.
func (s *session) visible() bool { return s.state == stEstablished && !s.info.Internal }

// joined announces a welcomed session (wamp.session.on_join [details]).
func (r *Realm) joined(s *session, fx *Effects) {
	if s.info.Internal {
		return
	}
	fx.notify(Notice{Kind: NoticeJoined, Session: s.id, Info: &s.info})
	if m := r.metaMatches(topicSessionOnJoin); m != nil {
		r.emitTo(m, topicSessionOnJoin, wamp.List{sessionDetails(s)}, fx)
	}
}

// depart runs once when a welcomed session goes, however it goes (GOODBYE,
// ABORT, a dropped connection, a protocol violation, kill, shutdown),
// after its subscriptions, registrations and calls are released: its
// testaments are published (detached scope first, then destroyed) and
// wamp.session.on_leave [session, authid, authrole] announces it.
func (r *Realm) depart(s *session, fx *Effects) {
	if s.departed {
		return
	}
	s.departed = true
	r.publishTestaments(s, fx)
	if s.info.Internal {
		return
	}
	fx.notify(Notice{Kind: NoticeLeft, Session: s.id})
	if m := r.metaMatches(topicSessionOnLeave); m != nil {
		r.emitTo(m, topicSessionOnLeave, wamp.List{int64(s.id), s.info.AuthID, s.info.AuthRole}, fx)
	}
}

// subscriptionCreated announces a new subscription, created by s's
// SUBSCRIBE (wamp.subscription.on_create [session, SubscriptionDetails]).
func (r *Realm) subscriptionCreated(s *session, sub *subscription, fx *Effects) {
	if s.isNode() {
		return
	}
	if m := r.metaMatches(topicSubscriptionCreate); m != nil {
		r.emitTo(m, topicSubscriptionCreate, wamp.List{int64(s.id), subscriptionDetails(sub)}, fx)
	}
}

// registrationCreated announces a new registration, created by s's
// REGISTER (wamp.registration.on_create [session, RegistrationDetails]).
func (r *Realm) registrationCreated(s *session, reg *registration, fx *Effects) {
	if s.isNode() {
		return
	}
	if m := r.metaMatches(topicRegistrationCreate); m != nil {
		r.emitTo(m, topicRegistrationCreate, wamp.List{int64(s.id), registrationDetails(reg)}, fx)
	}
}
