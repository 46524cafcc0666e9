package router

import (
	"time"

	"github.com/switchboard-wamp/switchboard/core/wamp"
)

// SessionID identifies a session inside the router (the WAMP session ID).
type SessionID = wamp.ID

// IDSource yields IDs in the spec's range 1..2^53. The router uses it for
// global-scope IDs (publications) and router-scope IDs (subscriptions,
// registrations); session-scope IDs (INVOCATION requests) are sequential per
// session. Seeded in tests, crypto-random in production.
type IDSource interface {
	NextID() wamp.ID
}

// Outbound is one message the driver must deliver to a session, in order.
type Outbound struct {
	To  SessionID
	Msg wamp.Message
	// Shared: the same Msg goes to several sessions in this step (the
	// subscribers of one subscription get one EVENT). The driver encodes
	// it once per serializer instead of once per receiver.
	Shared bool
	// Acked: the message belongs to an acknowledged publication — one of
	// its EVENTs, or the PUBLISHED that follows them (last). The driver
	// checks that each such EVENT can be delivered before sending it, and
	// answers the publisher with ERROR instead of that PUBLISHED when one
	// could not (the others were delivered).
	Acked bool
}

// CloseOp tells the driver to close a session's connection after sending
// what precedes it in Effects.Out. The session is already gone from the realm.
type CloseOp struct {
	Session SessionID
	Reason  wamp.URI
}

// Effects is what one step of the router wants done, appended in emission
// order into a buffer the driver owns and resets between steps.
type Effects struct {
	Out   []Outbound
	Close []CloseOp
	// Notify reports subscription lifecycle changes, in emission order
	// (see Notice); a driver that needs none of them may ignore it unless
	// RealmConfig.SubscribeApproval is on. (Added by core/router for the
	// application's topic handlers; additive.)
	Notify []Notice
	// Handshake lists the handshake steps the driver carries out for
	// sessions not yet welcomed (handshake.go), in emission order.
	Handshake []HandshakeOp
	// Authorize lists requests held for the realm's dynamic authorizer
	// (authz_dynamic.go), in emission order; the driver answers each with
	// Authorized.
	Authorize []AuthorizeOp
	// Claim lists the cluster claims of held REGISTERs (answered with
	// Claimed) and the claims to give up (Release, not answered), in
	// emission order (cluster_claims.go). Only with
	// RealmConfig.ClusterClaims on.
	Claim []ClaimOp
}

// Reset empties fx, keeping capacity.
func (fx *Effects) Reset() {
	clear(fx.Out)
	fx.Out = fx.Out[:0]
	clear(fx.Close)
	fx.Close = fx.Close[:0]
	clear(fx.Notify)
	fx.Notify = fx.Notify[:0]
	clear(fx.Handshake)
	fx.Handshake = fx.Handshake[:0]
	clear(fx.Authorize)
	fx.Authorize = fx.Authorize[:0]
	clear(fx.Claim)
	fx.Claim = fx.Claim[:0]
}

// Empty reports whether fx holds nothing to carry out.
func (fx *Effects) Empty() bool {
	return len(fx.Out) == 0 && len(fx.Close) == 0 && len(fx.Notify) == 0 && len(fx.Handshake) == 0 && len(fx.Authorize) == 0 &&
		len(fx.Claim) == 0
}

// RealmConfig configures one realm. The zero value is usable: loose URIs,
// anonymous authentication.
type RealmConfig struct {
	URI wamp.URI
	// StrictURI selects the spec's strict URI rules for topics and
	// procedures; otherwise the loose rules apply.
	StrictURI bool
	// GoodbyeTimeout is how long a router-initiated GOODBYE waits for the
	// peer's reply before the connection is closed anyway. 0 = 5s.
	GoodbyeTimeout time.Duration
	// RandomSeed seeds the realm's PRNG, used by shared registrations with
	// invoke "random". 0 = draw the seed from the IDSource in NewRealm.
	// (Added by core/router; additive.)
	RandomSeed uint64
	// SubscribeApproval holds every SUBSCRIBE that would add a
	// non-Internal session to a subscription until the driver answers the
	// NoticeSubscribeRequest it produces with ApproveSubscribe or
	// DenySubscribe. (Added by core/router; additive.)
	SubscribeApproval bool
	// MaxOptionListLen is the most entries a list-valued option of a
	// request may hold: PUBLISH's exclude, eligible, exclude_authid,
	// eligible_authid, exclude_authrole and eligible_authrole, and
	// forward_for of PUBLISH, SUBSCRIBE, CALL and REGISTER. A request over
	// it is answered with ERROR wamp.error.invalid_argument naming the
	// option, its length and the limit (a PUBLISH only when
	// acknowledge=true; otherwise it is discarded), before any routing
	// work. Internal sessions are exempt. 0 = DefaultMaxOptionListLen.
	// (Added by core/router; additive.)
	MaxOptionListLen int
	// Authorization, when not nil, decides by each session's authrole
	// which URIs it may call, register, publish and subscribe to, and
	// whether it may disclose its identity (authz.go). nil: everything is
	// allowed. Internal sessions are never checked. (Added by core/router;
	// additive.)
	Authorization *Authorization
	// Authorizer turns dynamic authorization on: requests the static
	// table allows are also put to the driver's authorizer
	// (Effects.Authorize, answered with Authorized; authz_dynamic.go).
	// AuthorizerCacheTTL is how long a session's verdicts are cached (0:
	// not cached); MaxHeldRequests bounds the requests of one session
	// waiting for verdicts (0 = DefaultMaxHeldRequests). (Added by
	// core/router; additive.)
	Authorizer         bool
	AuthorizerCacheTTL time.Duration
	MaxHeldRequests    int
	// SessionKill lets sessions call wamp.session.kill, kill_by_authid,
	// kill_by_authrole and kill_all (session meta API). Off: those calls
	// are answered with ERROR wamp.error.not_authorized. (Added by
	// core/router; additive.)
	SessionKill bool
	// MaxTestaments is the most testaments (wamp.session.add_testament)
	// one session may hold, both scopes together; 0 =
	// DefaultMaxTestaments. MaxTestamentBytes bounds the approximate size
	// of their payloads (topic, args, kwargs, publish options) together;
	// 0 = DefaultMaxTestamentBytes. A testament beyond either is refused
	// with ERROR wamp.error.invalid_argument. (Added by core/router;
	// additive.)
	MaxTestaments     int
	MaxTestamentBytes int
	// RetainedTopics turns event retention on (broker_retain.go): at most
	// this many topics keep their last publication with options.retain,
	// for subscribers asking get_retained; each such event may be at most
	// RetainedEventMaxBytes (approximately; 0 =
	// DefaultRetainedEventMaxBytes). 0 = off, and event_retention is not
	// announced. (Added by core/router; additive.)
	RetainedTopics        int
	RetainedEventMaxBytes int
	// MaxPendingCallsPerSession bounds the CALLs one session may have
	// routed and not yet answered (as caller). A CALL beyond it is refused
	// at once with ERROR ErrTooManyPendingCalls and nothing is routed or
	// remembered; the session's other calls go on. Internal sessions are
	// exempt. 0 = DefaultMaxPendingCallsPerSession. (Added by core/router;
	// additive.)
	MaxPendingCallsPerSession int
	// History lists the subscriptions whose events the realm keeps for
	// wamp.subscription.get_events (broker_history.go); event_history is
	// announced when it is not empty. (Added by core/router; additive.)
	History []HistoryConfig
	// ClusterClaims holds every REGISTER that would give a procedure its
	// first non-Internal callee on this node until the driver has claimed
	// it cluster-wide (Effects.Claim, answered with Claimed;
	// cluster_claims.go). (Added by core/router for clustering; additive.)
	ClusterClaims bool
}

