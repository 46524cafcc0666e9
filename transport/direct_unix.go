//go:build unix

package transport

import (
	"net"
	"syscall"
)

// socketWriterOf returns the RawConn of the plain TCP or Unix socket nc
// writes to (through a Mux's peekedConn, whose writes are its socket's),
// nil for anything else (TLS, another wrapper): those are written by the
// writer goroutine only.
func socketWriterOf(nc net.Conn) syscall.RawConn {
	if pc, ok := nc.(*peekedConn); ok {
		nc = pc.Conn
	}
	var sc syscall.Conn
	switch c := nc.(type) {
	case *net.TCPConn:
		sc = c
	case *net.UnixConn:
		sc = c
	default:
		return nil
	}
	rc, err := sc.SyscallConn()
	if err != nil {
		return nil
	}
	return rc
}

// writeNow writes what the socket takes of b at once, without waiting:
// write(2) on the non-blocking descriptor until it is all written, the
// socket buffer is full (EAGAIN), or an error. It returns how much was
// written; an error is not reported (what was not written is written
// again by the writer goroutine, which then sees the error itself).
func writeNow(rc syscall.RawConn, b []byte) int {
	n := 0
	_ = rc.Write(func(fd uintptr) bool {
		for n < len(b) {
			k, err := syscall.Write(int(fd), b[n:])
			if err == syscall.EINTR {
				continue
			}
			if err != nil || k <= 0 {
				break
			}
			n += k
		}
		return true // never wait for the socket to become writable
	})
	return n
}
