package transport

import (
	"errors"
	"io"
	"sync"
	"syscall"
)

// rsSmallRead is the read buffer an idle RawSocket connection that is not
// a plain socket (TLS, say) keeps: the next frame's header, and the whole
// of a small message, are read into it with no other buffer held.
const rsSmallRead = 256

// idleReader is a buffered reader (the part of bufio.Reader the RawSocket
// handshake and frame reader use) that holds a full-size buffer only while
// it has data buffered, so that a connection waiting for its next frame
// holds no read buffer. Its buffer is a pooled one of size bytes, which
// goes back to the pool once every byte in it is consumed. With nothing
// buffered it waits without a buffer:
//
//   - on a TCP or Unix socket (where the platform allows: rawSocketOf), in
//     syscall.RawConn.Read, whose callback takes the pooled buffer only when
//     the non-blocking read finds bytes (one read syscall, as net.Conn's
//     Read makes);
//   - on another connection, by reading into a small buffer of its own; a
//     frame larger than that moves into the pooled buffer.
//
// A payload returned by Peek stays valid until the next call. Not safe for
// concurrent use: the reader goroutine owns it.
type idleReader struct {
	rd    io.Reader
	raw   syscall.RawConn    // rd's socket, or nil
	rawFn func(uintptr) bool // tryRead, made once
	size  int                // the full buffer's size
	pool  *sync.Pool         // of *[]byte of size bytes
	big   *[]byte            // the pooled buffer in use, or nil
	buf   []byte             // small or *big
	r, w  int                // buf[r:w] is buffered
	err   error              // the read error, returned once the buffer is empty
	small []byte             // the buffer of an idle reader without raw; nil with raw
}

var errInvalidRead = errors.New("transport: the connection's Read returned an invalid count")

// readPools holds one pool of read buffers per size (a *sync.Pool by int).
var readPools sync.Map

func newIdleReader(rd io.Reader, size int) *idleReader {
	size = max(size, rsSmallRead)
	pool, ok := readPools.Load(size)
	if !ok {
		pool, _ = readPools.LoadOrStore(size, &sync.Pool{New: func() any { b := make([]byte, size); return &b }})
	}
	ir := &idleReader{rd: rd, size: size, pool: pool.(*sync.Pool)}
	if ir.raw = rawSocketOf(rd); ir.raw != nil {
		ir.rawFn = ir.tryRead
	} else {
		ir.small = make([]byte, rsSmallRead)
		ir.buf = ir.small
	}
	return ir
}

// Size is the largest Peek.
func (ir *idleReader) Size() int { return ir.size }

// Buffered is the number of bytes that can be read without reading rd.
func (ir *idleReader) Buffered() int { return ir.w - ir.r }

// release goes back to the idle state (no pooled buffer) when nothing is
// buffered.
func (ir *idleReader) release() {
	if ir.r != ir.w {
		return
	}
	ir.r, ir.w = 0, 0
	if ir.big != nil {
		ir.pool.Put(ir.big)
		ir.big = nil
		ir.buf = ir.small
	}
}

// room makes buf[r:] able to hold n bytes: the buffered bytes move to the
// front, into the pooled buffer if the current one is too small.
func (ir *idleReader) room(n int) {
	if ir.r+n <= len(ir.buf) {
		return
	}
	if n > len(ir.buf) { // only the small buffer (or none) can be too small
		ir.big = ir.pool.Get().(*[]byte)
		ir.w = copy(*ir.big, ir.buf[ir.r:ir.w])
		ir.buf = *ir.big
	} else {
		ir.w = copy(ir.buf, ir.buf[ir.r:ir.w])
	}
	ir.r = 0
}

// Peek returns the next n bytes (n at most Size) without consuming them,
// reading as needed. With fewer bytes before the stream ends, it returns
// them with the read error.
func (ir *idleReader) Peek(n int) ([]byte, error) {
	ir.release()
	for ir.w-ir.r < n && ir.err == nil {
		if ir.raw == nil || ir.r != ir.w {
			ir.room(n)
		}
		ir.fill()
	}
	if ir.w-ir.r < n {
		return ir.buf[ir.r:ir.w], ir.err
	}
	return ir.buf[ir.r : ir.r+n], nil
}

// wait reads once into an empty buffer, keeping a read error for the next
// call: the parked reader's wait (rsPeer.waitAndRead).
func (ir *idleReader) wait() {
	if ir.r == ir.w && ir.err == nil {
		ir.release()
		ir.fill()
	}
}

// fill reads into the free end of buf until some bytes or an error come
// (a reader that keeps returning 0, nil gets io.ErrNoProgress, as from
// bufio). An empty reader on a socket waits in the socket's RawConn.
func (ir *idleReader) fill() {
	if ir.raw != nil && ir.r == ir.w {
		ir.release()
		if err := ir.raw.Read(ir.rawFn); err != nil && ir.err == nil {
			ir.err = err // closed, or the read deadline passed
		}
		return
	}
	for range 100 {
		m, err := ir.rd.Read(ir.buf[ir.w:])
		if m < 0 || m > len(ir.buf)-ir.w {
			ir.err = errInvalidRead
			return
		}
		ir.w += m
		if err != nil {
			ir.err = err
			return
		}
		if m > 0 {
			return
		}
	}
	ir.err = io.ErrNoProgress
}

// tryRead is the RawConn.Read callback of an empty reader: one
// non-blocking read into the pooled buffer, which goes back to the pool
// when the socket has nothing (the RawConn then waits and calls again).
func (ir *idleReader) tryRead(fd uintptr) bool {
	if ir.big == nil {
		ir.big = ir.pool.Get().(*[]byte)
	}
	n, err := readFD(fd, *ir.big)
	if err == errWouldBlock {
		ir.pool.Put(ir.big)
		ir.big = nil
		return false
	}
	ir.buf, ir.r, ir.w = *ir.big, 0, max(n, 0)
	switch {
	case err != nil:
		ir.err = err
	case n == 0:
		ir.err = io.EOF
	}
	return true
}

// Discard consumes n bytes, which must be buffered (peeked).
func (ir *idleReader) Discard(n int) {
	ir.r += min(n, ir.w-ir.r)
}

// Read reads into p: buffered bytes first, else one read into the buffer
// (straight into p when p is at least Size, as bufio does).
func (ir *idleReader) Read(p []byte) (int, error) {
	if len(p) == 0 {
		return 0, nil
	}
	if ir.r == ir.w {
		if ir.err != nil {
			return 0, ir.readErr()
		}
		ir.release()
		if len(p) >= ir.size {
			n, err := ir.rd.Read(p)
			if n == 0 && err == nil {
				err = io.ErrNoProgress
			}
			return n, err
		}
		ir.fill()
	}
	n := copy(p, ir.buf[ir.r:ir.w])
	ir.r += n
	if n == 0 {
		return 0, ir.readErr()
	}
	return n, nil
}

// readErr returns the read error, once.
func (ir *idleReader) readErr() error {
	err := ir.err
	ir.err = nil
	return err
}
