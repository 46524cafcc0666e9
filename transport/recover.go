package transport

import (
	"errors"
	"fmt"
	"log/slog"
	"net"
	"runtime/debug"
)

// ErrReaderPanic is wrapped by the close cause of a connection whose
// reading goroutine panicked: a bug in this package or a library it uses
// (gws, crypto/tls, net/http), reached by the peer's input. The panic is
// recovered, logged at Error with its stack and counted in Stats.Panics,
// and only that connection is closed; Handler.Closed is still called once.
var ErrReaderPanic = errors.New("transport: panic while handling the connection's input")

// readerPanic logs and counts a recovered panic r of a goroutine handling
// the input of the connection from peer, and returns the close cause.
// where names the goroutine ("websocket reader", "rawsocket handshake", …).
// Call it from the deferred function that recovered, so the stack logged
// is the panic's.
func readerPanic(l *slog.Logger, st *Stats, where, peer string, r any) error {
	st.Panics.Add(1)
	l.Error("transport: panic handling peer input; closing connection", "in", where,
		"peer", peer, "panic", r, "stack", string(debug.Stack()))
	return fmt.Errorf("%w: %s: %v", ErrReaderPanic, where, r)
}

// remoteAddr is nc.RemoteAddr().String() for logs, safe for connections
// (of a caller's listener) that return a nil address.
func remoteAddr(nc net.Conn) string {
	if a := nc.RemoteAddr(); a != nil {
		return a.String()
	}
	return ""
}

// readLoop runs gws's read loop on the connection's reader goroutine. A
// panic in it (gws parsing the peer's frames) closes this connection only:
// it is logged and counted, the socket closed, and the close path that gws
// did not reach (OnClose) run here, so Handler.Closed is still called once.
func (p *wsPeer) readLoop() {
	defer func() {
		r := recover()
		if r == nil {
			return
		}
		cause := readerPanic(p.cfg.logger, p.cfg.stats, "websocket reader", p.info.PeerAddr, r)
		_ = p.nc.Close()
		p.finish(cause)
	}()
	p.conn.ReadLoop()
}

// readFrames is the RawSocket reader's loop with a panic (parsing the
// peer's frames) turned into the error that ends the connection.
func (p *rsPeer) readFrames() (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = readerPanic(p.cfg.logger, p.cfg.stats, "rawsocket reader", p.info.PeerAddr, r)
		}
	}()
	return p.readLoop()
}
