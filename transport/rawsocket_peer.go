package transport

import (
	"bytes"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"sync"
	"time"

	"github.com/switchboard-wamp/switchboard/core/serialize"
)

// Write batching: frames queued together are copied into one buffer and
// written with one syscall, up to rsBatchBytes; a message of rsDirectBytes
// or more is written straight from its encoding, header and payload in one
// writev, without the copy.
const (
	rsBatchBytes  = 64 << 10
	rsDirectBytes = 16 << 10
)

// rsCloseLinger bounds how long an orderly close waits, after its
// half-close, for the other end to close too (capped by WriteTimeout).
const rsCloseLinger = 2 * time.Second

var frameBufPool = sync.Pool{New: func() any { b := make([]byte, 0, 4096); return &b }}

// rsPeer is one RawSocket connection, server or client side: the shared
// peerCore (queue, writer, close state, keepalive) plus RawSocket framing,
// and the reader loop that runs on the connection's own goroutine.
type rsPeer struct {
	peerCore

	fr       rsFrameReader // reader goroutine only
	onClosed func(*rsPeer) // deregistration hook, may be nil
	// onEnd, when set (before run), parks the reader: between frames it
	// hands itself to a fresh goroutine (waitAndRead) rather than wait with
	// the stack its work grew, so an idle connection holds a goroutine of
	// the smallest stack; onEnd runs last, on whichever goroutine sees the
	// connection end.
	onEnd func()
	park  rsPark // parking in the server's poller (rawsocket_park.go)

	out *[]byte           // writer only: frames batched this round; nil between rounds
	hdr [rsHeaderLen]byte // writer only: header of a direct write

	// What an inline write left (the writer role's holder only).
	inlineRest // an inline frame's unwritten tail
}

var _ Peer = (*rsPeer)(nil)

// newRSPeer builds a peer on an established connection. br is the reader
// the handshake used (it may hold frames the other end sent early); maxIn
// is the limit this end announced, maxOut the other end's.
func newRSPeer(nc net.Conn, br *idleReader, ser serialize.Serializer, pc *peerConfig,
	maxOut int, wg *sync.WaitGroup, a Acceptor) *rsPeer {
	p := &rsPeer{fr: rsFrameReader{br: br, max: pc.maxMessageBytes, budget: pc.inbound}}
	p.cfg, p.ser, p.nc, p.w, p.dw, p.self = pc, ser, nc, p, p, p
	p.wdl.init(nc, pc.writeTimeout)
	p.sw = newSockWriter(nc, &p.wroteBytes, &p.wdl)
	p.wdl.sw, p.inline = p.sw, p.sw != nil
	p.maxOut = min(maxOut, pc.maxMessageBytes)
	p.wg, p.acceptor = wg, a
	p.info = Info{Transport: "rawsocket", Serializer: ser.Name(), PeerAddr: nc.RemoteAddr().String(), TLS: isTLS(nc), TLSUnique: tlsUnique(nc)}
	return p
}

// run is the reader: Accept, then frames until the connection ends, then
// Handler.Closed. It runs on the connection's goroutine and returns when
// the connection is gone, or, parking (onEnd), when the reader has moved to
// another goroutine (read). A panic reading frames ends only this
// connection (readFrames).
func (p *rsPeer) run() {
	p.accept()
	p.startKeepalive()
	p.read()
}

// errParked ends readLoop when, parking, nothing is buffered.
var errParked = errors.New("transport: rawsocket reader parked")

// read reads frames until the connection ends, then ends the peer.
// Parking, a reader that has nothing buffered returns: it waits for the
// next bytes in the server's poller, without a goroutine (parkInPoller,
// Linux), or else on a fresh goroutine: a goroutine's stack grows with its
// work (decoding, delivering) and never shrinks below 4 KB while it waits
// in a read, whereas a new one waits in 2 KB. Either costs one goroutine
// start each time the connection goes quiet; the poller adds one
// epoll_ctl.
func (p *rsPeer) read() {
	err := p.readFrames()
	p.fr.release() // a parked reader holds nothing of the inbound budget
	if err == errParked {
		if !p.parkInPoller() {
			go p.waitAndRead()
		}
		return
	}
	if p.park.poll != nil {
		p.park.poll.forget(p)
	}
	// The cause first, then the socket: a writer failing on the closed
	// socket in between must not become the cause (it did: a keepalive
	// timeout was reported as "use of closed network connection").
	cause := p.markClosed(func() error { return p.classifyRead(err) })
	_ = p.nc.Close()
	p.cfg.stats.Closed.Add(1)
	if p.onClosed != nil {
		p.onClosed(p)
	}
	if p.h != nil {
		p.closed(cause)
	}
	if p.onEnd != nil {
		p.onEnd()
	}
}