// Defaults of RealmConfig.MaxTestaments and MaxTestamentBytes: a client
// announces its departure on a few topics, not a history.
const (
	DefaultMaxTestaments     = 16
	DefaultMaxTestamentBytes = 64 << 10
)

// DefaultMaxPendingCallsPerSession is
// RealmConfig.MaxPendingCallsPerSession's zero-value meaning: far more
// calls than any client keeps outstanding on purpose, while bounding the
// call records (about 200 bytes each with their index entries) one session
// can make the router hold.
const DefaultMaxPendingCallsPerSession = 1000

// ErrTooManyPendingCalls answers a CALL beyond
// RealmConfig.MaxPendingCallsPerSession. No spec URI means "this caller
// has too many calls outstanding" (wamp.error.unavailable and
// no_available_callee speak of callees, invalid_argument of the payload),
// so the router uses its own, under switchboard.error.
const ErrTooManyPendingCalls wamp.URI = "switchboard.error.too_many_pending_calls"

// DefaultMaxOptionListLen is RealmConfig.MaxOptionListLen's zero-value
// meaning. Black- and white-lists name sessions, authids or roles that one
// publication singles out; a thousand is more than any such list the
// spec's use cases need, while bounding the work one message can ask of
// the realm's executor (building a set of at most this many entries per
// list) and leaving longer lists, should a deployment need them, a
// configuration change away.
const DefaultMaxOptionListLen = 1024

// SessionInfo is what the driver knows of a session when it attaches it.
type SessionInfo struct {
	// AuthID, AuthRole, AuthMethod, AuthProvider: the identity established
	// by authentication (anonymous: authid = a random string, role
	// "anonymous", method "anonymous", provider "static").
	AuthID       string
	AuthRole     string
	AuthMethod   string
	AuthProvider string
	// Internal marks the router's own sessions (meta API, application
	// procedures): only they may REGISTER procedures and PUBLISH to topics
	// under the reserved "wamp." prefix. (Added by core/router; additive.)
	Internal bool
	// Realm, when set, is the realm name WELCOME reports instead of the
	// realm's URI (a session that asked for an unconfigured realm and was
	// placed in the application's default realm). AuthExtra, when not
	// empty, is WELCOME.Details.authextra. (Added by core/router; additive.)
	Realm     wamp.URI
	AuthExtra wamp.Dict
	// Transport describes the session's connection for the session meta
	// API (the "transport" dict of wamp.session.get and on_join); the
	// zero value leaves it out. (Added by core/router; additive.)
	Transport TransportInfo
	// Node, when set, makes this a node session: the stand-in of the
	// cluster node of that name in this realm (cluster.go). It implies
	// Internal. Only Join honours it (an authenticated session never is
	// one). (Added by core/router for clustering; additive.)
	Node string
}

// TransportInfo describes a session's connection. It is kept as plain
// fields and becomes the meta API's "transport" dict only when asked for
// (Dict): an idle session holds 40 bytes instead of a map.
type TransportInfo struct {
	Type       string // "websocket", "rawsocket", ...
	Serializer string
	Peer       string // the peer's address
	TLS        bool
}

// Dict is the session meta API's "transport" dict, nil for the zero value.
func (t TransportInfo) Dict() wamp.Dict {
	if t == (TransportInfo{}) {
		return nil
	}
	return wamp.Dict{"type": t.Type, "serializer": t.Serializer, "peer": t.Peer, "tls": t.TLS}
}
