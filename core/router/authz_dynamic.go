package router

import (
	"slices"
	"strconv"
	"time"

	"github.com/switchboard-wamp/switchboard/core/wamp"
)

// Dynamic authorization: with RealmConfig.Authorizer on, every CALL,
// REGISTER, PUBLISH and SUBSCRIBE of a non-Internal session that the
// static table (if any) allows is also put to the driver's authorizer,
// which may block and so runs off the executor:
//
//	request ──cache hit──> allowed / not_authorized
//	   └──miss──> held; AuthorizeOp{Ticket} in Effects.Authorize
//	Authorized(Ticket, verdict) ──> the request goes on (or is refused),
//	                                 then the session's next held request
//
// A session's requests of those four kinds keep their order: while one is
// held, the later ones wait behind it (at most RealmConfig.MaxHeldRequests;
// one more is refused with wamp.error.authorization_failed, or dropped if
// it is an unacknowledged PUBLISH). A CANCEL of a held CALL answers ERROR
// wamp.error.canceled and forgets it. A verdict whose authorizer failed
// refuses the request with wamp.error.authorization_failed and is not
// cached; others are cached per session for AuthorizerCacheTTL (0: not
// cached), keyed by action, URI, match policy and disclose_me, bounded by
// maxCachedDecisions, measured on the realm's clock (now), and dropped
// with the session.

// DefaultMaxHeldRequests is RealmConfig.MaxHeldRequests's zero-value
// meaning: the requests of one session waiting for the authorizer.
const DefaultMaxHeldRequests = 64

// maxCachedDecisions bounds one session's decision cache; when it is full,
// expired entries go, and if none had expired, all of them.
const maxCachedDecisions = 256

// AuthorizeOp asks the driver to run the realm's authorizer for one
// request of Session, and to report its verdict with Authorized(Ticket).
type AuthorizeOp struct {
	Session SessionID
	Ticket  uint64
	Action  Action
	URI     wamp.URI
	// Match is the subscription's or registration's match policy
	// ("exact", "prefix", "wildcard"); "exact" for calls and publications.
	Match string
	// Options are the request's options. Immutable.
	Options wamp.Dict
}

// authzKey is what a cached decision is for.
type authzKey struct {
	act      Action
	uri      wamp.URI
	policy   matchPolicy
	disclose bool
}

type authzEntry struct {
	allow   bool
	expires time.Time
}

// heldReq is a request waiting for the authorizer (the head of the
// session's queue, ticket != 0) or behind it (ticket 0).
type heldReq struct {
	msg    wamp.Message
	ticket uint64
	key    authzKey
	// claim: the head waits for a cluster claim (cluster_claims.go), not
	// for the authorizer.
	claim bool
}

// verdict is the authorizer's answer for the request being re-run.
type verdict struct {
	allow, failed bool
}

// SetAuthorizer turns dynamic authorization on or off for requests from
// now on; requests already held still get their verdicts. Executor-only.
func (r *Realm) SetAuthorizer(on bool) { r.cfg.Authorizer = on }

// FlushAuthorizations forgets every session's cached decisions (the
// authorizer's policy changed). Executor-only.
func (r *Realm) FlushAuthorizations() {
	for _, s := range r.sessions {
		s.authzCache = nil
	}
}

// askAuthorizer consults s's cache (or the verdict of the request being
// re-run) for a request the static table allowed. It returns the refusal,
// or held = true when the request now waits for the authorizer.
func (r *Realm) askAuthorizer(now time.Time, s *session, key authzKey, m wamp.Message, fx *Effects) (uri wamp.URI, msg string, held bool) {
	if v := s.verdict; v != nil {
		s.verdict = nil
		return verdictRefusal(*v, key)
	}
	if e, ok := s.authzCache[key]; ok {
		if now.Before(e.expires) {
			return verdictRefusal(verdict{allow: e.allow}, key)
		}
		delete(s.authzCache, key)
	}
	r.authzTicket++
	s.held = slices.Insert(s.held, 0, heldReq{msg: m, ticket: r.authzTicket, key: key})
	opts, _ := optionsOf(m)
	fx.Authorize = append(fx.Authorize, AuthorizeOp{Session: s.id, Ticket: r.authzTicket, Action: key.act,
		URI: key.uri, Match: key.policy.String(), Options: opts})
	return "", "", true
}

func verdictRefusal(v verdict, key authzKey) (wamp.URI, string, bool) {
	switch {
	case v.failed:
		return wamp.ErrAuthorizationFailed, "the authorizer failed", false
	case !v.allow:
		return wamp.ErrNotAuthorized, "not authorized to " + key.act.String() + " " + quote(string(key.uri)), false
	}
	return "", "", false
}

