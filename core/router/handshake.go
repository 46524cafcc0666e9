package router

import (
	"slices"
	"strconv"
	"time"

	"github.com/switchboard-wamp/switchboard/core/wamp"
)

// The session handshake: HELLO -> (CHALLENGE -> AUTHENTICATE)* -> WELCOME or
// ABORT, as states of the session (session.go) with one deadline in the
// realm's index. What may block or run the application's code (the
// authenticator, the session-open hooks) is a HandshakeOp the driver carries
// out off the executor; its outcome comes back as an event (AuthChallenge,
// Authenticated, Refused, Opened).
//
//	Hello ──authenticator?──no──> anonymous? ──> opening
//	   └──yes──> authenticating ──AuthChallenge──> challenged
//	                  ^                               │ AUTHENTICATE
//	                  └───────────(HandshakeAnswer)───┘
//	authenticating|challenged ──Authenticated──> opening ──Opened──> established (WELCOME)
//	any handshake state ──Refused / deadline / violation / ABORT / Detach──> gone (HandshakeEnd)

// HandshakeKind says what the driver must do for a session in its handshake.
type HandshakeKind uint8

const (
	// HandshakeAuthenticate: run the realm's authenticator for Hello, off
	// the executor; report its outcome with Authenticated or Refused. It
	// may ask for CHALLENGE round trips with AuthChallenge.
	HandshakeAuthenticate HandshakeKind = iota + 1
	// HandshakeAnswer: hand Answer (the client's AUTHENTICATE) to the
	// authenticator's outstanding AuthChallenge; with Answer nil, the
	// challenge was refused (Refusal says why).
	HandshakeAnswer
	// HandshakeOpen: the session is admitted as Info; run the
	// application's session-open hooks, then call Opened (or Refused).
	HandshakeOpen
	// HandshakeWelcome: WELCOME went out; the session is established.
	HandshakeWelcome
	// HandshakeEnd: the handshake ended without WELCOME (refused, timed
	// out, aborted, dropped, violated the protocol); cancel the
	// authenticator, release what HandshakeOpen built. Reason is the ABORT
	// reason sent, or "" when nothing was sent (the connection dropped or
	// the client aborted).
	HandshakeEnd
)

// Refusals of AuthChallenge (HandshakeOp.Refusal).
const (
	RefusalEnded   = "ended"   // the handshake is over
	RefusalPending = "pending" // a CHALLENGE is already outstanding
)

// HandshakeOp is one step of a handshake the driver carries out, in
// emission order with the other effects of the same step.
type HandshakeOp struct {
	Session SessionID
	Kind    HandshakeKind
	Hello   *wamp.Hello        // HandshakeAuthenticate, HandshakeOpen
	Answer  *wamp.Authenticate // HandshakeAnswer
	Refusal string             // HandshakeAnswer without Answer
	Info    SessionInfo        // HandshakeOpen: the admitted identity
	Reason  wamp.URI           // HandshakeEnd
}

// HelloConfig is what the driver knows of a new session beyond its HELLO.
type HelloConfig struct {
	// Deadline is when the whole handshake must have ended (the driver's
	// handshake timeout from the connection's start). Zero: no deadline.
	Deadline time.Time
	// Authenticate: the realm has an authenticator (HandshakeAuthenticate);
	// otherwise only anonymous sessions are admitted (HELLO without
	// authmethods, or with "anonymous" among them).
	Authenticate bool
	// Realm, when set, is the realm name WELCOME reports (a session placed
	// in the application's default realm): SessionInfo.Realm.
	Realm wamp.URI
	// Transport, when set, is SessionInfo.Transport of the admitted
	// session (the session meta API's "transport" dict).
	Transport TransportInfo
}

// handshake is a session's state until WELCOME.
type handshake struct {
	hello      *wamp.Hello
	realm      wamp.URI
	transport  TransportInfo
	seq        uint64 // identifies the live handshake deadline
	lastMethod string // the method of the last CHALLENGE
}

// Hello starts the handshake of session sid, whose HELLO (already accepted
// by Preamble) chose this realm: it checks the admission policy and either
// asks the driver to authenticate (HandshakeAuthenticate) or admits an
// anonymous session (HandshakeOpen); a realm that is shutting down, or
// anonymous admission without "anonymous" among the authmethods, answers
// ABORT. Reusing a sid that is in the realm is a driver bug and panics.
// Executor-only.
func (r *Realm) Hello(now time.Time, sid SessionID, hello *wamp.Hello, cfg HelloConfig, fx *Effects) {
	if r.closing {
		fx.send(sid, abortMsg(r.closeReason, "realm is shutting down"))
		fx.close(sid, r.closeReason)
		fx.handshake(HandshakeOp{Session: sid, Kind: HandshakeEnd, Reason: r.closeReason})
		return
	}
	if _, dup := r.sessions[sid]; dup {
		panic("router: Hello: session ID already in the realm")
	}
	r.startHistories(now)
	s := &session{id: sid, feats: parseFeatures(hello.Details), hs: &handshake{hello: hello, realm: cfg.Realm, transport: cfg.Transport}}
	r.sessions[sid] = s
	r.handshaking++
	if !cfg.Deadline.IsZero() {
		r.handshakeSeq++
		s.hs.seq = r.handshakeSeq
		r.addDeadline(deadline{at: cfg.Deadline, kind: dlHandshake, key: callKey{sid: sid}, seq: s.hs.seq})
	}
	if cfg.Authenticate {
		s.state = stAuthenticating
		fx.handshake(HandshakeOp{Session: sid, Kind: HandshakeAuthenticate, Hello: hello})
		return
	}
	if !offersAnonymous(hello) {
		r.endHandshake(s, wamp.ErrNoMatchingAuthMethod, "this realm accepts only anonymous authentication", fx)
		return
	}
	r.admit(s, SessionInfo{AuthRole: "anonymous", AuthMethod: "anonymous", AuthProvider: "static"}, fx)
}

