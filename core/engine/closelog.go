package engine

import (
	"context"
	"errors"
	"log/slog"

	"github.com/switchboard-wamp/switchboard/core/router"
	"github.com/switchboard-wamp/switchboard/core/wamp"
	"github.com/switchboard-wamp/switchboard/transport"
)

// Every session that ends gets exactly one log line, "session closed: WHAT",
// with the realm, the session ID, the peer address, the reason (the WAMP
// URI the router closed it with, or the transport's close cause) and the
// message the ABORT or GOODBYE carried. It is at info level when the end
// is abnormal (a protocol violation, a kill, a handshake refused or timed
// out, a slow consumer, a keepalive timeout, a connection lost without
// GOODBYE) and at debug level for a normal one (GOODBYE with
// wamp.close.normal, goodbye_and_out or close_realm, router shutdown).
// What the peer is told: the ABORT or GOODBYE (reason URI and message) the
// router sent where the protocol allows; a slow consumer's WebSocket close
// frame says "slow consumer" (1008); a peer silent past its keepalive is
// not answered.

// routerClose describes a close the router decided (Effects.Close):
// what happened and whether it is abnormal.
func routerClose(reason wamp.URI, message string, handshaking bool) (what string, abnormal bool) {
	switch {
	case reason == wamp.ErrProtocolViolationURI:
		return "protocol violation", true
	case message == router.HandshakeTimedOut:
		return "handshake timeout", true
	case reason == wamp.CloseKilled:
		return "killed", true
	case reason == wamp.CloseSystemShutdown:
		return "router shutdown", false
	case handshaking:
		return "handshake refused", true
	case reason == wamp.CloseNormal || reason == wamp.CloseGoodbyeAndOut || reason == wamp.CloseRealm:
		return "goodbye", false
	}
	return "closed", true
}

// transportClose describes a connection the transport ended under a
// session (Handler.Closed): what happened. Always abnormal: the session
// ended without GOODBYE.
func transportClose(cause error) string {
	var ce *transport.CloseError
	switch {
	case errors.Is(cause, transport.ErrSlowConsumer):
		return "slow consumer"
	case errors.Is(cause, transport.ErrKeepaliveTimeout):
		return "keepalive timeout"
	case errors.Is(cause, transport.ErrWriteTimeout):
		return "write timeout"
	case errors.Is(cause, transport.ErrInboundBudget):
		return "inbound budget exhausted"
	case errors.As(cause, &ce) && ce.Remote:
		return "connection closed by the peer without GOODBYE"
	}
	return "connection lost"
}

// closeMessage returns the message of the last ABORT or GOODBYE the
// router sends sid in fx, or "".
func closeMessage(fx *router.Effects, sid wamp.ID) string {
	for i := len(fx.Out) - 1; i >= 0; i-- {
		if fx.Out[i].To != sid {
			continue
		}
		var d wamp.Dict
		switch m := fx.Out[i].Msg.(type) {
		case *wamp.Abort:
			d = m.Details
		case *wamp.Goodbye:
			d = m.Details
		default:
			continue
		}
		msg, _ := d["message"].(string)
		return msg
	}
	return ""
}

// logClosed writes the one line of a session's end. It must run while
// the session's outlet is still registered (for the peer address).
// Executor-only.
func (r *Realm) logClosed(sid wamp.ID, what, reason, message string, abnormal bool) {
	level := slog.LevelDebug
	if abnormal {
		level = slog.LevelInfo
	}
	if !r.log.Enabled(context.Background(), level) {
		return // a session's logger costs a dozen allocations
	}
	l := r.sessionLog(sid)
	attrs := []any{"reason", reason}
	if message != "" {
		attrs = append(attrs, "message", message)
	}
	l.Log(context.Background(), level, "session closed: "+what, attrs...)
}
