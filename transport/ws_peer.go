package transport

import (
	"github.com/lxzan/gws"

	"github.com/switchboard-wamp/switchboard/core/serialize"
)

// wsPeer is one WebSocket connection, server or client side. The outbound
// queue, writer, close state and keepalive are the shared peerCore (which
// implements Peer); wsPeer adds the gws connection and is its wire. It also
// implements, trivially, gws.SessionStorage: gws's NewSession hook hands the
// peer to the connection, so the event callbacks find it with one type
// assertion instead of a map lookup.
type wsPeer struct {
	peerCore

	// Set before the reader goroutine starts; immutable afterwards.
	conn     *gws.Conn
	opcode   gws.Opcode
	onClosed func(*wsPeer) // deregistration hook, may be nil
}

var _ Peer = (*wsPeer)(nil)

// attach completes the peer once gws has the connection: the wire and the
// deadlines go through conn.
func (p *wsPeer) attach(conn *gws.Conn, ser serialize.Serializer) {
	p.conn, p.ser, p.opcode = conn, ser, opcodeFor(ser)
	p.nc = conn.NetConn()
	p.w, p.self = p, p
	p.maxOut = p.cfg.maxMessageBytes
}

// The gws.SessionStorage methods: the peer stores nothing for gws.

func (p *wsPeer) Len() int                     { return 0 }
func (p *wsPeer) Load(string) (any, bool)      { return nil, false }
func (p *wsPeer) Store(string, any)            {}
func (p *wsPeer) Delete(string)                {}
func (p *wsPeer) Range(func(string, any) bool) {}
func (p *wsPeer) session() gws.SessionStorage  { return p }
func peerOf(c *gws.Conn) *wsPeer               { return c.Session().(*wsPeer) }
func opcodeFor(s serialize.Serializer) gws.Opcode {
	if s.Binary() {
		return gws.OpcodeBinary
	}
	return gws.OpcodeText
}
