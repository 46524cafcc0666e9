package engine

import (
	"context"
	"log/slog"
	"sync/atomic"
	"time"

	"github.com/switchboard-wamp/switchboard/core/router"
	"github.com/switchboard-wamp/switchboard/core/wamp"
	"github.com/switchboard-wamp/switchboard/scheduler"
	"github.com/switchboard-wamp/switchboard/transport"
)

// IDSource yields WAMP IDs in 1..2^53, safe for concurrent use.
type IDSource interface {
	NextID() wamp.ID
}

// Server accepts connections for a set of realms: it is the
// transport.Acceptor of an application. Its fields are set before the
// first connection and read-only afterwards.
type Server struct {
	Backend scheduler.AsyncSupport
	IDs     IDSource
	Log     *slog.Logger
	// HandshakeTimeout bounds connect to WELCOME.
	HandshakeTimeout time.Duration
	// InflightPerSession bounds the messages of one connection waiting in
	// its realm (duty 2), and InflightBytesPerSession their estimated size
	// (wamp.SizeHint): the reader waits once either is reached.
	InflightPerSession      int
	InflightBytesPerSession int
	// RealmFor returns the realm a HELLO for uri joins, if any.
	RealmFor func(uri wamp.URI) (*Realm, bool)
	// Closed reports that the application is closing: new HELLOs are
	// refused with wamp.close.system_shutdown.
	Closed func() bool
	// Admit is cancelled when the application starts closing: handshakes
	// in progress end.
	Admit context.Context
	// Metrics, when set, counts handshake timeouts and authentication
	// failures.
	Metrics *Metrics
	// MaxHandshakes bounds the sessions in their handshake (HELLO
	// received, no WELCOME yet) across all realms, and
	// MaxHandshakesPerAddress those from one source IP (not applied to
	// unix sockets). A HELLO beyond either is answered with ABORT
	// ReasonTooManyHandshakes and the connection closed; except that a
	// HELLO over MaxHandshakes, within its address's limit, takes the
	// place of the oldest handshake still in flight, whose connection is
	// closed (a flood of HELLOs that never finish cannot keep quick
	// handshakes out). 0 = no limit.
	MaxHandshakes           int
	MaxHandshakesPerAddress int
	// RateLimit, when positive, bounds the messages each connection may
	// send per second once it sent HELLO, with bursts of RateBurst (0 = one
	// second's worth): beyond it the connection's reader is paused until
	// its token bucket refills (ratelimit.go). 0 = no limit.
	RateLimit float64
	RateBurst int

	hs hsLimiter
}

// Accept implements transport.Acceptor.
func (s *Server) Accept(p transport.Peer) transport.Handler {
	c := &conn{srv: s, peer: p, start: s.Backend.Now()}
	c.fc, _ = p.(transport.FlowControl)
	c.timer = s.Backend.AfterFunc(s.HandshakeTimeout, c.noHello)
	return c
}

// conn is the engine's end of one connection (a transport.Handler).
// Message, Malformed and Closed run on the connection's reader goroutine,
// one at a time; Refused on its writer.
//
// A conn holds no session state. Its first message must be a HELLO for a
// realm that exists (router.Preamble, then Server.RealmFor); from then on
// every event goes, in arrival order, to that realm's executor, where the
// pure router runs the whole handshake (authentication, its CHALLENGE round
// trips, the handshake deadline, WELCOME or ABORT) and then the session.
// Before HELLO, a timer closes a connection that sends nothing; once the
// realm is chosen, its deadline is the router's.
type conn struct {
	srv   *Server
	peer  transport.Peer
	fc    transport.FlowControl // the peer's flow control, nil if it has none
	start time.Time             // the handshake deadline counts from here
	timer scheduler.Timer       // no HELLO within HandshakeTimeout: close

	// realm is set by the reader when HELLO chose it (sid first); the
	// timer and the writer read it.
	realm atomic.Pointer[Realm]
	sid   wamp.ID
	done  bool // reader only: the connection was refused before HELLO

	// inflight weighs the messages handed to the realm and not yet routed
	// (see weigh).
	inflight atomic.Int64
	// hs: the connection's place among the handshakes in flight
	// (hslimit.go).
	hs hsPlace
	// rate is the connection's token bucket (Server.RateLimit). Reader only.
	rate rateBucket
}

// MaxHelloBytes bounds a HELLO's estimated size (wamp.SizeHint): a
// session in its handshake keeps its HELLO, and max_handshakes of them may
// be held at once, so the bound on what handshakes hold is
// MaxHandshakes x MaxHelloBytes, not MaxHandshakes x MaxMessageBytes. Real
// clients' HELLOs are a few KiB. A larger one is a protocol violation.
const MaxHelloBytes = 64 << 10

// noHello closes a connection that sent no HELLO in time. If a HELLO
// races it, the realm sees the connection drop, like any other.
func (c *conn) noHello() {
	if c.realm.Load() != nil {
		return
	}
	c.srv.Log.Info("handshake timeout: no HELLO", "peer", c.peer.Info().PeerAddr)
	c.srv.Metrics.handshakeTimedOut()
	c.peer.Close()
}

