package core

import (
	"context"
	"errors"
	"fmt"

	"github.com/switchboard-wamp/switchboard/core/router"
	"github.com/switchboard-wamp/switchboard/core/wamp"
	"github.com/switchboard-wamp/switchboard/scheduler"
)

// localSession is the application's own session in a realm: its procedures
// are registrations in the realm's dealer like any remote callee's, its
// calls and publications go through the dealer and the broker like any
// remote caller's and publisher's, and it is the dealer's fallback callee
// for regular-expression routes and the custom call handler. Messages pass
// as values, with no serializer and no connection. All fields are
// executor-owned.
type localSession struct {
	realm *Realm
	sid   wamp.ID
	loop  bool // the backend runs handlers on a shared event loop (scheduler.Loop)

	nextReq  wamp.ID
	pending  map[wamp.ID]*pendingReq  // REGISTER, UNREGISTER, PUBLISH awaiting the router's reply
	calls    map[wamp.ID]*localCall   // CALLs awaiting RESULT or ERROR (local_call.go)
	handlers map[wamp.ID]localProc    // registration ID -> procedure
	running  map[wamp.ID]*runningCall // invocation request ID -> running handler
	gone     bool

	// Fallback routing (routes.go, callhandler.go): the dealer sends the
	// calls no registration matches, or all calls, to this session.
	regex       []route // regular-expression routes, in the order added
	callHandler Handler // replaces routing when set
	fallbackReg wamp.ID // registration ID of fallback INVOCATIONs; 0 = none
}

type localProc struct {
	uri wamp.URI
	h   Handler
}

// runningCall is an invocation whose handler runs.
type runningCall struct {
	cancel      context.CancelFunc
	interrupted bool // INTERRUPT arrived: a plain error now means canceled
}

// pendingReq is a request of the local session awaiting the router's reply.
// proc is set for REGISTER: it is bound to the registration ID on the
// executor when REGISTERED arrives, before any INVOCATION can be routed to it.
type pendingReq struct {
	ch   chan reply
	proc *localProc
}

// reply is the router's answer to one request of the local session.
type reply struct {
	msg wamp.Message // REGISTERED, UNREGISTERED, PUBLISHED
	err error
}