// Authorized reports the authorizer's verdict for ticket: allow, or
// failed (the authorizer returned an error). The held request goes on or
// is refused, then the session's later held requests follow. A verdict
// for a request no longer held (the session left, the CALL was canceled)
// is ignored. Executor-only.
func (r *Realm) Authorized(now time.Time, sid SessionID, ticket uint64, allow, failed bool, fx *Effects) {
	s := r.sessions[sid]
	if s == nil || s.state != stEstablished || len(s.held) == 0 || s.held[0].ticket != ticket || s.held[0].claim {
		return
	}
	head := s.held[0]
	s.held = slices.Delete(s.held, 0, 1)
	if !failed && r.cfg.AuthorizerCacheTTL > 0 {
		s.cacheDecision(now, head.key, allow, r.cfg.AuthorizerCacheTTL)
	}
	s.verdict = &verdict{allow: allow, failed: failed}
	r.redispatch(now, s, head.msg, fx)
	s.verdict = nil
	r.drainHeld(now, s, fx)
}

// drainHeld runs s's waiting requests in order until one needs the
// authorizer (it becomes the head) or none is left.
func (r *Realm) drainHeld(now time.Time, s *session, fx *Effects) {
	for len(s.held) > 0 && s.held[0].ticket == 0 && r.sessions[s.id] == s && s.state == stEstablished {
		m := s.held[0].msg
		s.held = slices.Delete(s.held, 0, 1)
		r.redispatch(now, s, m, fx)
	}
}

// redispatch runs one request of the four authorized kinds.
func (r *Realm) redispatch(now time.Time, s *session, m wamp.Message, fx *Effects) {
	switch msg := m.(type) {
	case *wamp.Call:
		r.call(now, s, msg, fx)
	case *wamp.Publish:
		r.publish(now, s, msg, fx)
	case *wamp.Subscribe:
		r.subscribe(now, s, msg, fx)
	case *wamp.Register:
		r.register(now, s, msg, fx)
	}
}

// queueBehind keeps m behind s's held requests, so that its requests stay
// in order; it reports false when none is held. Beyond MaxHeldRequests
// the request is refused.
func (r *Realm) queueBehind(s *session, m wamp.Message, fx *Effects) bool {
	if len(s.held) == 0 {
		return false
	}
	if len(s.held) >= r.cfg.MaxHeldRequests {
		waitingFor := "authorization"
		if s.held[0].claim {
			waitingFor = "a cluster claim"
		}
		refuse(s, m, wamp.ErrAuthorizationFailed, "too many requests waiting for "+waitingFor+" (at most "+
			strconv.Itoa(r.cfg.MaxHeldRequests)+")", fx)
		return true
	}
	s.held = append(s.held, heldReq{msg: m})
	return true
}

// cancelHeld answers a CANCEL of a CALL still waiting for authorization:
// ERROR wamp.error.canceled, and the call is forgotten (a verdict for it
// is ignored; the next held request is asked for). It reports whether the
// CALL was held.
func (r *Realm) cancelHeld(now time.Time, s *session, req wamp.ID, fx *Effects) bool {
	i := slices.IndexFunc(s.held, func(h heldReq) bool {
		c, ok := h.msg.(*wamp.Call)
		return ok && c.Request == req
	})
	if i < 0 {
		return false
	}
	s.held = slices.Delete(s.held, i, i+1)
	fx.send(s.id, errorMsg(wamp.CALL, req, wamp.ErrCanceled, "call canceled"))
	if i == 0 {
		r.drainHeld(now, s, fx)
	}
	return true
}

// refuse answers a request with ERROR uri (an unacknowledged PUBLISH gets
// nothing).
func refuse(s *session, m wamp.Message, uri wamp.URI, msg string, fx *Effects) {
	var t wamp.Type
	var req wamp.ID
	switch v := m.(type) {
	case *wamp.Call:
		t, req = wamp.CALL, v.Request
	case *wamp.Register:
		t, req = wamp.REGISTER, v.Request
	case *wamp.Subscribe:
		t, req = wamp.SUBSCRIBE, v.Request
	case *wamp.Publish:
		if ack, _ := wamp.OptBool(v.Options, wamp.OptAcknowledge); !ack {
			return
		}
		t, req = wamp.PUBLISH, v.Request
	default:
		return
	}
	fx.send(s.id, errorMsg(t, req, uri, msg))
}

// optionsOf returns a request's options.
func optionsOf(m wamp.Message) (wamp.Dict, bool) {
	switch v := m.(type) {
	case *wamp.Call:
		return v.Options, true
	case *wamp.Register:
		return v.Options, true
	case *wamp.Subscribe:
		return v.Options, true
	case *wamp.Publish:
		return v.Options, true
	}
	return nil, false
}

// cacheDecision remembers a verdict until now+ttl.
func (s *session) cacheDecision(now time.Time, key authzKey, allow bool, ttl time.Duration) {
	if s.authzCache == nil {
		s.authzCache = map[authzKey]authzEntry{}
	}
	if len(s.authzCache) >= maxCachedDecisions {
		for k, e := range s.authzCache {
			if !now.Before(e.expires) {
				delete(s.authzCache, k)
			}
		}
		if len(s.authzCache) >= maxCachedDecisions {
			clear(s.authzCache)
		}
	}
	s.authzCache[key] = authzEntry{allow: allow, expires: now.Add(ttl)}
}
