package transport

import (
	"sync/atomic"

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
	conn   *gws.Conn
	wc     *wsConn // what gws writes through; batches go through it too
	opcode gws.Opcode
	batch  bool // frame and batch here (no compression configured)
	client bool // client side: frames are masked
	// checkUTF8: text messages are checked here, not by gws (a server
	// with Compression configured: gws would see compressed bytes).
	checkUTF8 bool
	onClosed  func(*wsPeer) // deregistration hook, may be nil
	slot      *connSlot     // server side: released after Handler.Closed; may be nil

	out      *[]byte // writer only: frames batched this round; nil between rounds
	ioFailed bool    // writer only: a batch failed on the socket
	closing  bool    // writer only: out ends with the close frame (closeInBatch)

	finished atomic.Bool // the close path ran (finish: OnClose or a reader panic)
}

var _ Peer = (*wsPeer)(nil)

// attach completes the peer once gws has the connection: the wire and the
// deadlines go through conn, whose net.Conn is a *wsConn (wsHijacker on
// the server side, handshake on the client side).
// Frames are batched here unless compression was configured (then gws
// frames everything). Before the reader and any writer start.
func (p *wsPeer) attach(conn *gws.Conn, ser serialize.Serializer, client, compression bool) {
	p.conn, p.ser, p.opcode = conn, ser, opcodeFor(ser)
	p.nc = conn.NetConn()
	p.wc, _ = p.nc.(*wsConn)
	p.client = client
	p.batch = p.wc != nil && !compression
	p.wdl.init(p.nc, p.cfg.writeTimeout)
	if p.wc != nil {
		p.wc.progress, p.wc.deadline = &p.wroteBytes, &p.wdl
		p.sw = newSockWriter(p.wc.Conn, &p.wroteBytes, &p.wdl)
		p.wc.sw, p.wdl.sw = p.sw, p.sw
		p.inline = p.sw != nil && p.batch
		p.wc.startFraming()
	}
	p.w, p.dw, p.self = p, p, p
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
