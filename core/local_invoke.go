package core

import (
	"context"
	"runtime/debug"

	"github.com/switchboard-wamp/switchboard/core/wamp"
	"github.com/switchboard-wamp/switchboard/scheduler"
)

// progressOptions are the YIELD options of a progress report (shared,
// immutable).
var progressOptions = wamp.Dict{wamp.OptProgress: true}

// invoke runs the procedure an INVOCATION names as a spawned task and feeds
// its outcome back to the router. It is called by apply (through Send), so
// it only posts what must reach the router. Executor-only.
func (l *localSession) invoke(m *wamp.Invocation) {
	// The router builds a fresh Details dict for every INVOCATION except an
	// empty one, which is a single shared map: the handler may keep and
	// mutate its Details, so it gets its own map in that case only. (For
	// this internal callee the details always name the caller.)
	details := m.Details
	if len(details) == 0 {
		details = wamp.Dict{}
	}
	call := &Invocation{Args: m.Args, Kwargs: m.Kwargs, Details: details, l: l, req: m.Request}
	h, ok := l.resolve(m, call)
	if !ok {
		msg := "no callee registered for procedure " + quoteURI(call.Procedure)
		l.realm.ex.Post(func() {
			l.realm.handleLocal(l.sid, &wamp.Error{RequestType: wamp.INVOCATION, Request: m.Request,
				Details: wamp.Dict{}, Error: wamp.ErrNoSuchProcedure, Args: wamp.List{msg}})
		})
		return
	}
	call.receiveProgress, _ = wamp.OptBool(m.Details, wamp.OptReceiveProgress)
	if id := call.Caller(); id != 0 && id != l.sid {
		call.Session, _ = l.realm.Session(id)
	}
	ctx, cancel := context.WithCancel(l.realm.handlerContext(context.Background(), call.Session)) // deps.go: Dep, RealmFrom
	base := context.WithValue(ctx, invocationKey{}, call)
	call.ctx = base
	req := m.Request
	l.running[req] = &runningCall{cancel: cancel}
	err := l.realm.as.Spawn(base, func(ctx context.Context) {
		res, err := l.runHandler(ctx, h, call)
		if err == errOffload {
			l.offload(base, h, call)
			return
		}
		l.realm.ex.Post(func() { l.finish(req, res, err) })
	})
	if err != nil {
		l.realm.ex.Post(func() { l.finish(req, nil, err) })
	}
}

// offload runs a Blocking handler as blocking work of the backend
// (scheduler.SpawnBlocking: on an event loop, one of its helper goroutines),
// with the invocation's own context (the spawned task's ends when the task
// returns, which is now). Called from the spawned task.
func (l *localSession) offload(base context.Context, h Handler, call *Invocation) {
	call.offloaded = true
	req := call.req
	err := scheduler.SpawnBlocking(l.realm.as, base, func(ctx context.Context) {
		res, err := l.runHandler(ctx, h, call)
		l.realm.ex.Post(func() { l.finish(req, res, err) })
	})
	if err != nil {
		l.realm.ex.Post(func() { l.finish(req, nil, err) })
	}
}

// resolve finds the handler of an INVOCATION and fills in the called URI:
// a registration's procedure, or, for the dealer's fallback, the custom
// call handler or the first regular-expression route that matches.
// Executor-only.
func (l *localSession) resolve(m *wamp.Invocation, call *Invocation) (Handler, bool) {
	called, hasURI := wamp.OptString(m.Details, wamp.DetailProcedure)
	if l.fallbackReg != 0 && m.Registration == l.fallbackReg {
		call.Procedure = wamp.URI(called)
		if l.callHandler != nil {
			return l.callHandler, true
		}
		return l.matchRegex(call)
	}
	p, ok := l.handlers[m.Registration]
	if !ok {
		call.Procedure = wamp.URI(called)
		return nil, false
	}
	call.Procedure = p.uri
	if hasURI {
		call.Procedure = wamp.URI(called)
	}
	return p.h, true
}

// runHandler runs h, turning a panic into an error.
func (l *localSession) runHandler(ctx context.Context, h Handler, inv *Invocation) (res *Result, err error) {
	// Progress checks the very context the handler gets (the backend's
	// task context, a child of the one INTERRUPT cancels), so that both
	// see a cancellation at once.
	inv.ctx = ctx
	defer func() {
		if err != errOffload {
			inv.ended.Store(true)
		}
		if v := recover(); v != nil {
			err = panicError(v)
			l.realm.log.Error("procedure panicked", "procedure", string(inv.Procedure), "panic", v, "stack", string(debug.Stack()))
		}
	}()
	return h(ctx, inv)
}

// progress sends one progress report of a running invocation. Reports of
// an invocation that has ended (answered, or gone with the session) are
// dropped: the router would discard them anyway. Executor-only.
func (l *localSession) progress(req wamp.ID, args wamp.List, kwargs wamp.Dict) {
	if _, ok := l.running[req]; !ok || l.gone {
		return
	}
	l.realm.handleLocal(l.sid, &wamp.Yield{Request: req, Options: progressOptions, Args: args, Kwargs: kwargs})
}

// finish answers an invocation with YIELD or ERROR. Executor-only.
func (l *localSession) finish(req wamp.ID, res *Result, err error) {
	rc, ok := l.running[req]
	if !ok {
		return
	}
	delete(l.running, req)
	rc.cancel()
	if l.gone {
		return
	}
	var m wamp.Message
	if err != nil {
		uri, args, kwargs := errorReply(err, rc.interrupted)
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

// quoteURI quotes a URI for an error message, as the router does, so that
// a caller cannot tell the fallback's no_such_procedure from the dealer's.
func quoteURI(u wamp.URI) string { return `"` + string(u) + `"` }
