//go:build !unix

package transport

import (
	"net"
	"syscall"
)

// socketWriterOf: only unix platforms write from the caller's goroutine.
func socketWriterOf(net.Conn) syscall.RawConn { return nil }

func writeNow(syscall.RawConn, []byte) int { return 0 }
