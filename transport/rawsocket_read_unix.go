//go:build unix

package transport

import (
	"errors"
	"io"
	"net"
	"os"
	"syscall"
)

// errWouldBlock is readFD's "nothing to read yet".
var errWouldBlock = errors.New("transport: read would block")

// rawSocketOf returns the RawConn of a plain TCP or Unix socket, nil for
// anything else (TLS, a wrapped connection), whose own Read must be used.
func rawSocketOf(rd io.Reader) syscall.RawConn {
	var sc syscall.Conn
	switch c := rd.(type) {
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

// readFD is one non-blocking read(2), retried on EINTR.
func readFD(fd uintptr, b []byte) (int, error) {
	for {
		n, err := syscall.Read(int(fd), b)
		switch {
		case err == syscall.EINTR:
			continue
		case err == syscall.EAGAIN:
			return 0, errWouldBlock
		case err != nil:
			return 0, os.NewSyscallError("read", err)
		}
		return n, nil
	}
}
