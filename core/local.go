package core

import (
	"context"
	"errors"
	"time"

	"github.com/switchboard-wamp/switchboard/core/peer"
	"github.com/switchboard-wamp/switchboard/core/router"
	"github.com/switchboard-wamp/switchboard/core/wamp"
	"github.com/switchboard-wamp/switchboard/scheduler"
)

// localSession is the application's own session in a realm: its procedures
// are registrations in the realm's dealer like any remote callee's, its
// calls and publications go through the dealer and the broker like any
// remote caller's and publisher's, and it is the dealer's fallback callee
// for regular-expression routes and the custom call handler.
//
// Its protocol state (request IDs, pending calls and their progress,
// cancellation, registrations, open invocations) is a peer.Peer, the
// machine package client drives over a connection. Here it is driven on the
// realm's executor and talks to the router in-process, with messages as
// values: what the peer sends goes to the router (Realm.handleLocal), what
// the router sends goes into the peer (Send). What is left here is a
// driver's part: request tokens that turn completions into answers for the
// waiting Go calls (call.go, register.go, publish.go), the handlers the
// invocations run (local_invoke.go) and the fallback routing (routes.go,
// callhandler.go). All fields are executor-owned.
type localSession struct {
	realm *Realm
	sid   wamp.ID
	loop  bool // the backend runs handlers on a shared event loop (scheduler.Loop)

	p         *peer.Peer
	fx, fxRun *peer.Effects   // double-buffered (see flush), pointing into fxBuf
	fxBuf     [2]peer.Effects // swapped by pointer: no copies on the stack
	flushing  bool
	running   map[wamp.ID]runningCall // invocation request ID -> running handler

	// Fallback routing (routes.go, callhandler.go): the dealer sends the
	// calls no registration matches, or all calls, to this session.
	regex       []route // regular-expression routes, in the order added
	callHandler Handler // replaces routing when set
	fallbackReg wamp.ID // registration ID of fallback INVOCATIONs; 0 = none
}

// completer is implemented by every token the local session gives the
// peer with a request: it receives the request's completions. Executor-only.
type completer interface {
	complete(l *localSession, c peer.Completion)
}

func newLocalSession(r *Realm, sid wamp.ID) *localSession {
	_, onLoop := r.as.(scheduler.Loop)
	l := &localSession{
		realm:   r,
		sid:     sid,
		loop:    onLoop,
		p:       peer.New(peer.Config{Realm: r.uri, Roles: localRoles}),
		running: make(map[wamp.ID]runningCall),
	}
	l.fx, l.fxRun = &l.fxBuf[0], &l.fxBuf[1]
	return l
}

func features(names ...string) wamp.Dict {
	f := wamp.Dict{}
	for _, n := range names {
		f[n] = true
	}
	return wamp.Dict{"features": f}
}

// localRoles are the roles and features the local session implements.
var localRoles = wamp.Dict{
	"caller": features(wamp.FeatureProgressiveCallResults, wamp.FeatureCallCanceling,
		wamp.FeatureCallTimeout, wamp.FeatureCallerIdentification),
	"callee": features(wamp.FeatureProgressiveCallResults, wamp.FeatureCallCanceling,
		wamp.FeatureCallerIdentification, wamp.FeaturePatternBasedRegistration, wamp.FeatureSharedRegistration),
	"publisher":  features(),
	"subscriber": features(),
}

// join attaches the local session to the realm: the peer's HELLO goes to
// the router with the application's identity, and the WELCOME comes back
// through Send. Executor-only.
func (l *localSession) join() {
	r := l.realm
	r.e.Attach(l.sid, l)
	if err := l.p.Hello(l.fx); err != nil {
		r.log.Error("local session: hello", "err", err)
		return
	}
	hello := l.fx.Send[0].(*wamp.Hello)
	l.fx.Reset()
	info := router.SessionInfo{AuthID: "switchboard", AuthRole: "trusted", AuthMethod: "internal", AuthProvider: "switchboard", Internal: true}
	r.e.Do(func(now time.Time, rr *router.Realm, fx *router.Effects) { rr.Join(now, l.sid, hello, info, fx) })
}

// Send receives the router's messages for the local session. It is called
// by the realm's applyFrom while it walks the router's effects, so it only
// feeds the peer: applyFrom flushes the local session once the walk is
// over, and only then may what the peer wants sent reach the router.
// Executor-only.
func (l *localSession) Send(m wamp.Message) bool {
	l.p.Receive(m, l.fx)
	return true
}

