package transport

import "github.com/switchboard-wamp/switchboard/core/wamp"

// Gate lets a source of messages that is not a connection — a cluster
// node's inbox of what other nodes send — be throttled by congested
// receivers like a connection's reader (FlowControl.Throttle): the
// engine names the Gate as the sender of the steps it causes, and the
// source calls Wait before handing over its next message. It is a Peer
// that sends nothing. Safe for concurrent use.
type Gate struct {
	g    peerGate
	info Info
}

// NewGate returns an open gate; info describes the source in logs.
func NewGate(info Info) *Gate { return &Gate{info: info} }

// Wait blocks while a congested receiver holds the gate (until it has
// drained to half its soft limit, or closed, or Stop).
func (g *Gate) Wait() { g.g.wait() }

// Stop opens the gate for good: the source is going away.
func (g *Gate) Stop() { g.g.stop() }

// Send implements Peer: nothing can be sent to a gate.
func (g *Gate) Send(wamp.Message) bool { return false }

// Close implements Peer; see Stop.
func (g *Gate) Close() { g.Stop() }

// Info implements Peer.
func (g *Gate) Info() Info { return g.info }

func (g *Gate) readerGate() *peerGate { return &g.g }
