package client

import (
	"context"
	"fmt"

	"github.com/switchboard-wamp/switchboard/core/peer"
	"github.com/switchboard-wamp/switchboard/core/wamp"
	"github.com/switchboard-wamp/switchboard/scheduler"
)

// running is an invocation whose handler has not answered yet.
type running struct {
	cancel      context.CancelFunc
	interrupted bool
}

// invoke starts the handler of an INVOCATION as a backend task. Executor-only.
func (s *Session) invoke(in peer.Invocation) {
	reg, ok := in.Token.(*Registration)
	if !ok {
		return
	}
	m := in.Msg
	inv := &Invocation{
		Procedure: reg.procedure, Args: m.Args, Kwargs: m.Kwargs, Details: m.Details,
		s: s, req: m.Request, receiveProgress: in.ReceiveProgress,
	}
	if p, ok := m.Details["procedure"].(string); ok && p != "" {
		inv.Procedure = wamp.URI(p)
	}
	ctx, cancel := context.WithCancel(s.ctx)
	run := &running{cancel: cancel}
	s.invs[m.Request] = run
	spawn := s.as.Spawn
	if reg.blocking {
		spawn = func(ctx context.Context, f func(context.Context)) error { return scheduler.SpawnBlocking(s.as, ctx, f) }
	}
	err := spawn(ctx, func(ctx context.Context) {
		res, err := s.callHandler(ctx, reg.h, inv)
		if !s.run(func() { s.answer(m.Request, res, err) }) {
			s.log.Debug("client: handler answered after the backend closed", "request", uint64(m.Request))
		}
	})
	if err != nil {
		s.log.Error("client: cannot start handler", "procedure", string(inv.Procedure), "err", err)
		s.answer(m.Request, nil, fmt.Errorf("client: cannot start handler: %w", err))
	}
}

// callHandler runs h, turning a panic into an error.
func (s *Session) callHandler(ctx context.Context, h Handler, inv *Invocation) (res *Result, err error) {
	defer func() {
		if v := recover(); v != nil {
			s.log.Error("client: handler panicked", "procedure", string(inv.Procedure), "panic", v)
			res, err = nil, panicError(v)
		}
	}()
	return h(ctx, inv)
}

// answer sends YIELD or ERROR for a finished handler. Executor-only.
func (s *Session) answer(req wamp.ID, res *Result, err error) {
	run := s.invs[req]
	interrupted := false
	if run != nil {
		delete(s.invs, req)
		run.cancel()
		interrupted = run.interrupted
	}
	var perr error
	if err != nil {
		uri, args, kwargs := handlerError(err, interrupted)
		perr = s.p.InvocationError(req, uri, args, kwargs, &s.fx)
	} else {
		if res == nil {
			res = &Result{}
		}
		perr = s.p.Yield(req, res.Args, res.Kwargs, false, &s.fx)
	}
	if perr != nil {
		s.log.Debug("client: invocation answer not sent", "request", uint64(req), "err", perr)
	}
	s.flush()
}

// interrupt cancels the context of a running handler. Executor-only.
func (s *Session) interrupt(in peer.Interrupt) {
	if run := s.invs[in.Request]; run != nil {
		run.interrupted = true
		run.cancel()
	}
}
