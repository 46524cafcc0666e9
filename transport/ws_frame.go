package transport

import (
	"bufio"
	"encoding/binary"
	"errors"
	"math/rand/v2"
	"net"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/lxzan/gws"
)

// wsConn is the net.Conn gws is given for every connection of this
// package: it serialises gws's writes with this package's batched frames
// (see ws_writer.go) and notes when a close frame goes out, and every byte
// gws reads passes its frame guard (ws_scan.go) first.
//
// Once framing is set (after the handshake), every Write from gws is
// exactly one whole frame: gws builds a frame in one buffer and writes it
// with one call, so the first octet of a Write is a frame header.
type wsConn struct {
	net.Conn

	// Set at construction; immutable afterwards.
	pc     *peerConfig // limits, logger and stats of the connection
	addr   string      // the peer's address, for logs
	client bool        // our frames are masked (RFC 6455 §5.3)

	// The read side: gws's reader goroutine (and, on a client, the
	// dialing goroutine during the handshake) only.
	rmode    wsReadMode
	pre      wsPreamble     // client: the handshake response, until its end
	scan     wsFrameScanner // frames, once rmode is wsReadFrames
	rerr     error          // sticky: every later Read fails with it
	reported bool           // rerr was counted, logged and answered

	mu        sync.Mutex
	framing   bool // the handshake is over; Writes are frames
	closeSent bool // a close frame was written (or attempted)
	// progress counts the bytes written once framing starts (the peer's
	// stall watch, flow.go), and deadline is pushed out as they move; both
	// set before framing starts.
	progress *atomic.Uint64
	deadline *writeDeadline
	// sw writes the plain socket (inline writes, peer_direct.go), nil when
	// it is not one; set before framing starts. inlineRest is the
	// unwritten tail of an inline frame: every later write writes it
	// first, so no frame (gws's included) lands inside it.
	sw *sockWriter
	inlineRest
}

// wsReadMode is what wsConn.Read is looking at.
type wsReadMode uint8

const (
	wsReadHandshake wsReadMode = iota // server: nothing is read before framing
	wsReadPreamble                    // client: the HTTP response, then frames
	wsReadFrames                      // frames: every header is checked
)

// newWSConn wraps nc for gws. A client's wrapper scans from its first read
// (the handshake response, then the frames its bufio reader reads ahead
// with it); a server's starts scanning at startFraming, before which gws
// reads nothing.
func newWSConn(nc net.Conn, pc *peerConfig, addr string, client bool) *wsConn {
	c := &wsConn{Conn: nc, pc: pc, addr: addr, client: client}
	c.scan.max = uint64(min(pc.maxMessageBytes, wsMaxGWSPayload))
	c.scan.budget = pc.inbound
	if client {
		c.rmode = wsReadPreamble
	}
	return c
}

// Read is gws's read path. Every byte read is followed by the frame guard
// before gws sees it: a read that reaches a refused header returns the
// frames before it, and the next read fails the connection (close 1002 or
// 1009 sent from here, then an error that ends gws's read loop).
func (c *wsConn) Read(b []byte) (int, error) {
	if c.rerr != nil {
		return 0, c.readFailed()
	}
	n, err := c.Conn.Read(b)
	if n <= 0 || c.rmode == wsReadHandshake {
		return n, err
	}
	k, rerr := c.follow(b[:n])
	if rerr == nil {
		return n, err
	}
	c.rerr = rerr
	if k > 0 {
		return k, nil
	}
	return 0, c.readFailed()
}

// follow advances the guard over b, the next bytes read. It returns
// len(b) and nil, or how many bytes of b may be handed on and the error
// to fail with.
func (c *wsConn) follow(b []byte) (int, error) {
	off := 0
	if c.rmode == wsReadPreamble {
		end := c.pre.find(b)
		if end < 0 {
			if c.pre.n > wsMaxPreamble {
				return 0, errWSPreambleTooLarge
			}
			return len(b), nil
		}
		c.rmode, off = wsReadFrames, end
	}
	k, fe := c.scan.scan(b[off:])
	if fe != nil {
		return off + k, fe
	}
	return len(b), nil
}