// offersAnonymous reports whether HELLO asks for no authentication method,
// or for "anonymous" among its methods.
func offersAnonymous(hello *wamp.Hello) bool {
	methods, present := hello.Details["authmethods"].([]any)
	return !present || len(methods) == 0 || slices.Contains(methods, any("anonymous"))
}

// AuthChallenge sends CHALLENGE {method, extra} to sid for its
// authenticator, and waits (state challenged) for the AUTHENTICATE, which
// the driver gets as HandshakeAnswer. When sid is not authenticating (the
// handshake ended, or a CHALLENGE is outstanding) the answer is a refusal.
// Executor-only.
func (r *Realm) AuthChallenge(_ time.Time, sid SessionID, method string, extra wamp.Dict, fx *Effects) {
	s := r.sessions[sid]
	switch {
	case s == nil || !s.state.handshaking() || s.state == stOpening:
		fx.handshake(HandshakeOp{Session: sid, Kind: HandshakeAnswer, Refusal: RefusalEnded})
		return
	case s.state == stChallenged:
		fx.handshake(HandshakeOp{Session: sid, Kind: HandshakeAnswer, Refusal: RefusalPending})
		return
	}
	if extra == nil {
		extra = emptyDetails
	}
	s.state = stChallenged
	s.hs.lastMethod = method
	fx.send(sid, &wamp.Challenge{AuthMethod: method, Extra: extra})
}

// Authenticated admits sid, authenticated as info: the driver then runs
// the session-open hooks (HandshakeOpen). Empty fields take defaults:
// AuthID the session ID in decimal (never the authid the client claimed),
// AuthRole "authenticated", AuthMethod the method of the last CHALLENGE or
// else "custom", AuthProvider "application". Ignored unless sid is
// authenticating or challenged (a late answer after a timeout). A CHALLENGE
// still outstanding is abandoned. Executor-only.
func (r *Realm) Authenticated(_ time.Time, sid SessionID, info SessionInfo, fx *Effects) {
	s := r.sessions[sid]
	if s == nil || (s.state != stAuthenticating && s.state != stChallenged) {
		return
	}
	if info.AuthRole == "" {
		info.AuthRole = "authenticated"
	}
	if info.AuthMethod == "" {
		info.AuthMethod = s.hs.lastMethod
		if info.AuthMethod == "" {
			info.AuthMethod = "custom"
		}
	}
	if info.AuthProvider == "" {
		info.AuthProvider = "application"
	}
	r.admit(s, info, fx)
}

// admit moves s to opening as info.
func (r *Realm) admit(s *session, info SessionInfo, fx *Effects) {
	if info.AuthID == "" {
		info.AuthID = strconv.FormatUint(uint64(s.id), 10)
	}
	if s.hs.realm != "" {
		info.Realm = s.hs.realm
	}
	if info.Transport == (TransportInfo{}) {
		info.Transport = s.hs.transport
	}
	info.Node = "" // only Join makes node sessions (cluster.go)
	s.info = info
	s.state = stOpening
	fx.handshake(HandshakeOp{Session: s.id, Kind: HandshakeOpen, Hello: s.hs.hello, Info: info})
}

// Refused ends sid's handshake with ABORT {reason, message}: the
// authenticator refused it, or a session-open hook did, or the driver
// could not run them. Ignored once the handshake is over. Executor-only.
func (r *Realm) Refused(_ time.Time, sid SessionID, reason wamp.URI, message string, fx *Effects) {
	if s := r.sessions[sid]; s != nil && s.state.handshaking() {
		r.endHandshake(s, reason, message, fx)
	}
}

// Opened welcomes sid once its session-open hooks have run: WELCOME (see
// Join for its details), then HandshakeWelcome. Ignored unless sid is
// opening (the handshake may have ended meanwhile: the driver got
// HandshakeEnd then). Executor-only.
func (r *Realm) Opened(_ time.Time, sid SessionID, fx *Effects) {
	s := r.sessions[sid]
	if s == nil || s.state != stOpening {
		return
	}
	s.hs = nil
	s.state = stEstablished
	r.handshaking--
	fx.send(sid, r.welcome(sid, s.info))
	fx.handshake(HandshakeOp{Session: sid, Kind: HandshakeWelcome})
	r.joined(s, fx)
}

// authenticate hands the client's AUTHENTICATE to the authenticator.
func (r *Realm) authenticate(s *session, m *wamp.Authenticate, fx *Effects) {
	s.state = stAuthenticating
	fx.handshake(HandshakeOp{Session: s.id, Kind: HandshakeAnswer, Answer: m})
}

// endHandshake answers ABORT {reason, message} and removes s.
func (r *Realm) endHandshake(s *session, reason wamp.URI, message string, fx *Effects) {
	fx.send(s.id, abortMsg(reason, message))
	fx.close(s.id, reason)
	r.removeHandshake(s, reason, fx)
}

// removeHandshake deletes a session that was not welcomed and tells the
// driver (HandshakeEnd with reason: the ABORT sent, or "").
func (r *Realm) removeHandshake(s *session, reason wamp.URI, fx *Effects) {
	delete(r.sessions, s.id)
	r.handshaking--
	s.hs = nil
	fx.handshake(HandshakeOp{Session: s.id, Kind: HandshakeEnd, Reason: reason})
}

// handshake appends one handshake step.
func (fx *Effects) handshake(op HandshakeOp) { fx.Handshake = append(fx.Handshake, op) }
