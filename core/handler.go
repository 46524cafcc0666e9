package core

import (
	"context"
	"errors"
	"fmt"
	"sync/atomic"
	"time"

	"github.com/switchboard-wamp/switchboard/core/wamp"
	"github.com/switchboard-wamp/switchboard/scheduler"
)

// Errors of Invocation.Progress.
var (
	// ErrProgressNotRequested: the caller did not ask for progressive
	// results (or the router would not forward them); the report is not
	// sent. A handler may keep going and return its final result.
	ErrProgressNotRequested = errors.New("core: the caller did not ask for progressive results")
	// ErrInvocationDone: the handler already returned.
	ErrInvocationDone = errors.New("core: invocation already answered")
)

// Invocation is one call of an application procedure. Its exported fields
// are the handler's to read; Args, Kwargs and Details may be shared with
// the caller's message and with other invocations (the details of one
// caller's plain calls are one map), so a handler that wants to change one
// changes a copy (slices.Clone, maps.Clone). Its methods are safe for
// concurrent use.
type Invocation struct {
	// Procedure is the URI the caller called (for pattern routes, the
	// concrete URI, not the pattern).
	Procedure wamp.URI
	Args      wamp.List
	Kwargs    wamp.Dict
	// Details are the INVOCATION details the dealer sent: the caller's
	// identity (always, for the application's procedures), and
	// receive_progress, timeout and disclose_me when the caller set them.
	// Read-only (see Invocation).
	Details wamp.Dict
	// Session is the calling session, or nil when the caller is the
	// application itself (Realm.Call) or left before the call started.
	Session *Session
	// Params are the named groups of a regular-expression route's match
	// (Routes.Regex); nil for other routes.
	Params map[string]string

	ctx             context.Context // the handler's context (&hctx; nil for an Invocation the engine did not create)
	h               Handler
	env             handlerEnv       // invocation_ctx.go
	vals            invocationValues // the parent of the handler's task
	hctx            handlerCtx       // the handler's context
	l               *localSession
	req             wamp.ID
	receiveProgress bool
	offloaded       bool // runs on an offload helper (Blocking)
	ended           atomic.Bool
}

// Realm returns the realm the call was made in (nil for an Invocation the
// engine did not create), so that a procedure added to every realm
// (Application.AddRoutes) can call and publish in the caller's realm.
func (inv *Invocation) Realm() *Realm {
	if inv.l == nil {
		return nil
	}
	return inv.l.realm
}

// ReceiveProgress reports whether the caller asked for progressive results
// (and the router will forward them).
func (inv *Invocation) ReceiveProgress() bool { return inv.receiveProgress }

// Caller returns the calling session's ID (0 if the router did not say).
func (inv *Invocation) Caller() wamp.ID {
	id, _ := wamp.OptID(inv.Details, wamp.DetailCaller)
	return id
}

// Timeout returns the caller's options.timeout, 0 if it set none (or one
// too large for a Duration, which the router treats as none). The router
// enforces it: when it passes, the handler's context is cancelled.
func (inv *Invocation) Timeout() time.Duration {
	ms, _ := wamp.OptInt(inv.Details, wamp.OptTimeout)
	return wamp.TimeoutDuration(ms)
}

// DiscloseCaller reports whether the caller asked to disclose its identity
// (options.disclose_me). The application always knows the caller; this
// tells it whether the caller agreed to have it passed on.
func (inv *Invocation) DiscloseCaller() bool {
	b, _ := wamp.OptBool(inv.Details, wamp.OptDiscloseMe)
	return b
}

// Progress sends a progressive result to the caller, ahead of the final one
// the handler returns; reports reach the caller in the order they were
// sent, before the final result. It does not wait for delivery. It fails
// with ErrProgressNotRequested when the caller did not ask for progressive
// results (nothing is sent), with the context's error once the call was
// cancelled, and with ErrInvocationDone after the handler returned.
func (inv *Invocation) Progress(args wamp.List, kwargs wamp.Dict) error {
	if !inv.receiveProgress || inv.l == nil {
		return ErrProgressNotRequested
	}
	if inv.ended.Load() {
		return ErrInvocationDone
	}
	if err := inv.ctx.Err(); err != nil {
		return err
	}
	l, req := inv.l, inv.req
	if l.loop && !inv.offloaded && scheduler.OnLoop(l.realm.as) {
		// A handler on the event loop answers there (runInvocation): its
		// reports go out there too, before its final answer.
		l.progress(req, args, kwargs)
		return nil
	}
	if !l.realm.e.Post(func() { l.progress(req, args, kwargs) }) {
		return ErrClosed
	}
	return nil
}

type invocationKey struct{}

// InvocationFrom returns the invocation a handler's context belongs to, so
// that typed handlers (Func1, Bind, ...) reach the details, the calling
// session and Progress.
func InvocationFrom(ctx context.Context) (*Invocation, bool) {
	inv, ok := ctx.Value(invocationKey{}).(*Invocation)
	return inv, ok
}

// SessionFrom returns the calling session of the invocation a handler's
// context belongs to, or the session of a topic handler's, session hook's
// or cleanup's context (deps.go). ok is false when the caller is the
// application itself or has already left.
func SessionFrom(ctx context.Context) (*Session, bool) {
	inv, ok := InvocationFrom(ctx)
	if !ok || inv.Session == nil {
		return sessionFromEnv(ctx)
	}
	return inv.Session, true
}

// Result is what a procedure returns to its caller.
type Result struct {
	Args   wamp.List
	Kwargs wamp.Dict
	// Progress marks a progress report in a progressive handler's stream
	// (see ProgressReport and Progressive). A Handler's returned Result is
	// always the final one, whatever this says.
	Progress bool
}