// errWSPreambleTooLarge fails a client handshake whose response headers do
// not end within wsMaxPreamble octets.
var errWSPreambleTooLarge = errors.New("transport: websocket handshake response too large")

// readFailed returns the sticky read error. The first time a refused frame
// is reported, it is counted and logged, and the close frame goes out
// (code 1002 or 1009); gws then closes the connection with the error, and
// its own close frame is swallowed by Write.
func (c *wsConn) readFailed() error {
	fe, ok := c.rerr.(*wsFrameError)
	if !ok || c.reported {
		return c.rerr
	}
	c.reported = true
	if fe.Code == closeTryAgainLater {
		c.pc.stats.InboundBudgetRefusals.Add(1)
		c.pc.logger.Warn("transport: websocket message refused: inbound budget exhausted; closing connection",
			"peer", c.addr, "length", fe.Length, "budget", c.pc.inbound.Max())
	} else {
		c.pc.stats.ProtocolErrors.Add(1)
		c.pc.logger.Warn("transport: websocket frame refused; closing connection", "peer", c.addr,
			"code", fe.Code, "reason", fe.Reason, "length", fe.Length, "limit", fe.Max)
	}
	payload := binary.BigEndian.AppendUint16(make([]byte, 0, 2+len(fe.Reason)), fe.Code)
	payload = append(payload, fe.Reason...)
	frame := appendWSFrame(make([]byte, 0, wsMaxHeader+len(payload)), gws.OpcodeCloseConnection, payload, c.client)
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.closeSent {
		c.closeSent = true
		_ = c.Conn.SetWriteDeadline(time.Now().Add(c.pc.writeTimeout))
		if c.writeRestLocked() == nil {
			_, _ = c.Conn.Write(frame)
		}
	}
	return c.rerr
}

// frameRefusal returns the refused frame's error, or nil. Reader goroutine.
func (c *wsConn) frameRefusal() *wsFrameError {
	fe, _ := c.rerr.(*wsFrameError)
	return fe
}

// Write is gws's write path. Safe for concurrent use. Nothing is written
// after a close frame (RFC 6455 §5.5.1): once one went out, from gws or
// from readFailed, a later frame from gws (its own close frame after a
// refused read, or a frame racing the close) is dropped as if written.
func (c *wsConn) Write(b []byte) (int, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.framing && len(b) > 0 {
		if c.closeSent {
			return len(b), nil
		}
		if err := c.writeRestLocked(); err != nil {
			return 0, err
		}
		if gws.Opcode(b[0]&0x0F) == gws.OpcodeCloseConnection {
			c.closeSent = true
		}
		if c.progress != nil {
			return writeCounting(c.Conn, b, c.progress, c.deadline)
		}
	}
	return c.Conn.Write(b)
}

// NetConn returns the wrapped connection.
func (c *wsConn) NetConn() net.Conn { return c.Conn }

// startFraming marks the end of the handshake: from now on gws writes
// frames, and reads frames. Called once, before the reader or any writer
// starts, on the goroutine that ran the handshake.
func (c *wsConn) startFraming() {
	c.mu.Lock()
	c.framing = true
	c.mu.Unlock()
	switch c.rmode {
	case wsReadHandshake:
		c.rmode = wsReadFrames
	case wsReadPreamble:
		// gws parsed a complete response but the guard found no end of
		// it: never expected; fail the connection rather than guess.
		if c.rerr == nil {
			c.rerr = errors.New("transport: websocket handshake response end not found")
		}
	}
}

// writeFrames writes complete frames in one write, unless a close frame
// already went out; closing: b ends with a close frame. Writer goroutine.
func (c *wsConn) writeFrames(b []byte, closing bool) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closeSent {
		return errWSClosing
	}
	if err := c.writeRestLocked(); err != nil {
		return err
	}
	c.closeSent = closing
	_, err := writeCounting(c.Conn, b, c.progress, c.deadline)
	return err
}

