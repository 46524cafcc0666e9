package transport

import (
	"encoding/binary"
	"errors"
	"fmt"
	"net"
	"unicode/utf8"

	"github.com/lxzan/gws"
)

// The wsPeer's wire. Without compression, the frames of one writer round
// (pong, ping, messages) are framed here into one buffer and written with
// one syscall, like RawSocket's batches: gws has no call that writes
// several frames, and frames each message under a lock of its own that this
// package cannot reach. The buffer goes through the connection's wsConn,
// whose lock every gws write also takes (gws writes through the wsConn), so
// a batch never interleaves with a frame gws writes by itself (the echo of
// a close frame, a close after a protocol error); the wsConn also notes a
// close frame going out and refuses batches after it, as gws refuses data
// frames after a close.
//
// gws still writes: everything when permessage-deflate is configured (its
// compression context needs every frame), messages of wsDirectBytes or
// more (gws copies them into one buffer too), text messages that are not
// valid UTF-8 (gws fails them exactly as before), and close frames.
const (
	wsBatchBytes  = 64 << 10
	wsDirectBytes = 16 << 10
	wsMaxHeader   = 14 // 2 + 8 octets of length + 4 of mask key
)

// errWSClosing is what a batch gets once a close frame went out: the
// connection is being closed by gws, which reports the cause to OnClose.
var errWSClosing = errors.New("transport: websocket close frame already sent")

func (p *wsPeer) writePing() error {
	if !p.batch {
		return p.conn.WritePing(nil)
	}
	return p.frame(gws.OpcodePing, nil)
}

func (p *wsPeer) writePong(payload []byte) error {
	if !p.batch || len(payload) > 125 { // gws's reader admits no larger ping
		return p.conn.WritePong(payload)
	}
	return p.frame(gws.OpcodePong, payload)
}

func (p *wsPeer) writeMessage(b []byte) error {
	if !p.batch || len(b) >= wsDirectBytes || (p.opcode == gws.OpcodeText && !utf8.Valid(b)) {
		if err := p.flush(); err != nil {
			return err
		}
		return p.conn.WriteMessage(p.opcode, b)
	}
	return p.frame(p.opcode, b)
}

// frame appends one unfragmented frame to the round's buffer, flushing
// first when it would pass wsBatchBytes. Client frames are masked with a
// fresh random key (RFC 6455 §5.3); the payload is copied first, so b (for
// a shared.Message, bytes shared with other peers) is never modified.
func (p *wsPeer) frame(op gws.Opcode, b []byte) error {
	if p.out != nil && len(*p.out)+wsMaxHeader+len(b) > wsBatchBytes {
		if err := p.flush(); err != nil {
			return err
		}
	}
	if p.out == nil {
		p.out = frameBufPool.Get().(*[]byte)
	}
	*p.out = appendWSFrame(*p.out, op, b, p.client)
	return nil
}

// flush writes the round's frames in one write and returns the buffer.
func (p *wsPeer) flush() error {
	out := p.out
	if out == nil {
		return nil
	}
	p.out = nil
	closing := p.closing
	p.closing = false
	var err error
	if len(*out) > 0 {
		err = p.wc.writeFrames(*out, closing)
		if err != nil && !errors.Is(err, errWSClosing) {
			p.ioFailed = true
		}
	}
	if cap(*out) <= maxPooledBuf {
		*out = (*out)[:0]
		frameBufPool.Put(out)
	}
	return err
}

// Inline writes (peer_direct.go), under the wsConn's write lock.

func (p *wsPeer) beginDirect() bool { return p.wc.beginDirect() }
func (p *wsPeer) endDirect()        { p.wc.endDirect() }
func (p *wsPeer) finishRest() error { return p.wc.finishRest() }

func (p *wsPeer) directable(b []byte) bool {
	return len(b) < wsDirectBytes && (p.opcode != gws.OpcodeText || utf8.Valid(b))
}

func (p *wsPeer) writeDirect(b []byte) bool {
	out := frameBufPool.Get().(*[]byte)
	*out = appendWSFrame((*out)[:0], p.opcode, b, p.client)
	return p.wc.writeDirect(*out, out)
}

// The closingWire methods (peer_closeinline.go).

func (p *wsPeer) appendFrame(f, b []byte) []byte { return appendWSFrame(f, p.opcode, b, p.client) }

func (p *wsPeer) appendCloseFrame(f []byte, code uint16, reason string) ([]byte, bool) {
	if !p.batch {
		return f, false
	}
	return appendWSFrame(f, gws.OpcodeCloseConnection, closePayload(code, reason), p.client), true
}

func (p *wsPeer) writeDirectClose(f []byte, out *[]byte) bool { return p.wc.writeDirectClose(f, out) }

// writeClose sends the close frame; gws then closes the socket. When the
// frame went out with the last batch (closeInBatch) or inline
// (closeInline), the wsConn drops gws's copy of it, and gws only closes.
func (p *wsPeer) writeClose(code uint16, reason string) {
	_ = p.conn.WriteClose(code, []byte(reason))
}

// closeInBatch frames the close frame into the round's buffer, which the
// next flush writes as the connection's last frames (wsConn.writeFrames
// marks the close frame sent). Writer goroutine.
func (p *wsPeer) closeInBatch(code uint16, reason string) bool {
	if !p.batch || p.wc.closeWritten() { // written inline (closeInline) already
		return false
	}
	if err := p.frame(gws.OpcodeCloseConnection, closePayload(code, reason)); err != nil {
		return false // the flush failed: the write error ends the connection
	}
	p.closing = true
	return true
}

// closePayload is the payload of the close frame gws's WriteClose would
// write: the code (1000 for a code under 1000) and the reason, within a
// control frame's 125 octets.
func closePayload(code uint16, reason string) []byte {
	if code < 1000 {
		code = 1000
	}
	b := binary.BigEndian.AppendUint16(make([]byte, 0, 2+len(reason)), code)
	b = append(b, reason...)
	return b[:min(len(b), 125)]
}

// failed handles a write error. When gws wrote, it has closed the
// connection and hands the error to OnClose, which classifies it; a
// refused batch (a close frame went out) likewise leaves the cause to
// gws. When a batch failed on the socket, gws knows nothing of it: the
// cause is recorded here, classified as OnClose would, and the socket
// closed, which ends the reader.
func (p *wsPeer) failed(err error) {
	if !p.ioFailed {
		return
	}
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		p.cfg.stats.WriteTimeouts.Add(1)
		err = fmt.Errorf("%w: %w", ErrWriteTimeout, err)
	}
	p.mu.Lock()
	p.setCauseLocked(err)
	p.mu.Unlock()
	_ = p.nc.Close()
}