// Error is an application error with a WAMP error URI. A handler that returns
// an *Error (or wraps one) answers the caller with exactly that URI, args and
// kwargs. A URI that is empty or not a URI (the spec's loose rules, no
// empty components: wamp.ValidURI) is never sent: the caller gets
// wamp.error.runtime_error with the same args and kwargs instead, as for a
// plain error, and the error is logged.
type Error struct {
	URI    wamp.URI
	Args   wamp.List
	Kwargs wamp.Dict
}

// Error implements error.
func (e *Error) Error() string {
	if len(e.Args) > 0 {
		if s, ok := e.Args[0].(string); ok {
			return string(e.URI) + ": " + s
		}
	}
	return string(e.URI)
}

// Handler implements an application procedure. It runs as a task of the
// application's backend, never on a realm's executor; ctx is cancelled when
// the call is cancelled, times out, or its caller leaves, and carries the
// invocation (InvocationFrom, SessionFrom).
//
// Return a *Result, or an error: an *Error carries its own URI; any other
// error answers wamp.error.runtime_error without its text (which is logged),
// so internals do not leak to callers; after the call was interrupted
// (CANCEL mode kill), a non-*Error answers wamp.error.canceled. A panic is
// recovered and answered as wamp.error.runtime_error. A nil *Result is an
// empty result.
//
// Typed and streaming handlers are Handlers too: see Func1, Bind and
// Progressive.
type Handler func(ctx context.Context, inv *Invocation) (*Result, error)

// errOffload is what a Blocking handler answers when it finds itself on a
// shared event loop: the engine then runs it again as blocking work
// (scheduler.SpawnBlocking). It never reaches a caller.
var errOffload = errors.New("core: run this handler off the event loop")

// Blocking marks h as a handler that may block: wait for its context, sleep,
// do synchronous I/O, or call Realm.Call, which waits for another handler.
// On a backend that runs handlers on a shared event loop
// (adapters/eventloop) the engine runs h on one of the loop's helper
// goroutines, so h holds up no other work; on the other backends (whose
// handlers run apart from the realms' executors already) it runs as any
// handler. Handlers that never wait need no marking. An unmarked handler on
// the loop may still use the requests the realm answers at once
// (Realm.Publish with Acknowledge, Realm.Register, Session.SendEvent): they
// run inline; Realm.Call there fails at once with scheduler.ErrWouldBlock
// instead of deadlocking the loop. (In the event loop's manual mode
// offloaded work runs inline and must not wait for the loop either.)
func Blocking(h Handler) Handler {
	if h == nil {
		panic("core: Blocking(nil)")
	}
	return func(ctx context.Context, inv *Invocation) (*Result, error) {
		if inv.l != nil && inv.l.loop && !inv.offloaded {
			return nil, errOffload
		}
		return h(ctx, inv)
	}
}

// RegisterOptions are the REGISTER options of an application procedure.
type RegisterOptions struct {
	// Match is "exact" (default), "prefix" or "wildcard".
	Match string
	// Invoke is the shared-registration policy: "single" (default),
	// "roundrobin", "random", "first", "last".
	Invoke string
}

func (o *RegisterOptions) dict() wamp.Dict {
	d := wamp.Dict{}
	if o == nil {
		return d
	}
	if o.Match != "" {
		d["match"] = o.Match
	}
	if o.Invoke != "" {
		d["invoke"] = o.Invoke
	}
	return d
}

// PublishOptions are the PUBLISH options of an application publication.
type PublishOptions struct {
	// Acknowledge makes Publish wait for the broker's PUBLISHED.
	Acknowledge bool
	// Exclude and Eligible restrict the receivers by session ID.
	Exclude, Eligible []wamp.ID
}

func (o *PublishOptions) dict() wamp.Dict {
	d := wamp.Dict{}
	if o == nil {
		return d
	}
	if o.Acknowledge {
		d["acknowledge"] = true
	}
	if len(o.Exclude) > 0 {
		d["exclude"] = idList(o.Exclude)
	}
	if len(o.Eligible) > 0 {
		d["eligible"] = idList(o.Eligible)
	}
	return d
}

func idList(ids []wamp.ID) wamp.List {
	l := make(wamp.List, len(ids))
	for i, id := range ids {
		l[i] = int64(id)
	}
	return l
}

// requestError turns a WAMP ERROR reply to one of the local session's
// requests into a Go error.
func requestError(e *wamp.Error) error {
	return &Error{URI: e.Error, Args: e.Args, Kwargs: e.Kwargs}
}

// errorReply maps a handler's failure to the ERROR fields sent to the
// caller. interrupted says the router asked the handler to stop (CANCEL
// kill): a plain error then means "canceled".
func errorReply(err error, interrupted bool) (wamp.URI, wamp.List, wamp.Dict) {
	var we *Error
	if errors.As(err, &we) {
		return appErrorURI(we.URI), we.Args, we.Kwargs
	}
	if interrupted {
		return wamp.ErrCanceled, wamp.List{"call canceled"}, nil
	}
	return wamp.ErrRuntimeError, nil, nil
}

// appErrorURI is u when it is a valid error URI (loose rules, no empty
// component), else wamp.error.runtime_error: an application's *Error with
// no URI or an invalid one must not make the router send an invalid ERROR.
func appErrorURI(u wamp.URI) wamp.URI {
	if u == "" || !wamp.ValidURI(u, false, false) {
		return wamp.ErrRuntimeError
	}
	return u
}

func panicError(v any) error { return fmt.Errorf("core: handler panicked: %v", v) }
