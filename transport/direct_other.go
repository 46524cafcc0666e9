//go:build !unix

package transport

import (
	"net"
	"sync/atomic"
)

// sockWriter: only unix platforms write sockets through their RawConn.
type sockWriter struct{}

func newSockWriter(net.Conn, *atomic.Uint64, *writeDeadline) *sockWriter { return nil }

func (*sockWriter) writeNow([]byte) int         { return 0 }
func (*sockWriter) write(b []byte) (int, error) { return 0, nil }
