package transport

import (
	"errors"
	"io"
	"sync"
)

// rsSmallRead is the read buffer an idle RawSocket connection keeps: the
// next frame's header, and the whole of a small message, are read into it
// with no other buffer held.
const rsSmallRead = 256

// idleReader is a buffered reader (the part of bufio.Reader the RawSocket
// handshake and frame reader use) that holds a full-size buffer only while
// it has data buffered. When its buffer is empty, it reads into a small
// array of its own, so that a connection waiting for its next frame holds
// no read buffer; a frame larger than that array moves what was read into
// a pooled buffer of size bytes, which goes back to the pool once every
// byte in it is consumed. A payload returned by Peek stays valid until the
// next call. Not safe for concurrent use: the reader goroutine owns it.
type idleReader struct {
	rd   io.Reader
	size int        // the full buffer's size
	pool *sync.Pool // of *[]byte of size bytes
	big  *[]byte    // the pooled buffer in use, or nil
	buf  []byte     // small[:] or *big
	r, w int        // buf[r:w] is buffered
	err  error      // the read error, returned once the buffer is empty
	// small is the buffer of an idle reader.
	small [rsSmallRead]byte
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
	ir.buf = ir.small[:]
	return ir
}

// Size is the largest Peek.
func (ir *idleReader) Size() int { return ir.size }

// Buffered is the number of bytes that can be read without reading rd.
func (ir *idleReader) Buffered() int { return ir.w - ir.r }

// release goes back to the small buffer when nothing is buffered.
func (ir *idleReader) release() {
	if ir.r != ir.w {
		return
	}
	ir.r, ir.w = 0, 0
	if ir.big != nil {
		ir.pool.Put(ir.big)
		ir.big = nil
		ir.buf = ir.small[:]
	}
}

// room makes buf[r:] able to hold n bytes: the buffered bytes move to the
// front, into the pooled buffer if the small one is too small.
func (ir *idleReader) room(n int) {
	if ir.r+n <= len(ir.buf) {
		return
	}
	if n > len(ir.buf) { // only the small buffer can be too small
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
	ir.room(n)
	for ir.w-ir.r < n && ir.err == nil {
		ir.fill()
	}
	if ir.w-ir.r < n {
		return ir.buf[ir.r:ir.w], ir.err
	}
	return ir.buf[ir.r : ir.r+n], nil
}

// wait reads once into an empty buffer (the small one), keeping a read
// error for the next call: the parked reader's wait (rsPeer.waitAndRead).
func (ir *idleReader) wait() {
	if ir.r == ir.w && ir.err == nil {
		ir.release()
		ir.fill()
	}
}

// fill reads into the free end of buf until some bytes or an error come
// (a reader that keeps returning 0, nil gets io.ErrNoProgress, as from
// bufio).
func (ir *idleReader) fill() {
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

// Discard consumes n bytes, which must be buffered (peeked).
func (ir *idleReader) Discard(n int) {
	ir.r += min(n, ir.w-ir.r)
}

// Read reads into p: buffered bytes first, else one read into the buffer.
func (ir *idleReader) Read(p []byte) (int, error) {
	if len(p) == 0 {
		return 0, nil
	}
	if ir.r == ir.w {
		if ir.err != nil {
			return 0, ir.readErr()
		}
		ir.release()
		if len(p) >= len(ir.buf) { // large: straight into p, as bufio does
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
