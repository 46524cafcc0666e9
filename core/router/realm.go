package router

import (
	"cmp"
	"maps"
	"slices"
	"strconv"
	"time"

	"github.com/switchboard-wamp/switchboard/core/wamp"
)

// defaultGoodbyeTimeout is RealmConfig.GoodbyeTimeout's zero-value meaning.
const defaultGoodbyeTimeout = 5 * time.Second

func (c RealmConfig) withDefaults() RealmConfig {
	if c.GoodbyeTimeout <= 0 {
		c.GoodbyeTimeout = defaultGoodbyeTimeout
	}
	if c.MaxOptionListLen <= 0 {
		c.MaxOptionListLen = DefaultMaxOptionListLen
	}
	if c.MaxHeldRequests <= 0 {
		c.MaxHeldRequests = DefaultMaxHeldRequests
	}
	if c.MaxPendingCallsPerSession <= 0 {
		c.MaxPendingCallsPerSession = DefaultMaxPendingCallsPerSession
	}
	if c.MaxTestaments <= 0 {
		c.MaxTestaments = DefaultMaxTestaments
	}
	if c.MaxTestamentBytes <= 0 {
		c.MaxTestamentBytes = DefaultMaxTestamentBytes
	}
	if c.RetainedEventMaxBytes <= 0 {
		c.RetainedEventMaxBytes = DefaultRetainedEventMaxBytes
	}
	return c
}

// Realm is one WAMP realm: its sessions, broker and dealer, as a pure state
// machine. It is not safe for concurrent use: every method must be called
// from the realm's one serial executor (doc.go, duty 1).
type Realm struct {
	cfg      RealmConfig
	ids      IDSource
	rng      prng
	sessions map[SessionID]*session
	broker   broker
	dealer   dealer

	deadlines    deadlineHeap
	goodbyeSeq   uint64
	shuttingDown int // sessions in stShuttingDown
	handshakeSeq uint64
	handshaking  int    // sessions not welcomed yet (handshake.go)
	authzTicket  uint64 // the last AuthorizeOp's ticket (authz_dynamic.go)

	// closing is set by Shutdown: later Joins are refused with closeReason.
	closing     bool
	closeReason wamp.URI
	// historiesStarted: the subscriptions of cfg.History exist
	// (broker_history.go).
	historiesStarted bool

	// remote are the sessions of other nodes of the cluster
	// (cluster_sessions.go).
	remote map[SessionID]*RemoteSession

	// welcomeRoles is WELCOME.Details.roles, shared by every WELCOME.
	welcomeRoles wamp.Dict
}

// NewRealm returns an empty realm. ids must not be nil: it yields the
// realm's subscription, registration and publication IDs (and the PRNG seed
// when cfg.RandomSeed is 0).
func NewRealm(cfg RealmConfig, ids IDSource) *Realm {
	if ids == nil {
		panic("router: NewRealm: nil IDSource")
	}
	cfg = cfg.withDefaults()
	r := &Realm{
		cfg:      cfg,
		ids:      ids,
		sessions: map[SessionID]*session{},
		broker:   newBroker(),
		dealer:   newDealer(),
	}
	r.welcomeRoles = wamp.Dict{
		"broker": wamp.Dict{"features": r.brokerFeatures()},
		"dealer": wamp.Dict{"features": dealerFeatures},
	}
	r.rng.state = cfg.RandomSeed
	if r.rng.state == 0 {
		r.rng.state = uint64(ids.NextID())
	}
	return r
}

// brokerFeatures are the broker features this realm announces: the
// broker's, plus those its configuration turns on.
func (r *Realm) brokerFeatures() wamp.Dict {
	if r.cfg.RetainedTopics <= 0 && len(r.cfg.History) == 0 {
		return brokerFeatures
	}
	f := maps.Clone(brokerFeatures)
	if r.cfg.RetainedTopics > 0 {
		f[wamp.FeatureEventRetention] = true
	}
	if len(r.cfg.History) > 0 {
		f[wamp.FeatureEventHistory] = true
	}
	return f
}

