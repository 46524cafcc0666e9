package core

import (
	"errors"
	"slices"
	"sync"
	"sync/atomic"

	"github.com/switchboard-wamp/switchboard/core/router"
	"github.com/switchboard-wamp/switchboard/core/wamp"
	"github.com/switchboard-wamp/switchboard/scheduler"
	"github.com/switchboard-wamp/switchboard/transport"
)

// Connection states. A connection waits for its HELLO, is admitted
// (authenticator and session hooks, possibly as backend tasks), is joined to
// one realm, and is closed.
const (
	connHello int32 = iota
	connAdmitting
	connJoined
	connClosed
)

// conn runs one connection's session: it is the transport.Handler the
// Application returns from Accept. Message, Malformed and Closed are called
// on the connection's reader goroutine, one at a time.
//
// Once joined, messages go straight to the realm (an atomic load, no lock).
// Before that, the reader, the admission (tasks of the backend and, at the
// very end, the realm's executor) and Closed synchronise on mu; the
// handshake timer only CASes the state. peer.Close and peer.Send are never
// called with mu held, since a transport may call Closed from inside Close.
type conn struct {
	app   *Application
	peer  transport.Peer
	fc    transport.FlowControl // the peer's flow control, nil if it has none
	state atomic.Int32
	timer scheduler.Timer

	// inflight counts messages handed to the realm and not yet routed;
	// at Config.InflightPerSession the reader is paused (flow control).
	inflight atomic.Int32

	mu        sync.Mutex
	adm       *admission              // the HELLO being admitted; set under mu before connAdmitting
	challenge chan *wamp.Authenticate // a CHALLENGE waiting for its AUTHENTICATE; guarded by mu

	// Set under mu before the state becomes connJoined; read after.
	realm *Realm
	sid   wamp.ID
	sess  *Session
}

func newConn(a *Application, p transport.Peer) *conn {
	c := &conn{app: a, peer: p}
	c.fc, _ = p.(transport.FlowControl)
	c.timer = a.cfg.Backend.AfterFunc(a.cfg.HandshakeTimeout, c.handshakeExpired)
	return c
}

// handshakeExpired ends a connection that did not send its HELLO, or was
// not admitted, in time. Runs on a backend timer.
func (c *conn) handshakeExpired() {
	if c.state.CompareAndSwap(connHello, connClosed) {
		c.app.log.Info("handshake timeout: no HELLO", "peer", c.peer.Info().PeerAddr)
		c.peer.Close()
		return
	}
	c.mu.Lock() // enter joins under mu, and then drops c.adm
	expired := c.state.CompareAndSwap(connAdmitting, connClosed)
	adm := c.adm
	c.mu.Unlock()
	if expired {
		c.app.log.Info("handshake timeout: not admitted in time", "peer", c.peer.Info().PeerAddr, "session", adm.sid)
		adm.cancel()
		c.peer.Send(abortMsg(wamp.ErrAuthenticationFailed, "handshake timed out"))
		c.peer.Close()
	}
}

// Message implements transport.Handler.
func (c *conn) Message(m wamp.Message) {
	if c.state.Load() == connJoined {
		c.toRealm(c.realm, c.sid, m)
		return
	}
	c.mu.Lock()
	then := c.handshakeMessage(m)
	c.mu.Unlock()
	if then != nil {
		then()
	}
}

// handshakeMessage handles a message that arrived before the session
// joined, and returns what to do once mu is released. Called with mu held.
func (c *conn) handshakeMessage(m wamp.Message) func() {
	switch c.state.Load() {
	case connHello:
		return c.hello(m)
	case connAdmitting:
		switch msg := m.(type) {
		case *wamp.Authenticate:
			if c.challenge != nil {
				c.challenge <- msg // buffered, capacity 1
				c.challenge = nil
				return nil
			}
			return c.endHandshake(connAdmitting, abortMsg(wamp.ErrProtocolViolationURI, "AUTHENTICATE without a CHALLENGE"))
		case *wamp.Abort:
			return c.endHandshake(connAdmitting, nil) // the client gave up
		}
		return c.endHandshake(connAdmitting, abortMsg(wamp.ErrProtocolViolationURI,
			m.Type().String()+" before WELCOME"))
	case connJoined:
		sid, realm := c.sid, c.realm
		return func() { c.toRealm(realm, sid, m) }
	}
	return nil // connClosed: the connection is going away; late frames mean nothing.
}

// Malformed implements transport.Handler: a frame that is not a valid WAMP
// message is a protocol violation, fatal to the session.
func (c *conn) Malformed(err error) {
	reason := "malformed message: " + err.Error()
	if c.state.Load() == connJoined {
		c.realm.post(&inbound{kind: inMalformed, sid: c.sid, reason: reason})
		return
	}
	c.mu.Lock()
	var then func()
	switch st := c.state.Load(); st {
	case connHello, connAdmitting:
		then = c.endHandshake(st, abortMsg(wamp.ErrProtocolViolationURI, reason))
	case connJoined:
		sid, realm := c.sid, c.realm
		then = func() { realm.post(&inbound{kind: inMalformed, sid: sid, reason: reason}) }
	}
	c.mu.Unlock()
	if then != nil {
		then()
	}
}

