package core

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"runtime/debug"

	"github.com/switchboard-wamp/switchboard/core/router"
	"github.com/switchboard-wamp/switchboard/core/wamp"
)

// localSession is the application's own session in a realm: its procedures
// are registrations in the realm's dealer like any remote callee's, and its
// publications go through the broker like any remote publisher's. Messages
// pass as values, with no serializer and no connection. All fields are
// executor-owned.
type localSession struct {
	realm *Realm
	sid   wamp.ID

	nextReq  wamp.ID
	pending  map[wamp.ID]*pendingReq        // our requests awaiting the router's reply
	handlers map[wamp.ID]localProc          // registration ID -> procedure
	running  map[wamp.ID]context.CancelFunc // invocation request ID -> cancel
	gone     bool
}

type localProc struct {
	uri wamp.URI
	h   Handler
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
	return &localSession{
		realm:    r,
		sid:      sid,
		pending:  make(map[wamp.ID]*pendingReq),
		handlers: make(map[wamp.ID]localProc),
		running:  make(map[wamp.ID]context.CancelFunc),
	}
}

// localFeatures are what the local session implements, per role.
var localRoles = wamp.Dict{
	"caller":     wamp.Dict{"features": wamp.Dict{}},
	"callee":     wamp.Dict{"features": wamp.Dict{"call_canceling": true}},
	"publisher":  wamp.Dict{"features": wamp.Dict{}},
	"subscriber": wamp.Dict{"features": wamp.Dict{}},
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
		if cancel, ok := l.running[m.Request]; ok {
			cancel()
		}
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
		l.complete(m.Request, reply{err: requestError(m)})
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
	for _, cancel := range l.running {
		cancel()
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
	posted := l.realm.ex.Post(func() {
		if l.gone {
			ch <- reply{err: ErrClosed}
			return
		}
		l.nextReq++
		req := l.nextReq
		if wait {
			l.pending[req] = &pendingReq{ch: ch, proc: proc}
		}
		l.realm.handleLocal(l.sid, build(req))
		if !wait {
			ch <- reply{}
		}
	})
	if !posted {
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

// invoke runs a procedure as a spawned task and feeds its outcome back to
// the router. Executor-only.
func (l *localSession) invoke(inv *wamp.Invocation) {
	proc, ok := l.handlers[inv.Registration]
	if !ok {
		l.realm.ex.Post(func() {
			l.realm.handleLocal(l.sid, &wamp.Error{RequestType: wamp.INVOCATION, Request: inv.Request,
				Details: wamp.Dict{}, Error: wamp.ErrNoSuchProcedure})
		})
		return
	}
	ctx, cancel := context.WithCancel(context.Background())
	l.running[inv.Request] = cancel
	// The router shares message values (an empty Details dict is one shared
	// map), so the handler gets its own copy of anything it might mutate.
	call := &Invocation{Procedure: proc.uri, Args: inv.Args, Kwargs: inv.Kwargs, Details: maps.Clone(inv.Details)}
	if p, ok := inv.Details["procedure"].(string); ok {
		call.Procedure = wamp.URI(p)
	}
	err := l.realm.as.Spawn(ctx, func(ctx context.Context) {
		res, err := l.runHandler(ctx, proc.h, call)
		l.realm.ex.Post(func() { l.finish(inv.Request, res, err) })
	})
	if err != nil {
		l.finish(inv.Request, nil, err)
	}
}

func (l *localSession) runHandler(ctx context.Context, h Handler, inv *Invocation) (res *Result, err error) {
	defer func() {
		if v := recover(); v != nil {
			err = panicError(v)
			l.realm.log.Error("procedure panicked", "procedure", string(inv.Procedure), "panic", v, "stack", string(debug.Stack()))
		}
	}()
	return h(ctx, inv)
}

// finish answers an invocation with YIELD or ERROR. Executor-only.
func (l *localSession) finish(req wamp.ID, res *Result, err error) {
	cancel, ok := l.running[req]
	if !ok {
		return
	}
	delete(l.running, req)
	cancel()
	if l.gone {
		return
	}
	var m wamp.Message
	if err != nil {
		uri, args, kwargs := errorReply(err)
		if uri == wamp.ErrRuntimeError {
			l.realm.log.Warn("procedure failed", "invocation", req, "err", err)
		}
		m = &wamp.Error{RequestType: wamp.INVOCATION, Request: req, Details: wamp.Dict{}, Error: uri, Args: args, Kwargs: kwargs}
	} else {
		y := &wamp.Yield{Request: req, Options: wamp.Dict{}}
		if res != nil {
			y.Args, y.Kwargs = res.Args, res.Kwargs
		}
		m = y
	}
	l.realm.handleLocal(l.sid, m)
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
// the dealer refuses. Safe for concurrent use.
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
// reports a refusal (for example wamp.error.invalid_uri) as an *Error.
// Safe for concurrent use.
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