// waitAndRead is a parked reader: it waits for the next bytes (an error,
// the read deadline included, is kept for the frame reader), then reads on.
func (p *rsPeer) waitAndRead() {
	p.fr.br.wait()
	p.read()
}

// readLoop reads frames until an error: delivers messages, answers PINGs.
func (p *rsPeer) readLoop() error {
	for {
		if p.onEnd != nil && p.fr.idle() {
			return errParked
		}
		typ, payload, err := p.fr.next()
		if err != nil {
			return err
		}
		p.heard()
		switch typ {
		case rsFrameMessage:
			p.deliver(payload)
			p.fr.release() // decoded: the buffer is free, whatever the reader waits for next
		case rsFramePing:
			p.queuePong(bytes.Clone(payload), false) // payload is the reader's buffer
		}
		p.waitReader()
	}
}

// deliver decodes one message and hands it to the Handler. After the peer
// stopped (a local Close or abort), inbound messages are discarded: the
// connection is going away and the Handler asked for that.
func (p *rsPeer) deliver(b []byte) {
	if p.h == nil || p.stop.Load() {
		return
	}
	defer p.recoverHandler("Message")
	m, err := p.ser.Decode(b)
	if err != nil {
		if !errors.Is(err, serialize.ErrDecode) {
			err = fmt.Errorf("%w: %w", serialize.ErrDecode, err)
		}
		p.cfg.stats.MalformedFrames.Add(1)
		p.h.Malformed(err)
		return
	}
	p.cfg.stats.countIn(m, len(b))
	p.h.Message(m)
}

// classifyRead turns the error that ended the reader into the cause given
// to Handler.Closed (when no cause was set before), counting what it sees.
func (p *rsPeer) classifyRead(err error) error {
	var ne net.Error
	switch {
	case errors.Is(err, ErrRawSocketProtocol):
		p.cfg.stats.ProtocolErrors.Add(1)
		p.cfg.logger.Warn("transport: rawsocket protocol violation; closing connection",
			"peer", p.info.PeerAddr, "err", err)
		return err
	case errors.Is(err, ErrInboundBudget):
		p.cfg.stats.InboundBudgetRefusals.Add(1)
		p.cfg.logger.Warn("transport: rawsocket message refused: inbound budget exhausted; closing connection",
			"peer", p.info.PeerAddr, "budget", p.cfg.inbound.Max())
		return err
	case errors.Is(err, io.EOF):
		return fmt.Errorf("transport: rawsocket connection closed by peer: %w", err)
	case errors.Is(err, io.ErrUnexpectedEOF):
		return fmt.Errorf("transport: rawsocket connection ended inside a frame: %w", err)
	case errors.As(err, &ne) && ne.Timeout():
		p.cfg.stats.KeepaliveTimeouts.Add(1)
		return fmt.Errorf("%w: %w", ErrKeepaliveTimeout, err)
	}
	return err
}

// The wire: RawSocket framing, batched per writer round.

func (p *rsPeer) writePing() error { return p.writeFrame(rsFramePing, nil) }

func (p *rsPeer) writePong(payload []byte) error {
	if len(payload) > p.maxOut {
		return fmt.Errorf("%w: cannot echo a PING of %d bytes: the other end's maximum is %d",
			ErrRawSocketProtocol, len(payload), p.maxOut)
	}
	return p.writeFrame(rsFramePong, payload)
}

func (p *rsPeer) writeMessage(b []byte) error { return p.writeFrame(rsFrameMessage, b) }

