package transport

import (
	"bufio"
	"encoding/binary"
	"math/rand/v2"
	"net"
	"net/http"
	"sync"

	"github.com/lxzan/gws"
)

// wsConn is the net.Conn gws is given for every connection of this
// package: it serialises gws's writes with this package's batched frames
// (see ws_writer.go) and notes when a close frame goes out.
//
// Once framing is set (after the handshake), every Write from gws is
// exactly one whole frame: gws builds a frame in one buffer and writes it
// with one call, so the first octet of a Write is a frame header.
type wsConn struct {
	net.Conn

	mu        sync.Mutex
	framing   bool // the handshake is over; Writes are frames
	closeSent bool // a close frame was written (or attempted)
}

// Write is gws's write path. Safe for concurrent use.
func (c *wsConn) Write(b []byte) (int, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.framing && len(b) > 0 && gws.Opcode(b[0]&0x0F) == gws.OpcodeCloseConnection {
		c.closeSent = true
	}
	return c.Conn.Write(b)
}

// NetConn returns the wrapped connection.
func (c *wsConn) NetConn() net.Conn { return c.Conn }

// startFraming marks the end of the handshake: from now on gws writes
// frames. Called once, before the reader or any writer starts.
func (c *wsConn) startFraming() {
	c.mu.Lock()
	c.framing = true
	c.mu.Unlock()
}

// writeFrames writes complete frames in one write, unless a close frame
// already went out. Writer goroutine.
func (c *wsConn) writeFrames(b []byte) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closeSent {
		return errWSClosing
	}
	_, err := c.Conn.Write(b)
	return err
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
// connection, so every byte gws writes goes through it.
type wsHijacker struct {
	http.ResponseWriter
}

// Hijack hijacks the underlying ResponseWriter (which ServeHTTP checked is
// an http.Hijacker) and wraps the connection.
func (h wsHijacker) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	nc, brw, err := h.ResponseWriter.(http.Hijacker).Hijack()
	if err != nil {
		return nil, nil, err
	}
	return &wsConn{Conn: nc}, brw, nil
}