// Message implements transport.Handler.
func (c *conn) Message(m wamp.Message) {
	if r := c.realm.Load(); r != nil {
		c.toRealm(r, m)
		return
	}
	if c.done {
		return // refused: the connection is going away
	}
	hello, abort := router.Preamble(m)
	var realm *Realm
	switch {
	case abort != nil:
	case wamp.SizeHint(hello) > MaxHelloBytes:
		abort = abortMsg(wamp.ErrProtocolViolationURI, "HELLO larger than 64 KiB")
	case c.srv.Closed():
		abort = abortMsg(wamp.CloseSystemShutdown, "the router is shutting down")
	default:
		var ok bool
		if realm, ok = c.srv.RealmFor(hello.Realm); !ok {
			abort = abortMsg(wamp.ErrNoSuchRealm, "no such realm: "+string(hello.Realm))
		}
	}
	c.timer.Stop()
	c.timer = stoppedTimer{} // let the backend's timer go
	if abort == nil {
		abort = c.admitHandshake()
	}
	if abort != nil {
		c.refuse(abort)
		return
	}
	c.sid = c.srv.IDs.NextID()
	c.realm.Store(realm)
	realm.postHere(&inbound{kind: inHello, sid: c.sid, msg: hello, from: c})
}

// refuse answers a connection that cannot get a session with ABORT and
// closes it. Reader goroutine.
func (c *conn) refuse(abort *wamp.Abort) {
	if abort.Reason == wamp.ErrProtocolViolationURI {
		msg, _ := abort.Details["message"].(string)
		c.srv.Log.Warn("connection refused: protocol violation", "peer", c.peer.Info().PeerAddr, "message", msg)
	}
	c.done = true
	c.peer.Send(abort)
	c.peer.Close()
}

// Malformed implements transport.Handler: a frame that is not a valid WAMP
// message is a protocol violation, fatal to the session.
func (c *conn) Malformed(err error) {
	reason := "malformed message: " + err.Error()
	if r := c.realm.Load(); r != nil {
		r.post(&inbound{kind: inMalformed, sid: c.sid, reason: reason})
		return
	}
	if !c.done {
		c.timer.Stop()
		c.refuse(abortMsg(wamp.ErrProtocolViolationURI, reason))
	}
}

// Closed implements transport.Handler.
func (c *conn) Closed(cause error) {
	c.handshakeDone()
	r := c.realm.Load()
	if r == nil {
		c.timer.Stop()
		return
	}
	r.postHere(&inbound{kind: inDetach, sid: c.sid, err: cause})
}

// toRealm hands a message to the realm. Once the messages not yet routed
// weigh InflightBytesPerSession, the peer's reader is paused (it waits
// after this message) until the realm catches up. The part of the message
// past that bound (one message per session can cross it) is counted in
// the shared inbound budget until routed (FlowControl.HoldInbound), so
// that it is bounded router-wide rather than per session. Reader
// goroutine.
func (c *conn) toRealm(r *Realm, m wamp.Message) {
	c.limitRate()
	w := c.weigh(m)
	var held int64
	if c.fc != nil {
		limit := int64(c.srv.InflightBytesPerSession)
		n := c.inflight.Add(w)
		if n >= limit && n-w < limit {
			c.fc.Pause()
		}
		if held = min(w, n-limit); held > 0 {
			c.fc.HoldInbound(held)
		} else {
			held = 0
		}
	}
	ev := inboundPool.Get().(*inbound)
	*ev = inbound{kind: inMessage, sid: c.sid, msg: m, from: c, weight: w, held: held}
	r.postHere(ev)
}

// weigh is a message's share of the in-flight bound: its estimated size,
// and at least InflightBytesPerSession/InflightPerSession, so that at most
// InflightPerSession messages are in flight however small they are. One
// counter then bounds both, and pausing and resuming pair up exactly.
func (c *conn) weigh(m wamp.Message) int64 {
	floor := max(1, c.srv.InflightBytesPerSession/c.srv.InflightPerSession)
	return int64(max(wamp.SizeHint(m), floor))
}

// routed is called by the realm's executor once it routed one of this
// connection's messages, of weight w, of which held bytes were counted in
// the inbound budget.
func (c *conn) routed(w, held int64) {
	if c.fc != nil {
		limit := int64(c.srv.InflightBytesPerSession)
		if n := c.inflight.Add(-w); n < limit && n+w >= limit {
			c.fc.Resume()
		}
		if held > 0 {
			c.fc.ReleaseInbound(held)
		}
	}
}

// Refused implements transport.Refuser: the transport could not send m to
// this session (too large for its limit, or a value its serializer cannot
// carry). The realm answers whoever caused m; the session stays. Runs on
// the peer's writer goroutine.
func (c *conn) Refused(m wamp.Message, err error) {
	r := c.realm.Load()
	if r == nil {
		c.srv.Log.Warn("message could not be sent before HELLO", "peer", c.peer.Info().PeerAddr, "type", m.Type(), "err", err)
		return
	}
	r.post(&inbound{kind: inRefused, sid: c.sid, msg: m, err: err})
}

func abortMsg(reason wamp.URI, msg string) *wamp.Abort {
	return &wamp.Abort{Details: wamp.Dict{"message": msg}, Reason: reason}
}

// stoppedTimer is the timer of a connection whose HELLO came.
type stoppedTimer struct{}

func (stoppedTimer) Stop() bool { return false }