// Close is called by applyFrom when the router closes the local session
// (shutdown). Pending requests fail with ErrClosed when applyFrom flushes.
func (l *localSession) Close() {
	l.p.Drop(ErrClosed, l.fx)
	l.stopHandlers()
}

// gone reports whether the local session can no longer make requests.
func (l *localSession) gone() bool { return !l.p.Established() }

// flush applies the peer's effects until none are left. Applying feeds the
// peer again: a message sent to the router may be answered at once (the
// answer comes back through Send), and a completion may make a request (an
// abandoned registration to undo, a call to cancel). So the effects are
// double-buffered, as in package client: l.fx collects while l.fxRun is
// applied, and a flush called while one runs (through the router's own
// applyFrom) leaves its effects to the running loop. Executor-only, never
// while applyFrom walks the router's effects (applyFrom calls it after).
func (l *localSession) flush() {
	if l.flushing {
		return
	}
	l.flushing = true
	for !l.fx.Empty() {
		l.fx, l.fxRun = l.fxRun, l.fx
		fx := l.fxRun
		// The messages first, in order, then the rest. Sending is the hot
		// path, and deep (the router's step and its deliveries run below
		// it), so it runs from this small frame.
		for i := range fx.Send {
			l.realm.e.HandleLocal(l.sid, fx.Send[i])
		}
		if len(fx.Completions) > 0 || len(fx.Invocations) > 0 || len(fx.Interrupts) > 0 || fx.Closed != nil {
			l.applyRest(fx)
		}
		fx.Reset()
	}
	l.flushing = false
}

// applyRest carries out what a step wants besides sending: completions
// answer the waiting Go calls, invocations start handlers, interrupts
// cancel them.
func (l *localSession) applyRest(fx *peer.Effects) {
	for i := range fx.Completions {
		if t, ok := fx.Completions[i].Token.(completer); ok {
			t.complete(l, fx.Completions[i])
		}
	}
	for i := range fx.Invocations {
		l.invoke(&fx.Invocations[i])
	}
	for i := range fx.Interrupts {
		l.interrupt(fx.Interrupts[i].Request)
	}
	if ci := fx.Closed; ci != nil {
		l.closed(ci)
	}
}

// closed ends what runs for a session that has ended.
func (l *localSession) closed(ci *peer.CloseInfo) {
	if ci.Err != nil && !errors.Is(ci.Err, ErrClosed) {
		l.realm.log.Error("local session aborted", "reason", string(ci.Reason), "err", ci.Err)
	}
	l.stopHandlers()
}

// replyCh is the token of a request whose one answer a Go call waits for.
type replyCh chan peer.Completion

func newReply() replyCh { return make(replyCh, 1) }

// complete keeps the first completion; it never blocks.
func (ch replyCh) complete(_ *localSession, c peer.Completion) {
	select {
	case ch <- c:
	default:
	}
}

// do runs step, which makes a request with token rep, on the realm's
// executor, and waits for rep's completion until ctx ends.
func (l *localSession) do(ctx context.Context, rep replyCh, step func()) (peer.Completion, error) {
	if scheduler.OnLoop(l.realm.as) {
		// On an event loop, waiting for the realm's executor would
		// deadlock: the loop runs it. The caller is a loop task (never
		// inside a realm task: handlers are spawned, not run inline), so
		// the step runs here. The router answers REGISTER, UNREGISTER and
		// an acknowledged PUBLISH within that step.
		step()
		select {
		case c := <-rep:
			return c, nil
		default:
			return peer.Completion{}, scheduler.ErrWouldBlock
		}
	}
	if !l.realm.e.Post(step) {
		return peer.Completion{}, ErrClosed
	}
	select {
	case c := <-rep:
		return c, nil
	case <-ctx.Done():
		return peer.Completion{}, ctx.Err()
	}
}

// completionError is the error a completion carries for a Go caller: the
// router's ERROR as an *Error, ErrClosed once the session has ended, or
// the peer's local refusal.
func completionError(c peer.Completion) error {
	if c.Err != nil {
		if errors.Is(c.Err, peer.ErrSessionClosed) {
			return ErrClosed
		}
		return c.Err
	}
	if e, ok := c.Reply.(*wamp.Error); ok {
		return requestError(e)
	}
	return nil
}
