package peer

import (
	"fmt"

	"github.com/switchboard-wamp/switchboard/core/wamp"
)

// Config configures a Peer. Only Realm is required.
type Config struct {
	// Realm is the realm to join.
	Realm wamp.URI
	// Roles is the HELLO details.roles dictionary. Nil announces
	// DefaultRoles(): the four client roles with the features this package
	// implements.
	Roles wamp.Dict
	// AuthID, AuthMethods and AuthExtra go into HELLO details as authid,
	// authmethods and authextra when set.
	AuthID      string
	AuthMethods []string
	AuthExtra   wamp.Dict
	// Agent is HELLO details.agent; "" = "switchboard".
	Agent string
}

// DefaultRoles returns the roles and features a Peer implements: caller,
// callee, publisher and subscriber. Options such as match or invoke are
// passed through, so pattern-based and shared registration/subscription are
// announced as well. A new Dict is returned on each call.
func DefaultRoles() wamp.Dict {
	return wamp.Dict{
		"caller": wamp.Dict{"features": wamp.Dict{
			"progressive_call_results": true,
			"call_canceling":           true,
			"call_timeout":             true,
			"caller_identification":    true,
		}},
		"callee": wamp.Dict{"features": wamp.Dict{
			"progressive_call_results":   true,
			"call_canceling":             true,
			"caller_identification":      true,
			"pattern_based_registration": true,
			"shared_registration":        true,
		}},
		"publisher": wamp.Dict{"features": wamp.Dict{
			"publisher_exclusion":           true,
			"publisher_identification":      true,
			"subscriber_blackwhite_listing": true,
		}},
		"subscriber": wamp.Dict{"features": wamp.Dict{
			"publisher_identification":   true,
			"pattern_based_subscription": true,
		}},
	}
}

// state is the session state of a Peer.
type state uint8

const (
	stInit        state = iota // nothing sent yet
	stJoining                  // HELLO sent; awaiting WELCOME, ABORT or CHALLENGE
	stEstablished              // WELCOME received
	stLeaving                  // GOODBYE sent; awaiting GOODBYE
	stClosed                   // ended; everything is ignored
)

var stateNames = [...]string{"init", "joining", "established", "leaving", "closed"}

func (s state) String() string { return stateNames[s] }

// typeSet is a set of message types, as a bitmap: a lookup per message
// received costs a shift, not a map access. Every WAMP type is below 128;
// a larger value is never a member.
type typeSet [2]uint64

func setOf(ts ...wamp.Type) typeSet {
	var s typeSet
	for _, t := range ts {
		if t < 128 {
			s[t>>6] |= 1 << (t & 63)
		}
	}
	return s
}

func (s typeSet) has(t wamp.Type) bool { return t < 128 && s[t>>6]&(1<<(t&63)) != 0 }

// union returns s with ts added.
func (s typeSet) union(ts ...wamp.Type) typeSet {
	o := setOf(ts...)
	return typeSet{s[0] | o[0], s[1] | o[1]}
}

// replies are the router messages that answer or feed requests; they are
// accepted while established and, because they may already be in flight
// when we send GOODBYE, while leaving.
var replies = setOf(
	wamp.ERROR, wamp.RESULT, wamp.PUBLISHED,
	wamp.SUBSCRIBED, wamp.UNSUBSCRIBED, wamp.EVENT,
	wamp.REGISTERED, wamp.UNREGISTERED,
	wamp.INVOCATION, wamp.INTERRUPT,
)

// allowed is the transition table: the router messages each state accepts.
// Anything else is a protocol violation (except in stClosed, where input is
// ignored). The next state is decided by the handler of the message:
// WELCOME → established; ABORT → closed; GOODBYE → closed.
var allowed = [...]typeSet{
	stInit:        {},
	stJoining:     setOf(wamp.WELCOME, wamp.ABORT, wamp.CHALLENGE),
	stEstablished: replies.union(wamp.GOODBYE, wamp.ABORT),
	stLeaving:     replies.union(wamp.GOODBYE, wamp.ABORT),
}

// Peer is the client side of one WAMP session as a pure state machine.
// It is not safe for concurrent use: exactly one goroutine (the driver's
// executor) calls its methods. It never blocks, starts goroutines, or reads
// the clock; every method appends what it wants done to the Effects it is
// given.
type Peer struct {
	cfg        Config
	st         state
	challenged bool
	session    wamp.ID
	lastID     wamp.ID

	pending  map[wamp.ID]request // by value: no allocation per request
	subs     map[wamp.ID]*subscription
	inflight map[subKey]int     // SUBSCRIBE requests awaiting reply, per key
	orphans  map[subKey]wamp.ID // subscriptions with no handles whose UNSUBSCRIBE waits for inflight
	regs     map[wamp.ID]*registration
	invs     map[wamp.ID]invocation // by value: no allocation per invocation
}

