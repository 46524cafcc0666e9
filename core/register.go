package core

import (
	"context"
	"errors"
	"fmt"
	"sync/atomic"

	"github.com/switchboard-wamp/switchboard/core/peer"
	"github.com/switchboard-wamp/switchboard/core/wamp"
)

// registerReq is the REGISTER of a localProc, as far as a waiting Go call
// is concerned.
type registerReq struct {
	reply     replyCh
	abandoned atomic.Bool // the caller stopped waiting; set off the executor
	id        wamp.ID     // executor-only: the registration, once REGISTERED
	undone    bool        // executor-only: UNREGISTER sent for an abandoned one
}

// complete handles the REGISTER's completion: a registration whose caller
// has given up is undone at once. Executor-only.
func (p *localProc) complete(l *localSession, c peer.Completion) {
	if reg, ok := c.Reply.(*wamp.Registered); ok {
		p.reg.id = reg.Registration
		if p.reg.abandoned.Load() {
			p.undo(l)
		}
	}
	p.reg.reply.complete(l, c)
}

// abandon is called when the caller stops waiting for the REGISTER's
// answer: whenever the registration is made, before or after, it is
// undone, so that no procedure stays bound that nobody holds.
func (p *localProc) abandon(l *localSession) {
	p.reg.abandoned.Store(true)
	l.realm.e.Post(func() {
		p.undo(l)
		l.flush()
	})
}

// undo unregisters an abandoned registration, once, if it was made.
// Executor-only.
func (p *localProc) undo(l *localSession) {
	if p.reg.id == 0 || p.reg.undone {
		return
	}
	p.reg.undone = true
	l.p.Unregister(p.reg.id, nil, l.fx)
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
// the dealer refuses. When ctx ends first, an error wrapping ctx.Err() is
// returned and a registration made meanwhile is undone. Safe for
// concurrent use; it waits for the realm's executor, so a handler that
// calls it must be marked Blocking.
func (r *Realm) Register(ctx context.Context, procedure wamp.URI, h Handler, opts *RegisterOptions) (*Registration, error) {
	if h == nil {
		return nil, errors.New("core: Register: nil handler")
	}
	l := r.local
	proc := &localProc{uri: procedure, h: h, reg: registerReq{reply: newReply()}}
	o := opts.dict()
	c, err := l.do(ctx, proc.reg.reply, func() {
		l.p.Register(procedure, o, proc, l.fx)
		l.flush()
	})
	if err != nil {
		proc.abandon(l)
		return nil, fmt.Errorf("core: register %q: %w", procedure, err)
	}
	if err := completionError(c); err != nil {
		return nil, fmt.Errorf("core: register %q: %w", procedure, err)
	}
	return &Registration{realm: r, id: c.Reply.(*wamp.Registered).Registration}, nil
}

// Unregister removes the procedure from the dealer. Calls already running
// finish normally. Unregistering again fails with an *Error
// (wamp.error.no_such_registration), as the dealer answers.
func (g *Registration) Unregister(ctx context.Context) error {
	l := g.realm.local
	rep := newReply()
	c, err := l.do(ctx, rep, func() {
		l.p.Unregister(g.id, rep, l.fx)
		l.flush()
	})
	if err == nil {
		err = completionError(c)
	}
	if errors.Is(err, peer.ErrNoSuchRegistration) {
		err = &Error{URI: wamp.ErrNoSuchRegistration, Args: wamp.List{"no such registration"}}
	}
	if err != nil {
		return fmt.Errorf("core: unregister %d: %w", g.id, err)
	}
	return nil
}

// registerNow registers a procedure from a task already on the executor
// and returns its registration ID. The router answers within the flush
// that sends REGISTER. Executor-only, never inside a flush.
func (l *localSession) registerNow(uri wamp.URI, h Handler, opts wamp.Dict) (wamp.ID, error) {
	proc := &localProc{uri: uri, h: h, reg: registerReq{reply: newReply()}}
	l.p.Register(uri, opts, proc, l.fx)
	l.flush()
	select {
	case c := <-proc.reg.reply:
		if err := completionError(c); err != nil {
			return 0, err
		}
		return c.Reply.(*wamp.Registered).Registration, nil
	default:
		proc.abandon(l)
		return 0, errors.New("core: the router did not answer REGISTER synchronously")
	}
}

// unregisterNow drops a registration made by registerNow, without waiting
// for the answer. Executor-only, never inside a flush.
func (l *localSession) unregisterNow(id wamp.ID) {
	l.p.Unregister(id, nil, l.fx)
	l.flush()
}
