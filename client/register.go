package client

import (
	"context"
	"errors"
	"fmt"
	"maps"

	"github.com/switchboard-wamp/switchboard/core/peer"
	"github.com/switchboard-wamp/switchboard/core/wamp"
)

// Handler implements a registered procedure. It runs as a task of the
// session's backend (one per invocation, concurrently); ctx is cancelled
// when the caller cancels (INTERRUPT) or the session ends. Return a *Result
// (nil = no payload), or an error: a *Error (or an error wrapping one)
// answers with its URI, args and kwargs; any other error answers
// wamp.error.runtime_error with [err.Error()]; returning ctx's error after
// an INTERRUPT answers wamp.error.canceled. A panic is recovered, logged and
// answered with wamp.error.runtime_error.
type Handler func(ctx context.Context, inv *Invocation) (*Result, error)

// RegisterOptions are the optional settings of a registration.
type RegisterOptions struct {
	// Match is the pattern match policy: "" (exact), "prefix" or "wildcard".
	Match string
	// Invoke is the shared registration policy: "" (single), "roundrobin",
	// "random", "first" or "last".
	Invoke string
	// Extra options are sent as they are; the fields above win on conflict.
	Extra wamp.Dict
	// Blocking declares that the handler may block (wait for other calls,
	// sleep, do blocking I/O). On the event loop backend such handlers run
	// off the loop, on its bounded offload helpers; elsewhere it changes
	// nothing. A blocking handler without it stalls the whole loop.
	Blocking bool
}

func (o *RegisterOptions) dict() wamp.Dict {
	d := wamp.Dict{}
	if o == nil {
		return d
	}
	maps.Copy(d, o.Extra)
	if o.Match != "" {
		d["match"] = o.Match
	}
	if o.Invoke != "" {
		d["invoke"] = o.Invoke
	}
	return d
}

// Registration is a procedure registered by a session. Its methods are
// safe for concurrent use.
type Registration struct {
	s         *Session
	procedure wamp.URI
	h         Handler
	w         *waiter
	id        wamp.ID // set on the executor before Register returns
	blocking  bool    // run the handler with scheduler.SpawnBlocking

	// Executor-only.
	active    bool // REGISTERED and not yet unregistered
	abandoned bool // Register gave up waiting; undo on REGISTERED
}

// ID returns the router's registration ID.
func (r *Registration) ID() wamp.ID { return r.id }

// Procedure returns the registered URI (a pattern for Match prefix/wildcard).
func (r *Registration) Procedure() wamp.URI { return r.procedure }

// complete handles the REGISTER reply. Executor-only.
func (r *Registration) complete(s *Session, c peer.Completion) {
	if reg, ok := c.Reply.(*wamp.Registered); ok {
		r.id = reg.Registration
		r.active = true
		if r.abandoned {
			r.active = false
			s.p.Unregister(r.id, nil, &s.fx)
		}
	}
	r.w.complete(s, c)
}

// Register registers h for procedure and waits for the router's answer; a
// refusal is returned as *Error. If ctx ends first, an error wrapping
// ctx.Err() is returned and a registration made meanwhile is undone. Safe
// for concurrent use.
func (s *Session) Register(ctx context.Context, procedure wamp.URI, h Handler, opts *RegisterOptions) (*Registration, error) {
	if h == nil {
		return nil, errors.New("client: register: nil Handler")
	}
	if err := s.mayWait("register " + string(procedure)); err != nil {
		return nil, err
	}
	r := &Registration{s: s, procedure: procedure, h: h, w: newWaiter(), blocking: opts != nil && opts.Blocking}
	o := opts.dict()
	if !s.post(func() {
		s.p.Register(procedure, o, r, &s.fx)
		s.flush()
	}) {
		return nil, s.closedError("register")
	}
	c, err := r.w.next(ctx)
	if err != nil {
		s.post(func() {
			r.abandoned = true
			if r.active {
				r.active = false
				s.p.Unregister(r.id, nil, &s.fx)
				s.flush()
			}
		})
		return nil, fmt.Errorf("client: register %s: %w", procedure, err)
	}
	if err := replyError(c); err != nil {
		return nil, opError("register "+string(procedure), err)
	}
	return r, nil
}

// Unregister removes the registration and waits for the router's answer.
// Invocations already running finish normally. Unregistering twice is a
// no-op that returns nil. Safe for concurrent use.
func (r *Registration) Unregister(ctx context.Context) error {
	s := r.s
	if err := s.mayWait("unregister " + string(r.procedure)); err != nil {
		return err
	}
	w := newWaiter()
	if !s.post(func() {
		if !r.active {
			w.complete(s, peer.Completion{Kind: wamp.UNREGISTER})
			return
		}
		r.active = false
		s.p.Unregister(r.id, completeFunc(func(s *Session, c peer.Completion) {
			if e, ok := c.Reply.(*wamp.Error); ok && e.Error != wamp.ErrNoSuchRegistration {
				r.active = true // the router kept it
			}
			w.complete(s, c)
		}), &s.fx)
		s.flush()
	}) {
		return s.closedError("unregister")
	}
	c, err := w.next(ctx)
	if err == nil {
		err = replyError(c)
	}
	if err != nil {
		return opError("unregister "+string(r.procedure), err)
	}
	return nil
}

// Invocation is one call of a registered procedure.
type Invocation struct {
	// Procedure is the called URI: details.procedure for pattern-based
	// registrations, else the registered URI.
	Procedure wamp.URI
	Args      wamp.List
	Kwargs    wamp.Dict
	// Details are the INVOCATION details (caller, timeout, ...).
	Details wamp.Dict

	s               *Session
	req             wamp.ID
	receiveProgress bool
}

// ReceiveProgress reports whether the caller accepts progressive results.
func (inv *Invocation) ReceiveProgress() bool { return inv.receiveProgress }

// Progress sends a progressive result to the caller. It fails with
// ErrProgressNotRequested when the caller did not ask for them, and with an
// error matching ErrSessionClosed once the session has ended. Call it from
// the handler before it returns; results are delivered in order.
func (inv *Invocation) Progress(args wamp.List, kwargs wamp.Dict) error {
	if !inv.receiveProgress {
		return ErrProgressNotRequested
	}
	s := inv.s
	select {
	case <-s.done:
		return s.closedError("progress")
	default:
	}
	if !s.run(func() {
		if err := s.p.Yield(inv.req, args, kwargs, true, &s.fx); err != nil {
			s.log.Debug("client: progress after the invocation ended", "request", uint64(inv.req), "err", err)
		}
		s.flush()
	}) {
		return s.closedError("progress")
	}
	return nil
}