func newLocalSession(r *Realm, sid wamp.ID) *localSession {
	_, onLoop := r.as.(scheduler.Loop)
	return &localSession{
		realm:    r,
		sid:      sid,
		loop:     onLoop,
		pending:  make(map[wamp.ID]*pendingReq),
		calls:    make(map[wamp.ID]*localCall),
		handlers: make(map[wamp.ID]localProc),
		running:  make(map[wamp.ID]*runningCall),
	}
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

// join attaches the local session to the realm. Executor-only.
func (l *localSession) join() {
	r := l.realm
	r.outlets[l.sid] = l
	hello := &wamp.Hello{Realm: r.uri, Details: wamp.Dict{"roles": localRoles}}
	info := router.SessionInfo{AuthID: "switchboard", AuthRole: "trusted", AuthMethod: "internal", AuthProvider: "switchboard", Internal: true}
	r.r.Join(r.as.Now(), l.sid, hello, info, &r.fx)
	// The WELCOME comes back through Send; nothing waits for it.
	r.apply()
}

// Send receives the router's messages for the local session. It is called by
// apply while it walks the effects, so anything that feeds the router again
// is posted, never run inline. Executor-only.
func (l *localSession) Send(m wamp.Message) bool {
	switch m := m.(type) {
	case *wamp.Welcome:
	case *wamp.Invocation:
		l.invoke(m)
	case *wamp.Interrupt:
		if rc, ok := l.running[m.Request]; ok {
			rc.interrupted = true
			rc.cancel()
		}
	case *wamp.Result:
		l.callResult(m)
	case *wamp.Registered:
		if p, ok := l.pending[m.Request]; ok && p.proc != nil {
			l.handlers[m.Registration] = *p.proc
		}
		l.complete(m.Request, reply{msg: m})
	case *wamp.Unregistered:
		l.complete(m.Request, reply{msg: m})
	case *wamp.Published:
		l.complete(m.Request, reply{msg: m})
	case *wamp.Error:
		if m.RequestType == wamp.CALL {
			l.callError(m)
		} else {
			l.complete(m.Request, reply{err: requestError(m)})
		}
	case *wamp.Goodbye:
		l.gone = true
		l.realm.ex.Post(func() {
			l.realm.handleLocal(l.sid, &wamp.Goodbye{Details: wamp.Dict{}, Reason: wamp.CloseGoodbyeAndOut})
		})
	default:
		l.realm.log.Debug("local session ignores message", "type", m.Type())
	}
	return true
}

// Close is called when the router closes the local session (shutdown).
func (l *localSession) Close() {
	l.gone = true
	for id, p := range l.pending {
		p.ch <- reply{err: ErrClosed}
		delete(l.pending, id)
	}
	for id, c := range l.calls {
		c.push(callEvent{err: ErrClosed})
		delete(l.calls, id)
	}
	for _, rc := range l.running {
		rc.cancel()
	}
}

func (l *localSession) complete(req wamp.ID, rep reply) {
	if p, ok := l.pending[req]; ok {
		delete(l.pending, req)
		p.ch <- rep // buffered, capacity 1
	}
}

// request sends one request from the local session and, when wait is true,
// waits for the router's reply. build runs on the executor with the request
// ID; proc, if not nil, is bound to the registration a REGISTER creates.
func (l *localSession) request(ctx context.Context, wait bool, proc *localProc, build func(req wamp.ID) wamp.Message) (reply, error) {
	ch := make(chan reply, 1)
	step := func() {
		if l.gone {
			ch <- reply{err: ErrClosed}
			return
		}
		req := l.newRequest()
		if wait {
			l.pending[req] = &pendingReq{ch: ch, proc: proc}
		}
		l.realm.handleLocal(l.sid, build(req))
		if !wait {
			ch <- reply{}
		}
	}
	if scheduler.OnLoop(l.realm.as) {
		// On an event loop, waiting for the realm's executor would
		// deadlock: the loop runs it. The caller is a loop task (never
		// inside a realm task: handlers are spawned, not run inline), so
		// the step runs here. The router answers REGISTER, UNREGISTER and
		// an acknowledged PUBLISH within that step.
		step()
		select {
		case rep := <-ch:
			return rep, rep.err
		default:
			return reply{}, scheduler.ErrWouldBlock
		}
	}
	if !l.realm.ex.Post(step) {
		return reply{}, ErrClosed
	}
	select {
	case rep := <-ch:
		return rep, rep.err
	case <-ctx.Done():
		// The reply, if it comes, lands in the buffered channel and is
		// dropped with it; a registration made meanwhile stays bound.
		return reply{}, ctx.Err()
	}
}

// newRequest returns the next request ID of the local session (session
// scope, sequential). Executor-only.
func (l *localSession) newRequest() wamp.ID {
	l.nextReq++
	if l.nextReq > wamp.MaxID {
		l.nextReq = 1
	}
	return l.nextReq
}

// registerNow registers a procedure from a task already on the executor and
// returns its registration ID. The router answers within handleLocal, so
// the reply is there when it returns. Executor-only, never inside apply.
func (l *localSession) registerNow(proc localProc, opts wamp.Dict) (wamp.ID, error) {
	if l.gone {
		return 0, ErrClosed
	}
	req := l.newRequest()
	p := &pendingReq{ch: make(chan reply, 1), proc: &proc}
	l.pending[req] = p
	l.realm.handleLocal(l.sid, &wamp.Register{Request: req, Options: opts, Procedure: proc.uri})
	select {
	case rep := <-p.ch:
		if rep.err != nil {
			return 0, rep.err
		}
		return rep.msg.(*wamp.Registered).Registration, nil
	default:
		delete(l.pending, req)
		return 0, errors.New("core: the router did not answer REGISTER synchronously")
	}
}

// unregisterNow drops a registration made by registerNow. Executor-only,
// never inside apply.
func (l *localSession) unregisterNow(id wamp.ID) {
	delete(l.handlers, id)
	if !l.gone {
		l.realm.handleLocal(l.sid, &wamp.Unregister{Request: l.newRequest(), Registration: id})
	}
}

// Registration is an application procedure registered in a realm.
type Registration struct {
	realm *Realm
	id    wamp.ID
}

// ID returns the registration ID the dealer assigned.
func (g *Registration) ID() wamp.ID { return g.id }

// Register adds an application procedure to the realm's dealer. Remote
// callers reach it like any other registration. It fails with an *Error
// (wamp.error.procedure_already_exists, wamp.error.invalid_uri, ...) when
// the dealer refuses. Safe for concurrent use; it waits for the realm's
// executor, so a handler that calls it must be marked Blocking.
func (r *Realm) Register(ctx context.Context, procedure wamp.URI, h Handler, opts *RegisterOptions) (*Registration, error) {
	if h == nil {
		return nil, errors.New("core: Register: nil handler")
	}
	rep, err := r.local.request(ctx, true, &localProc{uri: procedure, h: h}, func(req wamp.ID) wamp.Message {
		return &wamp.Register{Request: req, Options: opts.dict(), Procedure: procedure}
	})
	if err != nil {
		return nil, fmt.Errorf("core: register %q: %w", procedure, err)
	}
	return &Registration{realm: r, id: rep.msg.(*wamp.Registered).Registration}, nil
}

// Unregister removes the procedure from the dealer. Calls already running
// finish normally.
func (g *Registration) Unregister(ctx context.Context) error {
	l := g.realm.local
	_, err := l.request(ctx, true, nil, func(req wamp.ID) wamp.Message {
		delete(l.handlers, g.id)
		return &wamp.Unregister{Request: req, Registration: g.id}
	})
	if err != nil {
		return fmt.Errorf("core: unregister %d: %w", g.id, err)
	}
	return nil
}

// Publish publishes an event to the realm's subscribers of topic from the
// application. With opts.Acknowledge it waits for the broker's answer and
// reports a refusal (for example wamp.error.invalid_uri) as an *Error
// (a handler that waits for that must be marked Blocking). Safe for
// concurrent use.
func (r *Realm) Publish(ctx context.Context, topic wamp.URI, args wamp.List, kwargs wamp.Dict, opts *PublishOptions) error {
	ack := opts != nil && opts.Acknowledge
	_, err := r.local.request(ctx, ack, nil, func(req wamp.ID) wamp.Message {
		return &wamp.Publish{Request: req, Options: opts.dict(), Topic: topic, Args: args, Kwargs: kwargs}
	})
	if err != nil {
		return fmt.Errorf("core: publish %q: %w", topic, err)
	}
	return nil
}
