package router

import (
	"github.com/switchboard-wamp/switchboard/core/wamp"
)

// sessState is the router-side state of a session. A connection that has
// not sent HELLO yet is the driver's business (Preamble); a removed session
// is simply absent from Realm.sessions. The handshake states come first:
// HELLO (Hello) -> authenticating [<-> challenged] -> opening -> established
// (WELCOME); Join admits straight into established.
type sessState uint8

const (
	// stEstablished: WELCOME sent; the session may use its roles.
	stEstablished sessState = iota
	// stShuttingDown: the router sent GOODBYE and waits for the reply
	// (until the session's goodbye deadline). Its subscriptions,
	// registrations and calls are already gone.
	stShuttingDown
	// stAuthenticating: the driver runs the realm's authenticator
	// (HandshakeAuthenticate); no CHALLENGE is outstanding.
	stAuthenticating
	// stChallenged: a CHALLENGE went out; the client must answer with
	// AUTHENTICATE (HandshakeAnswer to the authenticator).
	stChallenged
	// stOpening: admitted; the driver runs the application's session-open
	// hooks (HandshakeOpen) and then calls Opened.
	stOpening
	numStates
)

// handshaking reports whether s has not been welcomed yet.
func (s sessState) handshaking() bool { return s >= stAuthenticating }

func (s sessState) String() string {
	switch s {
	case stEstablished:
		return "established"
	case stShuttingDown:
		return "shutting-down"
	case stAuthenticating:
		return "authenticating"
	case stChallenged:
		return "challenged"
	case stOpening:
		return "opening"
	}
	return "invalid"
}

// action is what the realm does with one incoming message.
type action uint8

const (
	// actViolation: ABORT wamp.error.protocol_violation, close, remove.
	actViolation action = iota
	// actIgnore: drop the message without reply (only while shutting down,
	// where the spec lets the router discard everything but GOODBYE).
	actIgnore
	actGoodbye      // client-initiated GOODBYE: reply goodbye_and_out, close, remove
	actGoodbyeReply // reply to the router's GOODBYE: close, remove, no second GOODBYE
	actAbort        // client ABORT: close, remove, no reply
	actPublish
	actSubscribe
	actUnsubscribe
	actCall
	actCancel
	actRegister
	actUnregister
	actYield
	actError          // ERROR for an INVOCATION (other request types are violations)
	actAuthenticate   // AUTHENTICATE answering the outstanding CHALLENGE
	actHandshakeAbort // client ABORT before WELCOME: close, remove, end the handshake
)

// stateRow lists the messages accepted in one state; everything else gets
// otherwise.
type stateRow struct {
	on        map[wamp.Type]action
	otherwise action
}

// transitions is the session state machine as data (STYLE practice 4). Only
// the message types a client may send appear; router-to-client types
// (WELCOME, EVENT, INVOCATION, ...), a second HELLO and AUTHENTICATE after
// WELCOME are violations in the established state. A session stays in its
// state unless the action removes it.
var transitions = [numStates]stateRow{
	stEstablished: {
		on: map[wamp.Type]action{
			wamp.GOODBYE:     actGoodbye,
			wamp.ABORT:       actAbort,
			wamp.PUBLISH:     actPublish,
			wamp.SUBSCRIBE:   actSubscribe,
			wamp.UNSUBSCRIBE: actUnsubscribe,
			wamp.CALL:        actCall,
			wamp.CANCEL:      actCancel,
			wamp.REGISTER:    actRegister,
			wamp.UNREGISTER:  actUnregister,
			wamp.YIELD:       actYield,
			wamp.ERROR:       actError,
		},
		otherwise: actViolation,
	},
	stShuttingDown: {
		on: map[wamp.Type]action{
			wamp.GOODBYE: actGoodbyeReply,
			wamp.ABORT:   actAbort,
		},
		otherwise: actIgnore,
	},
	// Before WELCOME a client may only give up (ABORT) or, when challenged,
	// answer (AUTHENTICATE); anything else, GOODBYE and a second HELLO
	// included, is a protocol violation.
	stAuthenticating: {
		on:        map[wamp.Type]action{wamp.ABORT: actHandshakeAbort},
		otherwise: actViolation,
	},
	stChallenged: {
		on:        map[wamp.Type]action{wamp.ABORT: actHandshakeAbort, wamp.AUTHENTICATE: actAuthenticate},
		otherwise: actViolation,
	},
	stOpening: {
		on:        map[wamp.Type]action{wamp.ABORT: actHandshakeAbort},
		otherwise: actViolation,
	},
}

// maxDispatchType bounds the flattened table; higher codes take otherwise.
const maxDispatchType = 127

// dispatch is transitions flattened into arrays for the hot path.
var dispatch = func() (t [numStates][maxDispatchType + 1]action) {
	for st, row := range transitions {
		for i := range t[st] {
			t[st][i] = row.otherwise
		}
		for typ, a := range row.on {
			t[st][typ] = a
		}
	}
	return t
}()

// actionFor looks up the transition table.
func actionFor(st sessState, t wamp.Type) action {
	if int(t) > maxDispatchType {
		return transitions[st].otherwise
	}
	return dispatch[st][t]
}