// URI returns the realm's name.
func (r *Realm) URI() wamp.URI { return r.cfg.URI }

// SessionCount returns the number of sessions in the realm, including
// those the router said GOODBYE to and that have not answered yet, but not
// those still in their handshake. Executor-only.
func (r *Realm) SessionCount() int { return len(r.sessions) - r.handshaking }

// Has reports whether sid is in the realm (established or shutting down).
// Executor-only.
func (r *Realm) Has(sid SessionID) bool { _, ok := r.sessions[sid]; return ok }

func (r *Realm) newID() wamp.ID { return r.ids.NextID() }

// idString renders an ID in decimal.
func idString(id wamp.ID) string { return strconv.FormatUint(uint64(id), 10) }

// Join admits an authenticated session and emits WELCOME to sid with
// Details {realm, roles: {broker: {features}, dealer: {features}}, authid,
// authrole, authmethod, authprovider[, authextra]}; realm is info.Realm when
// set, and authextra is info.AuthExtra when not empty. The client features the router acts
// on (callee progressive_call_results and call_canceling) are read from
// hello.Details.roles (validated by Preamble). After Shutdown,
// Join answers ABORT with the shutdown reason and a CloseOp instead.
// Joining a sid that is already in the realm is a driver bug and panics.
// Executor-only.
func (r *Realm) Join(now time.Time, sid SessionID, hello *wamp.Hello, info SessionInfo, fx *Effects) {
	if r.closing {
		fx.send(sid, abortMsg(r.closeReason, "realm is shutting down"))
		fx.close(sid, r.closeReason)
		return
	}
	if _, dup := r.sessions[sid]; dup {
		panic("router: Join: session ID already in the realm")
	}
	r.startHistories(now)
	if info.Node != "" {
		info.Internal = true
	}
	s := &session{id: sid, info: info, state: stEstablished, feats: parseFeatures(hello.Details), node: info.Node != ""}
	r.sessions[sid] = s
	fx.send(sid, r.welcome(sid, info))
	r.joined(s, fx)
}

// welcome builds WELCOME for sid admitted as info.
func (r *Realm) welcome(sid SessionID, info SessionInfo) *wamp.Welcome {
	realm := r.cfg.URI
	if info.Realm != "" {
		realm = info.Realm
	}
	details := wamp.Dict{
		"realm":        string(realm),
		"roles":        r.welcomeRoles,
		"authid":       info.AuthID,
		"authrole":     info.AuthRole,
		"authmethod":   info.AuthMethod,
		"authprovider": info.AuthProvider,
	}
	if len(info.AuthExtra) > 0 {
		details["authextra"] = info.AuthExtra
	}
	return &wamp.Welcome{Session: sid, Details: details}
}

// Handle processes one message from a session, as the session state
// machine (session.go, transitions) dictates: the action the table gives
// for the session's state and the message's type decides what happens.
// Messages for a sid that is not in the realm (never joined, or already
// removed: the driver may race a close against queued input) are ignored.
// Executor-only.
func (r *Realm) Handle(now time.Time, sid SessionID, m wamp.Message, fx *Effects) {
	s := r.sessions[sid]
	if s == nil || m == nil {
		return
	}
	act := actionFor(s.state, m.Type())
	switch act {
	case actIgnore:
		return
	case actViolation:
		r.violate(s, notAllowed(s.state, m.Type()), fx)
		return
	case actAbort, actHandshakeAbort:
		reason := wamp.URI("")
		if a, ok := m.(*wamp.Abort); ok {
			reason = a.Reason
		}
		fx.close(s.id, reason)
		r.remove(s, fx)
		return
	case actGoodbyeReply:
		fx.close(s.id, s.goodbyeReason)
		r.remove(s, fx)
		return
	}
	// Well-known options of the wrong type are protocol violations (as in
	// autobahn's message parsing), checked here so every driver gets them.
	if err := wamp.ValidateOptions(m); err != nil {
		r.violate(s, violationReason(err), fx)
		return
	}
	if !r.dispatchAction(now, act, s, m, fx) {
		r.violate(s, "unexpected "+m.Type().String()+" message value", fx)
	}
}

