//go:build !linux

package transport

import "net"

// limitUnsent does nothing here: TCP_NOTSENT_LOWAT is set on Linux only
// (sockopt_linux.go).
func limitUnsent(net.Conn) {}