// request is a pending outgoing request.
type request struct {
	kind     wamp.Type
	token    any
	progress bool // CALL with receive_progress
	canceled bool // CANCEL sent
	key      subKey
	id       wamp.ID // UNSUBSCRIBE/UNREGISTER target
	internal bool    // no completion is reported
}

// New returns a Peer that has sent nothing yet; call Hello next.
func New(cfg Config) *Peer {
	return &Peer{
		cfg:      cfg,
		pending:  make(map[wamp.ID]request),
		subs:     make(map[wamp.ID]*subscription),
		inflight: make(map[subKey]int),
		orphans:  make(map[subKey]wamp.ID),
		regs:     make(map[wamp.ID]*registration),
		invs:     make(map[wamp.ID]invocation),
	}
}

// SessionID returns the ID from WELCOME, or 0 before it.
func (p *Peer) SessionID() wamp.ID { return p.session }

// Established reports whether WELCOME was received and the session has not
// started to close.
func (p *Peer) Established() bool { return p.st == stEstablished }

// Closed reports whether the session has ended.
func (p *Peer) Closed() bool { return p.st == stClosed }

// Pending returns the number of requests awaiting a reply.
func (p *Peer) Pending() int { return len(p.pending) }

// Hello appends the HELLO that opens the session and moves to joining.
func (p *Peer) Hello(out *Effects) error {
	if p.st != stInit {
		return fmt.Errorf("%w: hello in state %s", ErrBadState, p.st)
	}
	details := wamp.Dict{}
	roles := p.cfg.Roles
	if roles == nil {
		roles = DefaultRoles()
	}
	details["roles"] = roles
	agent := p.cfg.Agent
	if agent == "" {
		agent = "switchboard"
	}
	details["agent"] = agent
	if p.cfg.AuthID != "" {
		details["authid"] = p.cfg.AuthID
	}
	if len(p.cfg.AuthMethods) > 0 {
		methods := make(wamp.List, len(p.cfg.AuthMethods))
		for i, m := range p.cfg.AuthMethods {
			methods[i] = m
		}
		details["authmethods"] = methods
	}
	if p.cfg.AuthExtra != nil {
		details["authextra"] = p.cfg.AuthExtra
	}
	p.st = stJoining
	out.Send = append(out.Send, &wamp.Hello{Realm: p.cfg.Realm, Details: details})
	return nil
}

// Authenticate answers the CHALLENGE last reported in Effects.Challenge.
func (p *Peer) Authenticate(signature string, extra wamp.Dict, out *Effects) error {
	if p.st != stJoining || !p.challenged {
		return fmt.Errorf("%w: authenticate in state %s without a challenge", ErrBadState, p.st)
	}
	p.challenged = false
	if extra == nil {
		extra = wamp.Dict{}
	}
	out.Send = append(out.Send, &wamp.Authenticate{Signature: signature, Extra: extra})
	return nil
}

// Receive processes one message from the router.
func (p *Peer) Receive(m wamp.Message, out *Effects) {
	if p.st == stClosed {
		return
	}
	if !allowed[p.st].has(m.Type()) {
		p.violate(out, violation("%s in state %s", m.Type(), p.st))
		return
	}
	if err := p.dispatch(m, out); err != nil {
		p.violate(out, err)
	}
}

// dispatch routes an allowed message to its handler. A returned error is a
// protocol violation.
func (p *Peer) dispatch(m wamp.Message, out *Effects) error {
	switch m := m.(type) {
	case *wamp.Welcome:
		return p.onWelcome(m, out)
	case *wamp.Challenge:
		p.challenged = true
		out.Challenge = m
	case *wamp.Abort:
		p.close(out, &CloseInfo{Reason: m.Reason, Details: m.Details, Remote: true})
	case *wamp.Goodbye:
		p.onGoodbye(m, out)
	case *wamp.Error:
		return p.onError(m, out)
	case *wamp.Result:
		return p.onResult(m, out)
	case *wamp.Registered:
		return p.onRegistered(m, out)
	case *wamp.Unregistered:
		return p.onUnregistered(m, out)
	case *wamp.Invocation:
		return p.onInvocation(m, out)
	case *wamp.Interrupt:
		p.onInterrupt(m, out)
	case *wamp.Subscribed:
		return p.onSubscribed(m, out)
	case *wamp.Unsubscribed:
		return p.onUnsubscribed(m, out)
	case *wamp.Event:
		return p.onEvent(m, out)
	case *wamp.Published:
		return p.onPublished(m, out)
	default:
		return violation("unexpected %s", m.Type())
	}
	return nil
}

func (p *Peer) onWelcome(m *wamp.Welcome, out *Effects) error {
	if !m.Session.Valid() {
		return violation("WELCOME with invalid session ID %d", m.Session)
	}
	p.st = stEstablished
	p.challenged = false
	p.session = m.Session
	out.Joined = m
	return nil
}