// notAllowed explains a message the table refuses in state st.
func notAllowed(st sessState, t wamp.Type) string {
	switch {
	case st == stAuthenticating && t == wamp.AUTHENTICATE:
		return "AUTHENTICATE without a CHALLENGE"
	case st.handshaking():
		return t.String() + " before WELCOME"
	}
	return t.String() + " is not allowed from a client in state " + st.String()
}

// dispatchAction carries out a message's action. It returns false when
// the message value does not match its type code.
func (r *Realm) dispatchAction(now time.Time, act action, s *session, m wamp.Message, fx *Effects) bool {
	switch act {
	case actGoodbye:
		g, ok := m.(*wamp.Goodbye)
		if ok {
			fx.send(s.id, &wamp.Goodbye{Details: emptyDetails, Reason: wamp.CloseGoodbyeAndOut})
			fx.close(s.id, g.Reason)
			r.remove(s, fx)
		}
		return ok
	case actAuthenticate:
		a, ok := m.(*wamp.Authenticate)
		if ok {
			r.authenticate(s, a, fx)
		}
		return ok
	case actCall:
		return do(m, func(msg *wamp.Call) {
			if !r.queueBehind(s, msg, fx) {
				r.call(now, s, msg, fx)
			}
		})
	case actYield:
		return do(m, func(msg *wamp.Yield) { r.yield(s, msg, fx) })
	case actPublish:
		return do(m, func(msg *wamp.Publish) {
			if !r.queueBehind(s, msg, fx) {
				r.publish(now, s, msg, fx)
			}
		})
	case actError:
		return do(m, func(msg *wamp.Error) {
			if msg.RequestType != wamp.INVOCATION {
				r.violate(s, "ERROR from a client must answer an INVOCATION, not "+msg.RequestType.String(), fx)
				return
			}
			r.calleeError(s, msg, fx)
		})
	case actCancel:
		return do(m, func(msg *wamp.Cancel) { r.cancel(now, s, msg, fx) })
	case actSubscribe:
		return do(m, func(msg *wamp.Subscribe) {
			if !r.queueBehind(s, msg, fx) {
				r.subscribe(now, s, msg, fx)
			}
		})
	case actUnsubscribe:
		return do(m, func(msg *wamp.Unsubscribe) { r.unsubscribe(s, msg, fx) })
	case actRegister:
		return do(m, func(msg *wamp.Register) {
			if !r.queueBehind(s, msg, fx) {
				r.register(now, s, msg, fx)
			}
		})
	case actUnregister:
		return do(m, func(msg *wamp.Unregister) { r.unregister(s, msg, fx) })
	}
	return false
}

// do runs f with m as a T, and reports whether m is one.
func do[T wamp.Message](m wamp.Message, f func(T)) bool {
	msg, ok := m.(T)
	if ok {
		f(msg)
	}
	return ok
}

// Malformed reports that sid sent a frame that could not be decoded or
// validated: ABORT wamp.error.protocol_violation with Details.message =
// reason, a CloseOp, and the same cleanup as Detach. Unknown sids are
// ignored. Executor-only.
func (r *Realm) Malformed(now time.Time, sid SessionID, reason string, fx *Effects) {
	if s := r.sessions[sid]; s != nil {
		r.violate(s, reason, fx)
	}
}

// Detach removes a session whose connection dropped without GOODBYE: its
// subscriptions and registrations go; calls it made are forgotten (INTERRUPT
// killnowait to callees that announced call_canceling); calls it was
// serving fail at their callers with ERROR wamp.error.canceled. Nothing is
// sent to sid and no CloseOp is emitted. Unknown sids are ignored.
// Executor-only.
func (r *Realm) Detach(now time.Time, sid SessionID, fx *Effects) {
	if s := r.sessions[sid]; s != nil {
		r.remove(s, fx)
	}
}

