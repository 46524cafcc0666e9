package core

import (
	"context"
	"runtime/debug"

	"github.com/switchboard-wamp/switchboard/core/peer"
	"github.com/switchboard-wamp/switchboard/core/wamp"
	"github.com/switchboard-wamp/switchboard/scheduler"
)

// localProc is the peer token of an application procedure registered in
// the dealer (Realm.Register, the routes of Realm.AddRoutes): the peer
// reports it with the REGISTER's completion and with every INVOCATION of
// the registration.
type localProc struct {
	uri wamp.URI
	h   Handler
	reg registerReq // the REGISTER's answer (register.go)
}

// fallbackToken is the peer token of the dealer's fallback registration
// (routes.go): its INVOCATIONs go to the custom call handler or the
// regular-expression routes.
type fallbackToken struct{}

// runningCall is an invocation whose handler runs.
type runningCall struct {
	inv         *Invocation
	interrupted bool // INTERRUPT arrived: a plain error now means canceled
}

// invoke runs the procedure of an INVOCATION as a spawned task, whose
// outcome comes back to the executor (finish). Executor-only.
func (l *localSession) invoke(in *peer.Invocation) {
	m := in.Msg
	// The details are the router's, shared (read-only: see Invocation).
	call := &Invocation{Args: m.Args, Kwargs: m.Kwargs, Details: m.Details, l: l, req: m.Request}
	h, ok := l.resolve(in, call)
	if !ok {
		msg := "no callee registered for procedure " + quoteURI(call.Procedure)
		_ = l.p.InvocationError(m.Request, wamp.ErrNoSuchProcedure, wamp.List{msg}, nil, l.fx)
		return
	}
	call.h = h
	call.receiveProgress = in.ReceiveProgress
	if id := call.Caller(); id != 0 && id != l.sid {
		call.Session, _ = l.realm.Session(id)
	}
	// The contexts live in the Invocation (invocation_ctx.go): the realm
	// and session for Dep, RealmFrom and SessionFrom, the invocation for
	// InvocationFrom, the cancellation for INTERRUPT.
	call.env = handlerEnv{realm: l.realm, session: call.Session}
	call.vals = invocationValues{Context: context.Background(), inv: call}
	call.hctx.inv = call
	call.ctx = &call.hctx
	l.running[call.req] = runningCall{inv: call}
	if err := l.realm.as.Spawn(&call.vals, runInvocation); err != nil {
		l.finish(call.req, nil, err)
	}
}

// runInvocation is the spawned task of an invocation (a function, not a
// closure: the invocation comes with the task's context).
func runInvocation(ctx context.Context) {
	call, _ := InvocationFrom(ctx)
	l := call.l
	res, err := l.runHandler(ctx, call.h, call)
	if err == errOffload {
		l.offload(&call.vals, call.h, call)
		return
	}
	req := call.req
	if l.loop && !call.offloaded {
		// On an event loop this task runs on the loop, which runs the
		// realm's executor too: answer here rather than post the answer
		// behind the loop's queue (as Realm.Register does on the loop;
		// handlers are spawned, never run inside a realm task).
		l.finish(req, res, err)
		return
	}
	// The task ends here: on a backend that allows it, it takes the
	// answer to the realm itself rather than wake the realm's executor.
	l.realm.e.RunOrPost(func() { l.finish(req, res, err) })
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
		l.realm.e.Post(func() { l.finish(req, res, err) })
	})
	if err != nil {
		l.realm.e.Post(func() { l.finish(req, nil, err) })
	}
}

// resolve finds the handler of an INVOCATION and fills in the called URI:
// a registration's procedure, or, for the dealer's fallback, the custom
// call handler or the first regular-expression route that matches.
// Executor-only.
func (l *localSession) resolve(in *peer.Invocation, call *Invocation) (Handler, bool) {
	called, hasURI := wamp.OptString(in.Msg.Details, wamp.DetailProcedure)
	p, ok := in.Token.(*localProc)
	if !ok { // fallbackToken
		call.Procedure = wamp.URI(called)
		if l.callHandler != nil {
			return l.callHandler, true
		}
		return l.matchRegex(call)
	}
	call.Procedure = p.uri
	if hasURI {
		call.Procedure = wamp.URI(called)
	}
	return p.h, true
}

// runHandler runs h, turning a panic into an error.
func (l *localSession) runHandler(ctx context.Context, h Handler, inv *Invocation) (res *Result, err error) {
	// The handler's context (handlerCtx, which Progress checks too) is the
	// backend's task context plus the invocation's cancellation.
	inv.hctx.setTask(ctx)
	ctx = &inv.hctx
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

// progress sends one progress report of a running invocation. The peer
// drops the report of an invocation that has ended (answered, or gone with
// the session): the router would discard it anyway. Executor-only.
func (l *localSession) progress(req wamp.ID, args wamp.List, kwargs wamp.Dict) {
	if l.p.Yield(req, args, kwargs, true, l.fx) == nil {
		l.flush()
	}
}

// finish answers an invocation with YIELD or ERROR. Executor-only.
func (l *localSession) finish(req wamp.ID, res *Result, err error) {
	rc, ok := l.running[req]
	if !ok {
		return // the session has ended
	}
	delete(l.running, req)
	if err != nil {
		l.fail(req, err, rc.interrupted)
	} else if res != nil {
		_ = l.p.Yield(req, res.Args, res.Kwargs, false, l.fx)
	} else {
		_ = l.p.Yield(req, nil, nil, false, l.fx)
	}
	l.flush()
}

// fail answers an invocation whose handler failed with ERROR.
// Executor-only.
func (l *localSession) fail(req wamp.ID, err error, interrupted bool) {
	uri, args, kwargs := errorReply(err, interrupted)
	if uri == wamp.ErrRuntimeError {
		l.realm.log.Warn("procedure failed", "invocation", req, "err", err)
	}
	_ = l.p.InvocationError(req, uri, args, kwargs, l.fx)
}

// interrupt cancels the context of a running handler. Executor-only.
func (l *localSession) interrupt(req wamp.ID) {
	if rc, ok := l.running[req]; ok {
		rc.interrupted = true
		l.running[req] = rc
		rc.inv.hctx.interrupt()
	}
}

// stopHandlers cancels every running handler: the session has ended.
// Executor-only.
func (l *localSession) stopHandlers() {
	for req, rc := range l.running {
		rc.inv.hctx.interrupt()
		delete(l.running, req)
	}
}

// quoteURI quotes a URI for an error message, as the router does, so that
// a caller cannot tell the fallback's no_such_procedure from the dealer's.
func quoteURI(u wamp.URI) string { return `"` + string(u) + `"` }
