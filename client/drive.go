package client

import (
	"context"
	"errors"
	"fmt"

	"github.com/switchboard-wamp/switchboard/core/peer"
	"github.com/switchboard-wamp/switchboard/core/wamp"
	"github.com/switchboard-wamp/switchboard/scheduler"
	"github.com/switchboard-wamp/switchboard/transport"
)

// This file is the executor side of a Session: connection events come in
// through the inbox, every step of the peer is followed by flush, and flush
// applies the peer's Effects. Everything here is executor-only.

// inbound values carried by the inbox besides wamp.Message.
type (
	malformed  struct{ err error }
	connClosed struct{ cause error }
	unsent     struct {
		msg wamp.Message
		err error
	}
)

// conn is the transport.Handler of the session's connection. Its methods
// run on the connection's reader goroutine; each puts the event into the
// bounded inbox, waiting while it is full (backpressure on the reader).
type conn struct{ s *Session }

func (s *Session) accept(transport.Peer) transport.Handler { return conn{s} }

// Message is handed over with scheduler.PutInline: when the session's
// executor is idle and can be claimed, the reader runs the step itself
// (RESULT to the waiting caller, INVOCATION to its handler) instead of
// waking the executor's goroutine.
func (c conn) Message(m wamp.Message) {
	if err := scheduler.PutInline(c.s.inbox, c.s.ctx, m); err != nil {
		c.s.log.Debug("client: inbound message after session end", "type", m.Type())
	}
}

func (c conn) Malformed(err error) { c.put(malformed{err}) }
func (c conn) Closed(cause error)  { c.put(connClosed{cause}) }

// Refused implements transport.Refuser: a message too large for the
// router's limit (or not encodable) was dropped by the transport; the
// request it carried fails with a local ERROR instead of hanging.
func (c conn) Refused(m wamp.Message, err error) { c.put(unsent{m, err}) }

func (c conn) put(v any) {
	// Put fails only once the session has ended (its ctx is cancelled and
	// the inbox closed), when nothing more is wanted from the connection.
	if err := c.s.inbox.Put(c.s.ctx, v); err != nil {
		c.s.log.Debug("client: inbound event after session end", "event", fmt.Sprintf("%T", v))
	}
}

// receive is the inbox consumer.
func (s *Session) receive(v any) {
	switch v := v.(type) {
	case wamp.Message:
		s.p.Receive(v, &s.fx)
	case malformed:
		s.log.Warn("client: malformed message from router", "err", v.err)
		s.p.Abort(wamp.ErrProtocolViolationURI, v.err, &s.fx)
	case connClosed:
		s.p.ConnectionLost(v.cause, &s.fx)
	case unsent:
		uri := wamp.ErrInvalidArgument
		if errors.Is(v.err, transport.ErrMessageTooLarge) {
			uri = wamp.ErrPayloadSizeExceeded
		}
		s.log.Warn("client: message not sent", "type", v.msg.Type(), "err", v.err)
		s.p.Unsent(v.msg, uri, v.err, &s.fx)
	}
	s.flush()
}

// flush applies the peer's effects until none are left. Applying may feed
// the peer again (a late registration to undo, an overflow to abort), so
// effects are double-buffered: s.fx collects while s.fxRun is applied.
// A flush called while applying (a handler that fails to start answers at
// once) only leaves its effects in s.fx for the running loop.
func (s *Session) flush() {
	if s.flushing {
		return
	}
	s.flushing = true
	for !s.fx.Empty() {
		s.fx, s.fxRun = s.fxRun, s.fx
		s.apply(&s.fxRun)
		s.fxRun.Reset()
	}
	s.flushing = false
}

func (s *Session) apply(fx *peer.Effects) {
	for _, m := range fx.Send {
		if s.inl != nil {
			if !s.inl.SendInline(m) {
				s.log.Debug("client: send on a closed connection", "type", m.Type())
			}
		} else if s.tp == nil || !s.tp.Send(m) {
			s.log.Debug("client: send on a closed connection", "type", m.Type())
		}
	}
	if fx.Closed != nil && s.closeErr == nil {
		s.closeErr = closeErrorFrom(fx.Closed)
	}
	if fx.Joined != nil {
		s.onJoined(fx.Joined)
	}
	if fx.Challenge != nil {
		s.onChallenge(fx.Challenge)
	}
	for _, c := range fx.Completions {
		s.complete(c)
	}
	for _, in := range fx.Invocations {
		s.invoke(in)
	}
	for _, in := range fx.Interrupts {
		s.interrupt(in)
	}
	for _, ev := range fx.Events {
		s.deliver(ev)
	}
	for _, r := range fx.Revoked {
		s.revoke(r)
	}
	if fx.Closed != nil {
		s.finish()
	}
}

// completer is implemented by every request token: waiters, and the
// Registration and Subscription handles.
type completer interface {
	complete(s *Session, c peer.Completion)
}

// completeFunc adapts a function to completer.
type completeFunc func(s *Session, c peer.Completion)

func (f completeFunc) complete(s *Session, c peer.Completion) { f(s, c) }

func (s *Session) complete(c peer.Completion) {
	if c.Err != nil && errors.Is(c.Err, peer.ErrSessionClosed) && s.closeErr != nil {
		c.Err = s.closeErr
	}
	if c.Err != nil && c.Request == 0 {
		c.Err = &notSentError{c.Err} // refused before an ID was drawn
	}
	if t, ok := c.Token.(completer); ok {
		t.complete(s, c)
	}
}

func (s *Session) onJoined(w *wamp.Welcome) {
	s.isJoined = true
	s.id = w.Session
	s.details = w.Details
	s.log = s.log.With("session", uint64(w.Session))
	if s.joinTimer != nil {
		s.joinTimer.Stop()
	}
	close(s.joined)
	s.joinedHooks()
}

func (s *Session) onChallenge(c *wamp.Challenge) {
	h := s.cfg.OnChallenge
	if h == nil {
		s.p.Abort(wamp.ErrAuthenticationFailed,
			fmt.Errorf("client: CHALLENGE for %q but Config.OnChallenge is nil", c.AuthMethod), &s.fx)
		return
	}
	// SpawnBlocking: the handler may block (ChallengeHandler's contract),
	// which on the event loop backend must not happen on the loop.
	err := scheduler.SpawnBlocking(s.as, s.ctx, func(ctx context.Context) {
		sig, extra, err := h(ctx, c)
		s.post(func() {
			if err != nil {
				s.p.Abort(wamp.ErrAuthenticationFailed, fmt.Errorf("client: challenge handler: %w", err), &s.fx)
			} else if aerr := s.p.Authenticate(sig, extra, &s.fx); aerr != nil {
				s.log.Debug("client: authenticate after the join ended", "err", aerr)
			}
			s.flush()
		})
	})
	if err != nil {
		s.p.Abort(wamp.ErrAuthenticationFailed, fmt.Errorf("client: challenge handler: %w", err), &s.fx)
	}
}

// finish releases everything once the peer reported Closed.
func (s *Session) finish() {
	if s.joinTimer != nil {
		s.joinTimer.Stop()
	}
	if s.tp != nil {
		s.tp.Close()
	}
	s.cancel() // interrupts running handlers and wakes a blocked reader
	s.inbox.Close()
	clear(s.invs)
	s.err = s.closeErr
	s.log.Debug("client: session ended", "err", s.err)
	s.endHooks()
	close(s.done)
}