// Shutdown says GOODBYE {reason} to every established session, in session
// ID order. Each is cleaned up at once (as by Detach) and then has
// cfg.GoodbyeTimeout to answer GOODBYE before Expire closes it anyway. Later
// Joins are refused. Executor-only.
func (r *Realm) Shutdown(now time.Time, reason wamp.URI, fx *Effects) {
	r.closing, r.closeReason = true, reason
	ids := make([]SessionID, 0, len(r.sessions))
	for sid, s := range r.sessions {
		if s.state == stEstablished || s.state.handshaking() {
			ids = append(ids, sid)
		}
	}
	slices.SortFunc(ids, cmp.Compare[SessionID])
	for _, sid := range ids {
		if s := r.sessions[sid]; s.state.handshaking() {
			r.endHandshake(s, reason, "the router is shutting down", fx)
			continue
		}
		r.goodbye(now, r.sessions[sid], reason, emptyDetails, fx)
	}
}

// Kill says GOODBYE {reason} to one established session, with the same
// cleanup and grace period as Shutdown. Unknown or already closing sids
// are ignored. Executor-only.
func (r *Realm) Kill(now time.Time, sid SessionID, reason wamp.URI, fx *Effects) {
	if s := r.sessions[sid]; s != nil && s.state == stEstablished {
		r.goodbye(now, s, reason, emptyDetails, fx)
	}
}

// goodbye moves s to stShuttingDown: GOODBYE {details} reason out,
// everything it owns released, the grace deadline armed.
func (r *Realm) goodbye(now time.Time, s *session, reason wamp.URI, details wamp.Dict, fx *Effects) {
	fx.send(s.id, &wamp.Goodbye{Details: details, Reason: reason})
	r.release(s, fx)
	s.state = stShuttingDown
	r.shuttingDown++
	r.goodbyeSeq++
	s.goodbyeSeq, s.goodbyeReason = r.goodbyeSeq, reason
	r.addDeadline(deadline{at: now.Add(r.cfg.GoodbyeTimeout), kind: dlGoodbye, key: callKey{sid: s.id}, seq: s.goodbyeSeq})
}

// listOverLimit returns why a request from s is refused because one of
// its list-valued options holds more than cfg.MaxOptionListLen entries, or
// "" when none does (or s is Internal).
func (r *Realm) listOverLimit(s *session, m wamp.Message) string {
	if s.info.Internal {
		return ""
	}
	key, n := wamp.ListOptionOver(m, r.cfg.MaxOptionListLen)
	if key == "" {
		return ""
	}
	return "option " + quote(key) + " has " + strconv.Itoa(n) + " entries; this realm allows at most " +
		strconv.Itoa(r.cfg.MaxOptionListLen)
}

// violate answers a session-fatal protocol error: ABORT, close, remove.
func (r *Realm) violate(s *session, reason string, fx *Effects) {
	fx.send(s.id, abortMsg(wamp.ErrProtocolViolationURI, reason))
	fx.close(s.id, wamp.ErrProtocolViolationURI)
	if s.state.handshaking() {
		r.removeHandshake(s, wamp.ErrProtocolViolationURI, fx)
		return
	}
	r.remove(s, fx)
}

// remove releases everything s owns and deletes it from the realm. A
// session still in its handshake owns nothing; the driver is told
// (HandshakeEnd, no reason: nothing was sent).
func (r *Realm) remove(s *session, fx *Effects) {
	if s.state.handshaking() {
		r.removeHandshake(s, "", fx)
		return
	}
	r.release(s, fx)
	if s.state == stShuttingDown {
		r.shuttingDown--
	}
	delete(r.sessions, s.id)
}

// release drops s's subscriptions, registrations and pending calls, then
// publishes its testaments and announces its departure (depart; meta
// events). Idempotent: a second call finds nothing.
func (r *Realm) release(s *session, fx *Effects) {
	r.dropSubscriptions(s, fx)
	r.dropRegistrations(s, fx)
	r.dropCalls(s, fx)
	s.held, s.verdict, s.authzCache = nil, nil, nil
	r.depart(s, fx)
}