// features is the set of client features the router acts on.
type features uint16

const (
	featCalleeProgress  features = 1 << iota // callee.progressive_call_results
	featCalleeCanceling                      // callee.call_canceling
	featCallerPPT                            // caller.payload_passthru_mode
	featCalleePPT                            // callee.payload_passthru_mode
	featPublisherPPT                         // publisher.payload_passthru_mode
	featSubscriberPPT                        // subscriber.payload_passthru_mode
)

// pptFeatures are the payload passthru bits per client role.
var pptFeatures = [...]struct {
	role string
	bit  features
}{
	{wamp.RoleCaller, featCallerPPT}, {wamp.RoleCallee, featCalleePPT},
	{wamp.RolePublisher, featPublisherPPT}, {wamp.RoleSubscriber, featSubscriberPPT},
}

// clientRoles are the roles a client may announce in HELLO.
var clientRoles = map[string]bool{
	wamp.RolePublisher:  true,
	wamp.RoleSubscriber: true,
	wamp.RoleCaller:     true,
	wamp.RoleCallee:     true,
}

// session is the realm's record of one admitted session.
type session struct {
	id SessionID
	// node: a node session (SessionInfo.Node; cluster.go), kept beside
	// id, the one field fan-out reads of every subscriber.
	node  bool
	info  SessionInfo
	state sessState
	feats features

	// subs and regs are the subscriptions and registrations this session
	// is part of, for cleanup when it leaves.
	subs map[wamp.ID]*subscription
	regs map[wamp.ID]*registration
	// pendingSubs are SUBSCRIBEs held for the driver's approval
	// (RealmConfig.SubscribeApproval), by request ID.
	pendingSubs map[wamp.ID]pendingSub

	// lastInv is the last INVOCATION request ID sent to this session
	// (session scope, sequential from 1).
	lastInv wamp.ID
	// pending counts pending calls this session is caller or callee of, so
	// that removal only scans the call table when it has to.
	pending int
	// calling counts the pending calls this session is the caller of
	// (RealmConfig.MaxPendingCallsPerSession).
	calling int

	// goodbyeSeq identifies the live goodbye deadline (stShuttingDown).
	goodbyeSeq    uint64
	goodbyeReason wamp.URI

	// hs is the handshake's state until WELCOME; nil afterwards.
	hs *handshake

	// Dynamic authorization (authz_dynamic.go): requests waiting for the
	// authorizer (the head has a ticket), the verdict of the request being
	// re-run, and the cached verdicts.
	held       []heldReq
	verdict    *verdict
	authzCache map[authzKey]authzEntry
	// testaments are published when the session goes (testament.go), by
	// scope; testamentBytes is their approximate size together.
	testaments     [numScopes][]testament
	testamentBytes int
	// departed: the session's departure was handled (depart), once.
	departed bool
	// boxed is the session's identity as INVOCATION details values, made
	// at its first disclosed call (callerBoxes).
	boxed *callerBoxes
}

// callerBoxes are a caller's ID, authid and authrole as the values of
// INVOCATION details: boxed once per session rather than once per call.
// identity is the details of a plain call to the application's own
// session (these three keys and nothing else), made on first use and
// shared by every such INVOCATION: never modified.
type callerBoxes struct {
	id, authID, authRole any
	identity             wamp.Dict
}

// identityDetails returns s's shared identity details (callerBoxes).
func (s *session) identityDetails() wamp.Dict {
	b := s.callerBoxes()
	if b.identity == nil {
		b.identity = wamp.Dict{wamp.DetailCaller: b.id, wamp.DetailCallerAuthID: b.authID, wamp.DetailCallerAuthRole: b.authRole}
	}
	return b.identity
}

// callerBoxes returns s's boxed identity, made once. s.info is fixed from
// WELCOME on.
func (s *session) callerBoxes() *callerBoxes {
	if s.boxed == nil {
		s.boxed = &callerBoxes{id: int64(s.id), authID: s.info.AuthID, authRole: s.info.AuthRole}
	}
	return s.boxed
}

// nextInvocation returns the next session-scoped INVOCATION request ID.
func (s *session) nextInvocation() wamp.ID {
	s.lastInv++
	if s.lastInv > wamp.MaxID {
		s.lastInv = 1
	}
	return s.lastInv
}

// parseFeatures reads the client features the router acts on from
// HELLO.Details.roles.<role>.features. Payload passthru mode counts under
// the spec's name (payload_passthru_mode) and autobahn's
// (payload_transparency).
func parseFeatures(details wamp.Dict) features {
	var fs features
	if wamp.HasFeature(details, wamp.RoleCallee, wamp.FeatureProgressiveCallResults) {
		fs |= featCalleeProgress
	}
	if wamp.HasFeature(details, wamp.RoleCallee, wamp.FeatureCallCanceling) {
		fs |= featCalleeCanceling
	}
	// Payload passthru mode under the spec's name or autobahn's.
	for _, f := range pptFeatures {
		if wamp.HasFeature(details, f.role, wamp.FeaturePayloadPassthruMode) ||
			wamp.HasFeature(details, f.role, wamp.FeaturePayloadTransparency) {
			fs |= f.bit
		}
	}
	return fs
}
