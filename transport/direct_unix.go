//go:build unix

package transport

import (
	"net"
	"os"
	"sync/atomic"
	"syscall"
)

// sockWriter writes a peer's bytes to its plain TCP or Unix socket through
// the socket's RawConn: once without waiting (an inline write,
// peer_direct.go), or until done under the write deadline, counting every
// byte the socket takes as it takes it (the stall watch's progress) and
// pushing the deadline out as bytes move (writeDeadline). Used by one
// writer at a time (the writer role; for WebSocket under the wsConn lock).
type sockWriter struct {
	rc       syscall.RawConn
	step     func(fd uintptr) bool // w.write1, bound once: no allocation per write
	progress *atomic.Uint64
	dl       *writeDeadline

	b    []byte // being written
	n    int    // of b, written
	once bool   // one attempt: never wait for the socket
	err  error  // the write error, if any
}

// newSockWriter returns the sockWriter of nc when nc is a plain TCP or
// Unix socket (a Mux's peekedConn writes to its socket unchanged), nil for
// anything else (TLS, another wrapper), which is written through its own
// Write and never inline.
func newSockWriter(nc net.Conn, progress *atomic.Uint64, dl *writeDeadline) *sockWriter {
	if pc, ok := nc.(*peekedConn); ok {
		nc = pc.Conn
	}
	rc := rawSocketOf(nc)
	if rc == nil {
		return nil
	}
	w := &sockWriter{rc: rc, progress: progress, dl: dl}
	w.step = w.write1
	return w
}

// write1 is the RawConn callback: write(2) until b is written, the socket
// is full (EAGAIN: wait for it, unless once) or an error.
func (w *sockWriter) write1(fd uintptr) bool {
	for w.n < len(w.b) {
		k, err := syscall.Write(int(fd), w.b[w.n:])
		if err == syscall.EINTR {
			continue
		}
		if err == syscall.EAGAIN || (err == nil && k <= 0) {
			break
		}
		if err != nil {
			w.err = os.NewSyscallError("write", err)
			return true
		}
		w.n += k
		w.progress.Add(uint64(k))
		if !w.once {
			w.dl.refresh()
		}
	}
	return w.once || w.n == len(w.b)
}

// writeNow writes what the socket takes of b at once and returns how much
// that was; an error is not reported (what was not written is written
// again by the writer goroutine, which then sees the error itself).
func (w *sockWriter) writeNow(b []byte) int {
	w.b, w.n, w.once, w.err = b, 0, true, nil
	_ = w.rc.Write(w.step)
	n := w.n
	w.b = nil
	return n
}

// write writes b, waiting for the socket as needed, until the write
// deadline passes without progress. Errors are *net.OpError "write", as
// the connection's own Write returns them.
func (w *sockWriter) write(b []byte) (int, error) {
	w.b, w.n, w.once, w.err = b, 0, false, nil
	err := w.rc.Write(w.step)
	n := w.n
	w.b = nil
	if w.err != nil {
		err = &net.OpError{Op: "write", Err: w.err}
	}
	if oe, ok := err.(*net.OpError); ok {
		oe.Op = "write"
	}
	return n, err
}
