package router

import (
	"strconv"
	"time"

	"github.com/switchboard-wamp/switchboard/core/wamp"
)

// NoticeKind says what a Notice reports.
type NoticeKind uint8

const (
	// NoticeSubscribeRequest: a session asked to join a subscription it is
	// not part of yet, and RealmConfig.SubscribeApproval holds the
	// SUBSCRIBE until the driver calls ApproveSubscribe or DenySubscribe
	// with (Session, Request). Topic, Match and Options are the
	// SUBSCRIBE's; Subscription is 0.
	NoticeSubscribeRequest NoticeKind = iota + 1
	// NoticeSubscribed: the session became a subscriber of Subscription
	// (its SUBSCRIBED follows in Effects.Out). Request is the SUBSCRIBE's.
	NoticeSubscribed
	// NoticeUnsubscribed: the session stopped being a subscriber of
	// Subscription, by UNSUBSCRIBE (Request is the UNSUBSCRIBE's) or
	// because it left, was killed or the realm shut down (Request is 0).
	NoticeUnsubscribed
	// NoticeRegistered: the session became a callee of Registration
	// (procedure Topic, policies Match and Invoke); its REGISTERED follows
	// in Effects.Out. NoticeUnregistered: it stopped being one (UNREGISTER,
	// or it left). Subscription and Request are 0. For clustering
	// (cluster.go): a node announces the registrations of its sessions.
	NoticeRegistered
	NoticeUnregistered
	// NoticeJoined: a client session was welcomed (Info is its identity);
	// NoticeLeft: it left, however it left. Internal sessions (the
	// application's, node sessions) are not reported. For clustering: a
	// node announces its sessions for the session meta API of the others.
	NoticeJoined
	NoticeLeft
)

func (k NoticeKind) String() string {
	switch k {
	case NoticeSubscribeRequest:
		return "subscribe-request"
	case NoticeSubscribed:
		return "subscribed"
	case NoticeUnsubscribed:
		return "unsubscribed"
	case NoticeRegistered:
		return "registered"
	case NoticeUnregistered:
		return "unregistered"
	case NoticeJoined:
		return "joined"
	case NoticeLeft:
		return "left"
	}
	return "invalid"
}

// Notice is one subscription lifecycle change reported in Effects.Notify.
// Subscribers of one subscription share its ID, so a Notice names the
// session as well. Internal sessions' subscriptions are reported too, but
// never held for approval.
type Notice struct {
	Kind         NoticeKind
	Session      SessionID
	Request      wamp.ID
	Subscription wamp.ID
	Topic        wamp.URI
	// Match is the subscription's match policy: "exact", "prefix" or
	// "wildcard".
	Match string
	// Options are the SUBSCRIBE options (NoticeSubscribeRequest only).
	// Immutable, like every message value in Effects.
	Options wamp.Dict
	// Registration and Invoke: NoticeRegistered and NoticeUnregistered
	// only (Topic is then the procedure).
	Registration wamp.ID
	Invoke       string
	// Info is the session's identity (NoticeJoined only). Immutable.
	Info *SessionInfo
}

// pendingSub is a SUBSCRIBE held for the driver's approval.
type pendingSub struct {
	topic       wamp.URI
	policy      matchPolicy
	getRetained bool
}

func (fx *Effects) notify(n Notice) { fx.Notify = append(fx.Notify, n) }

// ApproveSubscribe lets a held SUBSCRIBE (NoticeSubscribeRequest) through:
// the session joins the subscription (NoticeSubscribed) and gets
// SUBSCRIBED. It returns the subscription ID and whether the session was
// added by this call; false when the request is not held (the session left
// or was closed meanwhile, or the request was already answered) or when the
// session had meanwhile joined the same subscription through another
// request (then it still gets SUBSCRIBED). Executor-only.
func (r *Realm) ApproveSubscribe(now time.Time, sid SessionID, req wamp.ID, fx *Effects) (wamp.ID, bool) {
	s := r.sessions[sid]
	if s == nil || s.state != stEstablished {
		return 0, false
	}
	p, ok := s.pendingSubs[req]
	if !ok {
		return 0, false
	}
	delete(s.pendingSubs, req)
	return r.addSubscriber(now, s, req, p.topic, p.policy, p.getRetained, fx)
}

// DenySubscribe refuses a held SUBSCRIBE with ERROR SUBSCRIBE carrying uri
// (wamp.error.not_authorized when empty), args and kwargs. It reports
// whether the request was held. Executor-only.
func (r *Realm) DenySubscribe(now time.Time, sid SessionID, req wamp.ID, uri wamp.URI, args wamp.List, kwargs wamp.Dict, fx *Effects) bool {
	s := r.sessions[sid]
	if s == nil || s.state != stEstablished {
		return false
	}
	if _, ok := s.pendingSubs[req]; !ok {
		return false
	}
	delete(s.pendingSubs, req)
	if uri == "" {
		uri = wamp.ErrNotAuthorized
	}
	fx.send(s.id, &wamp.Error{RequestType: wamp.SUBSCRIBE, Request: req, Details: emptyDetails, Error: uri, Args: args, Kwargs: kwargs})
	return true
}

// holdSubscribe parks a SUBSCRIBE for approval. A second SUBSCRIBE with the
// request ID of one still held is a protocol violation (request IDs of a
// session's pending requests are unique).
func (r *Realm) holdSubscribe(s *session, m *wamp.Subscribe, policy matchPolicy, fx *Effects) {
	if _, dup := s.pendingSubs[m.Request]; dup {
		r.violate(s, "SUBSCRIBE request ID "+strconv.FormatUint(uint64(m.Request), 10)+" is already pending", fx)
		return
	}
	if s.pendingSubs == nil {
		s.pendingSubs = map[wamp.ID]pendingSub{}
	}
	getRetained, _ := wamp.OptBool(m.Options, wamp.OptGetRetained)
	s.pendingSubs[m.Request] = pendingSub{topic: m.Topic, policy: policy, getRetained: getRetained}
	fx.notify(Notice{Kind: NoticeSubscribeRequest, Session: s.id, Request: m.Request, Topic: m.Topic,
		Match: policy.String(), Options: m.Options})
}
