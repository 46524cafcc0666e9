package client

import (
	"context"
	"errors"
	"fmt"

	"github.com/switchboard-wamp/switchboard/core/wamp"
	"github.com/switchboard-wamp/switchboard/scheduler"
	"github.com/switchboard-wamp/switchboard/transport"
)

// CloseTransportLost is the LeaveDetails.Reason of a session whose
// connection was lost (the URI autobahn uses for the same case).
const CloseTransportLost wamp.URI = "wamp.close.transport_lost"

// Hooks are the lifecycle callbacks of a session, autobahn's
// ApplicationSession onConnect, onJoin, onLeave, onDisconnect and the
// Component's ready and connectfailure events. Every field is optional.
//
// They run in this order, one at a time, as blocking tasks of the
// session's backend (off an event loop, so they may wait: OnJoin may call
// Register, Call, ...), never on the session's executor:
//
//	OnConnect → [challenge: Config.OnChallenge] → OnJoin → OnReady → OnLeave → OnDisconnect
//
// OnConnectFailure instead of all of them when the connection cannot be
// made. OnLeave also runs for a join that ended in ABORT (no OnJoin
// then); OnJoin and OnReady run only for a joined session. A hook that
// never returns holds the ones after it; on the pool backend a hook that
// waits holds a worker meanwhile, as a waiting handler does.
type Hooks struct {
	// OnConnect runs once the transport is connected, before HELLO.
	OnConnect func(s *Session, info transport.Info)
	// OnJoin runs after WELCOME, with its details; ctx ends with the
	// session. Join returns only after it (and OnReady) ran, so what it
	// registers is in place when the session is handed out. An error
	// makes the session leave: Join fails with it.
	OnJoin func(ctx context.Context, s *Session, d *SessionDetails) error
	// OnReady runs after OnJoin returned nil: everything the join
	// declared is in place.
	OnReady func(ctx context.Context, s *Session)
	// OnLeave runs when the WAMP session ends: a GOODBYE either way, an
	// ABORT, or the connection lost (Reason CloseTransportLost).
	OnLeave func(s *Session, d *LeaveDetails)
	// OnDisconnect runs last, when the connection is closed; clean
	// reports that the session ended with a GOODBYE exchange.
	OnDisconnect func(s *Session, clean bool)
	// OnConnectFailure runs when the connection could not be made (dial,
	// TLS or transport handshake error), on the goroutine that called
	// Join (a Component's Start), before Join returns the error.
	OnConnectFailure func(err error)
}

// SessionDetails describe a joined session: WELCOME's session ID and
// details (autobahn's SessionDetails).
type SessionDetails struct {
	Realm        wamp.URI
	Session      wamp.ID
	AuthID       string
	AuthRole     string
	AuthMethod   string
	AuthProvider string
	AuthExtra    wamp.Dict
	// Details are WELCOME's details as received (roles, ...).
	Details wamp.Dict
	// Transport describes the connection the session runs on.
	Transport transport.Info
}

func sessionDetails(realm wamp.URI, id wamp.ID, d wamp.Dict, info transport.Info) *SessionDetails {
	str := func(k string) string { v, _ := d[k].(string); return v }
	extra, _ := d["authextra"].(wamp.Dict)
	if extra == nil {
		if m, ok := d["authextra"].(map[string]any); ok {
			extra = wamp.Dict(m)
		}
	}
	return &SessionDetails{
		Realm: realm, Session: id, AuthID: str("authid"), AuthRole: str("authrole"),
		AuthMethod: str("authmethod"), AuthProvider: str("authprovider"), AuthExtra: extra,
		Details: d, Transport: info,
	}
}

// LeaveDetails tell why a session ended (autobahn's CloseDetails).
type LeaveDetails struct {
	// Reason is the GOODBYE/ABORT reason (the router's when it ended the
	// session), or CloseTransportLost.
	Reason wamp.URI
	// Message is the details.message of the router's GOODBYE/ABORT.
	Message string
	// Err is the session's end, as Session.Err returns it.
	Err *CloseError
}

func leaveDetails(e *CloseError) *LeaveDetails {
	d := &LeaveDetails{Reason: e.Reason, Message: e.Message, Err: e}
	if d.Reason == "" {
		d.Reason = CloseTransportLost
	}
	return d
}