// writeFrame batches a frame, or writes a large one directly.
func (p *rsPeer) writeFrame(typ byte, b []byte) error {
	if len(b) >= rsDirectBytes {
		if err := p.flush(); err != nil {
			return err
		}
		appendRawSocketHeader(p.hdr[:0], typ, len(b))
		if _, err := writeCounting(p.nc, p.hdr[:], &p.wroteBytes, &p.wdl); err != nil {
			return err
		}
		_, err := writeCounting(p.nc, b, &p.wroteBytes, &p.wdl)
		return err
	}
	if p.out != nil && len(*p.out)+rsHeaderLen+len(b) > rsBatchBytes {
		if err := p.flush(); err != nil {
			return err
		}
	}
	if p.out == nil {
		p.out = frameBufPool.Get().(*[]byte)
	}
	*p.out = append(appendRawSocketHeader(*p.out, typ, len(b)), b...)
	return nil
}

// flush writes the batched frames in one write and returns the buffer.
func (p *rsPeer) flush() error {
	out := p.out
	if out == nil {
		return nil
	}
	p.out = nil
	var err error
	if len(*out) > 0 {
		_, err = writeCounting(p.nc, *out, &p.wroteBytes, &p.wdl)
	}
	if cap(*out) <= maxPooledBuf {
		*out = (*out)[:0]
		frameBufPool.Put(out)
	}
	return err
}

// Inline writes (peer_direct.go): RawSocket frames are written only by
// whoever holds the writer role, so an attempt needs no lock.

func (p *rsPeer) beginDirect() bool        { return true }
func (p *rsPeer) endDirect()               {}
func (p *rsPeer) directable(b []byte) bool { return len(b) < rsDirectBytes }

func (p *rsPeer) writeDirect(b []byte) bool {
	out := frameBufPool.Get().(*[]byte)
	f := append(appendRawSocketHeader((*out)[:0], rsFrameMessage, len(b)), b...)
	*out = f
	return p.try(p.sw, f, out)
}

func (p *rsPeer) finishRest() error { return p.finish(p.nc, &p.wroteBytes, &p.wdl) }

// closeInBatch: RawSocket has no close frame.
func (p *rsPeer) closeInBatch(uint16, string) bool { return false }

// writeClose ends the connection. RawSocket has no close frame: an orderly
// close half-closes (TCP FIN, TLS close_notify), so everything written is
// delivered, and the reader waits a little for the other end to close too;
// an abort closes the socket at once.
func (p *rsPeer) writeClose(code uint16, _ string) {
	if code == closeNormal || code == closeGoingAway {
		if cw, ok := p.nc.(interface{ CloseWrite() error }); ok && cw.CloseWrite() == nil {
			_ = p.nc.SetReadDeadline(time.Now().Add(min(rsCloseLinger, p.cfg.writeTimeout)))
			return
		}
	}
	_ = p.nc.Close()
}

// failed records why a write failed and closes the socket, which ends the
// reader.
func (p *rsPeer) failed(err error) {
	var ne net.Error
	switch {
	case errors.Is(err, ErrRawSocketProtocol):
		p.cfg.stats.ProtocolErrors.Add(1)
	case errors.As(err, &ne) && ne.Timeout():
		p.cfg.stats.WriteTimeouts.Add(1)
		err = fmt.Errorf("%w: %w", ErrWriteTimeout, err)
	}
	p.mu.Lock()
	p.setCauseLocked(err)
	p.mu.Unlock()
	_ = p.nc.Close()
}

// isTLS reports whether nc is, or wraps, a TLS connection.
// tlsUnique is nc's tls-unique channel-binding value (RFC 5929), or nil:
// not TLS, the handshake not done, TLS 1.3, or a resumed session without
// extended master secret.
func tlsUnique(nc net.Conn) []byte {
	for nc != nil {
		switch c := nc.(type) {
		case *tls.Conn:
			return c.ConnectionState().TLSUnique
		case interface{ NetConn() net.Conn }:
			nc = c.NetConn()
		default:
			return nil
		}
	}
	return nil
}

func isTLS(nc net.Conn) bool {
	for nc != nil {
		switch c := nc.(type) {
		case *tls.Conn:
			return true
		case interface{ NetConn() net.Conn }:
			nc = c.NetConn()
		default:
			return false
		}
	}
	return false
}
