package core

import (
	"errors"
	"slices"
	"strconv"
	"sync/atomic"

	"github.com/switchboard-wamp/switchboard/core/router"
	"github.com/switchboard-wamp/switchboard/core/wamp"
	"github.com/switchboard-wamp/switchboard/scheduler"
	"github.com/switchboard-wamp/switchboard/transport"
)

// Connection states. A connection is in the handshake until its HELLO is
// accepted, then joined to one realm until it closes.
const (
	connHandshake int32 = iota
	connJoined
	connClosed
)

// conn runs one connection's session: it is the transport.Handler the
// Application returns from Accept. Its methods are called on the
// connection's reader goroutine, one at a time; only state is also touched
// by the handshake timer, hence atomic.
type conn struct {
	app   *Application
	peer  transport.Peer
	state atomic.Int32
	timer scheduler.Timer

	// Reader-goroutine-owned, set once when the session joins.
	realm *Realm
	sid   wamp.ID
}

func newConn(a *Application, p transport.Peer) *conn {
	c := &conn{app: a, peer: p}
	c.timer = a.cfg.Backend.AfterFunc(a.cfg.HandshakeTimeout, c.handshakeExpired)
	return c
}

// handshakeExpired closes a connection that did not complete its HELLO in
// time. Runs on a backend timer.
func (c *conn) handshakeExpired() {
	if c.state.CompareAndSwap(connHandshake, connClosed) {
		c.app.log.Info("handshake timeout", "peer", c.peer.Info().PeerAddr)
		c.peer.Close()
	}
}

// Message implements transport.Handler.
func (c *conn) Message(m wamp.Message) {
	switch c.state.Load() {
	case connHandshake:
		c.handshake(m)
	case connJoined:
		c.realm.post(&inbound{kind: inMessage, sid: c.sid, msg: m})
	}
	// connClosed: the connection is going away; late frames mean nothing.
}

// Malformed implements transport.Handler: a frame that is not a valid WAMP
// message is a protocol violation, fatal to the session.
func (c *conn) Malformed(err error) {
	switch c.state.Load() {
	case connHandshake:
		c.abort(wamp.ErrProtocolViolationURI, "malformed message: "+err.Error())
	case connJoined:
		c.realm.post(&inbound{kind: inMalformed, sid: c.sid, reason: "malformed message: " + err.Error()})
	}
}

// Closed implements transport.Handler.
func (c *conn) Closed(cause error) {
	prev := c.state.Swap(connClosed)
	if prev == connHandshake {
		// Dropped during the handshake, on the reader goroutine. (On the
		// timeout and abort paths the state is already connClosed and the
		// timer is done or stopped; Closed may then run on the timer's
		// goroutine, which must not touch c.timer.)
		c.timer.Stop()
	}
	if prev == connJoined {
		c.realm.sessions.remove(c.sid)
		c.realm.post(&inbound{kind: inDetach, sid: c.sid})
		if errors.Is(cause, transport.ErrSlowConsumer) {
			c.app.log.Warn("session closed: slow consumer", "realm", string(c.realm.uri), "session", c.sid)
		}
	}
}

// handshake handles the first message: it must be a HELLO for a realm that
// exists, with an authentication method the realm accepts.
func (c *conn) handshake(m wamp.Message) {
	hello, abort := router.Preamble(m)
	if abort != nil {
		c.sendAbort(abort)
		return
	}
	realm, ok := c.app.Realm(hello.Realm)
	if !ok || c.app.isClosed() {
		c.abort(wamp.ErrNoSuchRealm, "no such realm: "+string(hello.Realm))
		return
	}
	info, ok := anonymous(hello)
	if !ok {
		c.abort(wamp.ErrNoMatchingAuthMethod, "this realm accepts only anonymous authentication")
		return
	}
	if !c.state.CompareAndSwap(connHandshake, connJoined) {
		return // the handshake timer fired first
	}
	c.timer.Stop()
	c.realm, c.sid = realm, c.app.cfg.IDs.NextID()
	info.AuthID = strconv.FormatUint(uint64(c.sid), 10)
	ti := c.peer.Info()
	info.Transport = transportDetails(ti)
	realm.sessions.add(&Session{ID: c.sid, Realm: realm, AuthID: info.AuthID, AuthRole: info.AuthRole,
		AuthMethod: info.AuthMethod, AuthProvider: info.AuthProvider, Transport: ti})
	realm.post(&inbound{kind: inJoin, sid: c.sid, out: c.peer, hello: hello, info: info})
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

func transportDetails(i transport.Info) wamp.Dict {
	d := wamp.Dict{"type": i.Transport, "serializer": i.Serializer, "peer": i.PeerAddr}
	if i.Path != "" {
		d["http_path"] = i.Path
	}
	return d
}

func (c *conn) abort(reason wamp.URI, msg string) {
	c.sendAbort(&wamp.Abort{Details: wamp.Dict{"message": msg}, Reason: reason})
}

func (c *conn) sendAbort(a *wamp.Abort) {
	if c.state.CompareAndSwap(connHandshake, connClosed) {
		c.timer.Stop()
		c.peer.Send(a)
		c.peer.Close()
	}
}