func (p *Peer) onGoodbye(m *wamp.Goodbye, out *Effects) {
	if p.st == stLeaving {
		// The router's reply to our GOODBYE (or a GOODBYE of its own that
		// crossed ours): either way, the session is over.
		p.close(out, &CloseInfo{Reason: m.Reason, Details: m.Details, Goodbye: true})
		return
	}
	out.Send = append(out.Send, &wamp.Goodbye{Details: wamp.Dict{}, Reason: wamp.CloseGoodbyeAndOut})
	p.close(out, &CloseInfo{Reason: m.Reason, Details: m.Details, Remote: true, Goodbye: true})
}

// Leave starts an orderly close: GOODBYE while established (then wait for
// the router's GOODBYE), ABORT while joining (closed at once). It does
// nothing while already leaving, and returns ErrSessionClosed when closed.
func (p *Peer) Leave(reason wamp.URI, out *Effects) error {
	if reason == "" {
		reason = wamp.CloseNormal
	}
	switch p.st {
	case stInit:
		p.close(out, &CloseInfo{Reason: reason})
	case stJoining:
		out.Send = append(out.Send, &wamp.Abort{Details: wamp.Dict{}, Reason: reason})
		p.close(out, &CloseInfo{Reason: reason})
	case stEstablished:
		out.Send = append(out.Send, &wamp.Goodbye{Details: wamp.Dict{}, Reason: reason})
		p.st = stLeaving
	case stLeaving:
	default:
		return ErrSessionClosed
	}
	return nil
}

// Abort ends the session at once for a local reason: it sends ABORT with
// reason and details.message = cause's text (unless nothing was sent yet),
// fails every pending request and reports Closed with Err = cause.
func (p *Peer) Abort(reason wamp.URI, cause error, out *Effects) {
	if p.st == stClosed {
		return
	}
	if p.st != stInit {
		d := wamp.Dict{}
		if cause != nil {
			d["message"] = cause.Error()
		}
		out.Send = append(out.Send, &wamp.Abort{Details: d, Reason: reason})
	}
	p.close(out, &CloseInfo{Reason: reason, Err: cause})
}

// ConnectionLost reports that the connection dropped: every pending request
// fails and the session is closed with Err wrapping ErrConnectionLost and
// cause. Nothing is sent.
func (p *Peer) ConnectionLost(cause error, out *Effects) {
	err := ErrConnectionLost
	if cause != nil {
		err = fmt.Errorf("%w: %w", ErrConnectionLost, cause)
	}
	p.Drop(err, out)
}

// Drop ends the session at once without sending anything (the driver is
// about to close the connection): every pending request fails and Closed
// is reported with Err = cause.
func (p *Peer) Drop(cause error, out *Effects) {
	if p.st == stClosed {
		return
	}
	p.close(out, &CloseInfo{Err: cause})
}

// violate aborts the session because of a router protocol violation.
func (p *Peer) violate(out *Effects, err error) {
	p.Abort(wamp.ErrProtocolViolationURI, err, out)
}

// close moves to stClosed, fails every pending request and forgets all
// state. Completions are emitted in request ID order so that transcripts
// are deterministic.
func (p *Peer) close(out *Effects, ci *CloseInfo) {
	p.st = stClosed
	err := closedErr(ci)
	for _, id := range sortedIDs(p.pending) {
		r := p.pending[id]
		if !r.internal {
			out.Completions = append(out.Completions, Completion{Token: r.token, Kind: r.kind, Request: id, Err: err})
		}
	}
	clear(p.pending)
	clear(p.subs)
	clear(p.inflight)
	clear(p.orphans)
	clear(p.regs)
	clear(p.invs)
	out.Closed = ci
}

// nextID allocates a session-scope request ID: sequential from 1, wrapping
// after 2^53 and skipping IDs still pending.
func (p *Peer) nextID() wamp.ID {
	for {
		p.lastID++
		if p.lastID > wamp.MaxID {
			p.lastID = 1
		}
		if _, busy := p.pending[p.lastID]; !busy {
			return p.lastID
		}
	}
}

// admit checks that a new request may be made; if not it reports a failed
// completion for token and returns false.
func (p *Peer) admit(kind wamp.Type, token any, out *Effects) bool {
	var err error
	switch p.st {
	case stEstablished:
		return true
	case stInit, stJoining:
		err = ErrNotEstablished
	default:
		err = ErrSessionClosed
	}
	out.Completions = append(out.Completions, Completion{Token: token, Kind: kind, Err: err})
	return false
}

// fail reports a local failure of a request made with token.
func fail(out *Effects, kind wamp.Type, token any, err error) {
	out.Completions = append(out.Completions, Completion{Token: token, Kind: kind, Err: err})
}
