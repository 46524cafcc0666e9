package transport

import (
	"net"
	"net/netip"
	"sync"
	"sync/atomic"
)

// connLimiter enforces MaxConnections and MaxConnectionsPerAddress: it
// counts the connections a server holds (in the handshake or established)
// in total and per source IP. Safe for concurrent use. A zero limit is no
// limit; with both zero, acquire only counts.
type connLimiter struct {
	max, perAddr int

	mu     sync.Mutex
	total  int
	byAddr map[string]int // source IP -> connections; entries at 0 are deleted
}

// limitRefusal says which limit refused a connection.
type limitRefusal int

const (
	limitNone    limitRefusal = iota
	limitTotal                // MaxConnections
	limitAddress              // MaxConnectionsPerAddress
)

func newConnLimiter(maxConns, perAddr int) *connLimiter {
	return &connLimiter{max: maxConns, perAddr: perAddr, byAddr: make(map[string]int)}
}

// connSlot is one connection's place under the limits. release gives it
// back; only the first call counts, so every path that ends a connection
// may call it. A nil *connSlot releases nothing.
type connSlot struct {
	l        *connLimiter
	addr     string // "" = not counted per address
	released atomic.Bool
}

// acquire takes a slot for a connection from remote (a net.Addr's String
// or an http.Request's RemoteAddr), or says which limit refuses it. The
// per-address key is the IP of remote's host part (IPv4-mapped IPv6
// addresses count as IPv4); an address without one (unix sockets, a
// connection with no remote address) is counted only in the total.
func (l *connLimiter) acquire(remote string) (*connSlot, limitRefusal) {
	key := addrKey(remote)
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.max > 0 && l.total >= l.max {
		return nil, limitTotal
	}
	if key != "" && l.perAddr > 0 && l.byAddr[key] >= l.perAddr {
		return nil, limitAddress
	}
	l.total++
	if key != "" && l.perAddr > 0 {
		l.byAddr[key]++
	} else {
		key = ""
	}
	return &connSlot{l: l, addr: key}, limitNone
}

// release gives the slot back, once.
func (s *connSlot) release() {
	if s == nil || !s.released.CompareAndSwap(false, true) {
		return
	}
	l := s.l
	l.mu.Lock()
	defer l.mu.Unlock()
	l.total--
	if s.addr != "" {
		if n := l.byAddr[s.addr] - 1; n > 0 {
			l.byAddr[s.addr] = n
		} else {
			delete(l.byAddr, s.addr)
		}
	}
}

// counts returns the connections held in total and from the source IP of
// remote (0 when remote has none, or per-address limiting is off).
func (l *connLimiter) counts(remote string) (total, fromAddr int) {
	key := addrKey(remote)
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.total, l.byAddr[key]
}

// addrKey is the per-address key of remote: its host part as a canonical
// IP, or "" when it has none (a unix socket's "@" or "", a nil address).
func addrKey(remote string) string {
	host, _, err := net.SplitHostPort(remote)
	if err != nil || host == "" {
		return ""
	}
	if ip, err := netip.ParseAddr(host); err == nil {
		return ip.Unmap().WithZone("").String()
	}
	return host
}

// SourceIP is the per-address key the connection limits use for remote (a
// net.Addr's String or an http.Request's RemoteAddr): its host part as a
// canonical IP (IPv4-mapped IPv6 addresses as IPv4), or "" when it has
// none (unix sockets). Other per-address limits use it so that all count
// a source alike.
func SourceIP(remote string) string { return addrKey(remote) }