// Closed implements transport.Handler.
func (c *conn) Closed(cause error) {
	c.mu.Lock()
	prev := c.state.Swap(connClosed)
	adm, sess, realm, sid := c.adm, c.sess, c.realm, c.sid
	c.mu.Unlock()
	switch prev {
	case connHello, connAdmitting:
		// Dropped during the handshake. (On the timeout and abort paths
		// the state is already connClosed and the timer is done or
		// stopped; Closed may then run on the timer's goroutine, which
		// must not touch c.timer.)
		c.timer.Stop()
		if adm != nil {
			adm.cancel() // the admission cleans up at its next step
		}
	case connJoined:
		realm.sessions.remove(sid)
		realm.post(&inbound{kind: inDetach, sid: sid})
		if errors.Is(cause, transport.ErrSlowConsumer) {
			c.app.log.Warn("session closed: slow consumer", "realm", string(realm.uri), "session", sid)
		}
		sess.end()
	}
}

// hello handles the first message: it must be a HELLO for a realm that
// exists (or the default realm must be on). Called with mu held; returns
// what to do after mu is released.
func (c *conn) hello(m wamp.Message) func() {
	hello, abort := router.Preamble(m)
	if abort != nil {
		return c.endHandshake(connHello, abort)
	}
	if c.app.isClosed() {
		return c.endHandshake(connHello, abortMsg(wamp.CloseSystemShutdown, "the router is shutting down"))
	}
	realm, ok := c.app.realmFor(hello.Realm)
	if !ok {
		return c.endHandshake(connHello, abortMsg(wamp.ErrNoSuchRealm, "no such realm: "+string(hello.Realm)))
	}
	auth := realm.authenticator()
	var anon router.SessionInfo
	if auth == nil {
		if anon, ok = anonymous(hello); !ok {
			return c.endHandshake(connHello, abortMsg(wamp.ErrNoMatchingAuthMethod,
				"this realm accepts only anonymous authentication"))
		}
	}
	adm := newAdmission(c, realm, hello)
	c.adm = adm
	if !c.state.CompareAndSwap(connHello, connAdmitting) {
		adm.cancel()
		return nil // the handshake timer fired first
	}
	if auth != nil {
		return func() { adm.startAuthentication(auth) }
	}
	return func() { adm.admit(anon) }
}

// endHandshake closes a connection that has not joined: it moves the state
// from st to connClosed and returns the sending of abort (nil: none) and
// the close, to run once mu is released. Called with mu held.
func (c *conn) endHandshake(st int32, abort *wamp.Abort) func() {
	if !c.state.CompareAndSwap(st, connClosed) {
		return nil
	}
	if c.adm != nil {
		c.adm.cancel()
	}
	return func() {
		c.timer.Stop()
		if abort != nil {
			c.peer.Send(abort)
		}
		c.peer.Close()
	}
}

// dropChallenge forgets a CHALLENGE whose Challenge call gave up.
func (c *conn) dropChallenge(ch chan *wamp.Authenticate) {
	c.mu.Lock()
	if c.challenge == ch {
		c.challenge = nil
	}
	c.mu.Unlock()
}

// anonymous admits a HELLO that asks for no authentication method, or for
// "anonymous" among its methods.
func anonymous(hello *wamp.Hello) (router.SessionInfo, bool) {
	info := router.SessionInfo{AuthRole: "anonymous", AuthMethod: "anonymous", AuthProvider: "static"}
	methods, present := hello.Details["authmethods"].([]any)
	if !present || len(methods) == 0 {
		return info, true
	}
	return info, slices.Contains(methods, any("anonymous"))
}

func abortMsg(reason wamp.URI, msg string) *wamp.Abort {
	return &wamp.Abort{Details: wamp.Dict{"message": msg}, Reason: reason}
}

// toRealm hands a joined session's message to its realm. At
// Config.InflightPerSession messages not yet routed, the peer's reader is
// paused (it waits after this message) until the realm catches up. Reader
// goroutine.
func (c *conn) toRealm(realm *Realm, sid wamp.ID, m wamp.Message) {
	if c.fc != nil && c.inflight.Add(1) == int32(c.app.cfg.InflightPerSession) {
		c.fc.Pause()
	}
	realm.post(&inbound{kind: inMessage, sid: sid, msg: m, from: c})
}

// routed is called by the realm's executor once it routed one of this
// connection's messages.
func (c *conn) routed() {
	if c.fc != nil && c.inflight.Add(-1) == int32(c.app.cfg.InflightPerSession)-1 {
		c.fc.Resume()
	}
}

// Refused implements transport.Refuser: the transport could not send m to
// this session (too large for its limit, or a value its serializer cannot
// carry). The realm answers whoever caused m; the session stays. Runs on
// the peer's writer goroutine.
func (c *conn) Refused(m wamp.Message, err error) {
	if c.state.Load() != connJoined {
		c.app.log.Warn("handshake message could not be sent", "peer", c.peer.Info().PeerAddr, "type", m.Type(), "err", err)
		return
	}
	c.realm.post(&inbound{kind: inRefused, sid: c.sid, msg: m, err: err})
}
