package transport

import (
	"crypto/tls"
	"net"
	"syscall"

	"golang.org/x/sys/unix"
)

// unsentLimit is the most a server socket keeps of what its writer wrote
// but the kernel has not sent yet (TCP_NOTSENT_LOWAT). Without it the
// kernel takes up to tcp_wmem's maximum (4 MiB by default) for a peer that
// stopped reading: measured in the slowsub bench phase, 2.8-3.8 MB of
// events, about 20,000, that the router wrote before its writer blocked
// and the stall watch could see the peer stop, at the cost of a reading
// subscriber for all that time. What is in flight (sent, not yet
// acknowledged) is not limited, so a reading peer on a long link is not
// slowed: the writer is woken when the unsent bytes fall below the limit.
const unsentLimit = 128 << 10

// limitUnsent sets unsentLimit on a TCP connection (under TLS too); other
// connections (a Unix socket, a wrapper that hides its socket) are left
// alone, as is a kernel without the option.
func limitUnsent(nc net.Conn) {
	if tc, ok := nc.(*tls.Conn); ok {
		nc = tc.NetConn()
	}
	sc, ok := nc.(syscall.Conn)
	if !ok {
		return
	}
	if _, tcp := nc.(*net.TCPConn); !tcp {
		return
	}
	rc, err := sc.SyscallConn()
	if err != nil {
		return
	}
	_ = rc.Control(func(fd uintptr) {
		_ = unix.SetsockoptInt(int(fd), unix.IPPROTO_TCP, unix.TCP_NOTSENT_LOWAT, unsentLimit)
	})
}