// beginDirect takes the write lock for an inline write, unless someone
// holds it (gws writing a close frame: the attempt is not made rather
// than wait) or nothing more may be written. endDirect releases it.
func (c *wsConn) beginDirect() bool {
	if !c.mu.TryLock() {
		return false
	}
	if c.closeSent || c.pending() {
		c.mu.Unlock()
		return false
	}
	return true
}

func (c *wsConn) endDirect() { c.mu.Unlock() }

// writeDirect writes the frames f (in out, from frameBufPool) without
// waiting, and keeps what the socket did not take; it reports whether
// there is such a rest. Between beginDirect and endDirect.
func (c *wsConn) writeDirect(f []byte, out *[]byte) bool { return c.try(c.sw, f, out) }

// writeDirectClose is writeDirect for frames that end with a close
// frame: the close frame counts as sent, so nothing but their rest is
// written after them.
func (c *wsConn) writeDirectClose(f []byte, out *[]byte) bool {
	c.closeSent = true
	return c.try(c.sw, f, out)
}

// closeWritten reports whether a close frame went out (or is in a rest).
func (c *wsConn) closeWritten() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.closeSent
}

// finishRest writes what an inline write left, if anything. Writer
// goroutine.
func (c *wsConn) finishRest() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.writeRestLocked()
}

// writeRestLocked writes the rest of an inline frame, blocking under the
// write deadline. Called with c.mu held.
func (c *wsConn) writeRestLocked() error {
	return c.finish(c.Conn, c.progress, c.deadline)
}

// appendWSFrame appends a final, uncompressed frame with opcode op and
// payload b to dst (RFC 6455 §5.2). With mask set (client to server) the
// payload is masked with a random key.
func appendWSFrame(dst []byte, op gws.Opcode, b []byte, mask bool) []byte {
	n := len(b)
	var maskBit byte
	if mask {
		maskBit = 0x80
	}
	dst = append(dst, 0x80|byte(op))
	switch {
	case n < 126:
		dst = append(dst, maskBit|byte(n))
	case n <= 0xFFFF:
		dst = append(dst, maskBit|126)
		dst = binary.BigEndian.AppendUint16(dst, uint16(n))
	default:
		dst = append(dst, maskBit|127)
		dst = binary.BigEndian.AppendUint64(dst, uint64(n))
	}
	if !mask {
		return append(dst, b...)
	}
	key := rand.Uint32()
	dst = binary.LittleEndian.AppendUint32(dst, key)
	start := len(dst)
	dst = append(dst, b...)
	maskWS(dst[start:], key)
	return dst
}

// maskWS XORs p with the 4-octet key (little-endian in key: the first key
// octet is the low byte), 8 octets at a time.
func maskWS(p []byte, key uint32) {
	k8 := uint64(key) | uint64(key)<<32
	for len(p) >= 8 {
		binary.LittleEndian.PutUint64(p, binary.LittleEndian.Uint64(p)^k8)
		p = p[8:]
	}
	for i := range p {
		p[i] ^= byte(key >> (8 * (i & 3)))
	}
}

// wsHijacker hands gws's Upgrade a *wsConn instead of the hijacked
// connection, so every byte gws reads or writes goes through it. (gws
// ignores the bufio reader of the hijack and reads from the connection.)
type wsHijacker struct {
	http.ResponseWriter
	pc   *peerConfig
	addr string // the request's RemoteAddr
}

// Hijack hijacks the underlying ResponseWriter (which ServeHTTP checked is
// an http.Hijacker) and wraps the connection.
func (h wsHijacker) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	nc, brw, err := h.ResponseWriter.(http.Hijacker).Hijack()
	if err != nil {
		return nil, nil, err
	}
	limitUnsent(nc)
	// The handler keeps running as the connection's reader (ServeHTTP),
	// and with it net/http's connection, which holds these two buffers
	// (4 KiB each) for the connection's life: nothing uses them any more
	// (gws reads from the connection, and writes its response to it), so
	// they are let go here.
	if brw != nil {
		*brw.Reader, *brw.Writer = bufio.Reader{}, bufio.Writer{}
	}
	return newWSConn(nc, h.pc, h.addr, false), nil, nil
}
