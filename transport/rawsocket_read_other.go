//go:build !unix

package transport

import (
	"errors"
	"io"
	"syscall"
)

var errWouldBlock = errors.New("transport: read would block")

// rawSocketOf: only unix platforms read sockets through their RawConn.
func rawSocketOf(io.Reader) syscall.RawConn { return nil }

func readFD(uintptr, []byte) (int, error) { return 0, errWouldBlock }