// errJoinHook wraps the error of a Hooks.OnJoin that refused the session.
var errJoinHook = errors.New("join hook")

// ErrWelcomeRefused is matched by the error of a join whose WELCOME
// Config.CheckWelcome refused (a router that failed mutual
// authentication); the error wraps the check's.
var ErrWelcomeRefused = errors.New("client: WELCOME refused")

// hook queues f on the session's hook strand. Executor-only (the strand
// keeps the order in which the executor saw the lifecycle steps).
func (s *Session) hook(name string, f func()) bool {
	ok := s.hooks.Post(func() {
		defer func() {
			if v := recover(); v != nil {
				s.log.Error("client: lifecycle hook panicked", "hook", name, "panic", v)
			}
		}()
		f()
	})
	if !ok {
		s.log.Warn("client: lifecycle hook not run: backend closed", "hook", name)
	}
	return ok
}

// connectedHook reports the connection. Executor-only.
func (s *Session) connectedHook() {
	s.connected = true
	if h := s.cfg.Hooks.OnConnect; h != nil {
		info := s.tp.Info()
		s.hook("OnConnect", func() { h(s, info) })
	}
}

// joinedHooks runs OnJoin and OnReady, then releases Join. Executor-only.
func (s *Session) joinedHooks() {
	h := s.cfg.Hooks
	if h.OnJoin == nil && h.OnReady == nil && s.cfg.CheckWelcome == nil {
		close(s.ready)
		return
	}
	d := sessionDetails(s.cfg.Realm, s.id, s.details, s.tp.Info())
	ok := s.hook("OnJoin", func() {
		if err := s.checkWelcome(d.Details); err != nil {
			s.post(func() { s.leaveAfterHook(fmt.Errorf("%w: %w", ErrWelcomeRefused, err)) })
			return
		}
		if err := s.runJoinHook(d); err != nil {
			s.post(func() { s.leaveAfterHook(fmt.Errorf("%w: %w", errJoinHook, err)) })
			return
		}
		if h.OnReady != nil {
			h.OnReady(s.ctx, s)
		}
		close(s.ready)
	})
	if !ok {
		s.abort(wamp.CloseNormal, scheduler.ErrClosed)
	}
}

// checkWelcome calls Config.CheckWelcome, turning a panic into an error.
func (s *Session) checkWelcome(details wamp.Dict) (err error) {
	if s.cfg.CheckWelcome == nil {
		return nil
	}
	defer func() {
		if v := recover(); v != nil {
			err = fmt.Errorf("client: CheckWelcome panicked: %v", v)
		}
	}()
	return s.cfg.CheckWelcome(details)
}

// runJoinHook calls OnJoin, turning a panic into an error.
func (s *Session) runJoinHook(d *SessionDetails) (err error) {
	if s.cfg.Hooks.OnJoin == nil {
		return nil
	}
	defer func() {
		if v := recover(); v != nil {
			err = fmt.Errorf("client: OnJoin panicked: %v", v)
		}
	}()
	return s.cfg.Hooks.OnJoin(s.ctx, s, d)
}

// leaveAfterHook says GOODBYE after OnJoin refused the session; a router
// that does not answer within JoinTimeout is cut off. Executor-only:
// joinErr is written before finish closes done, which Join waits for.
func (s *Session) leaveAfterHook(err error) {
	if s.p.Closed() {
		return
	}
	s.joinErr = err
	_ = s.p.Leave(wamp.CloseNormal, &s.fx)
	s.joinTimer = s.as.AfterFunc(s.cfg.JoinTimeout, func() {
		s.post(func() { s.p.Drop(s.joinErr, &s.fx); s.flush() })
	})
	s.flush()
}

// endHooks reports the end of the session and of its connection.
// Executor-only, from finish.
func (s *Session) endHooks() {
	h := s.cfg.Hooks
	e := s.closeErr
	if h.OnLeave != nil && s.helloSent {
		d := leaveDetails(e)
		s.hook("OnLeave", func() { h.OnLeave(s, d) })
	}
	if h.OnDisconnect != nil && s.connected {
		clean := e != nil && e.Goodbye
		s.hook("OnDisconnect", func() { h.OnDisconnect(s, clean) })
	}
}
