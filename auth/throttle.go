package auth

import (
	"context"
	"errors"
	"net"
	"net/netip"
	"sync"
	"time"
)

// errThrottled: an attempt from the same address already waits, or (with
// Throttle.Refuse) the address owes a wait.
var errThrottled = errors.New("auth: an attempt from this address is already waiting")

// throttle remembers recent failures per address (Throttle's policy).
type throttle struct {
	cfg   Throttle
	mu    sync.Mutex
	addrs map[string]*failures
}

// sleeper waits d or until ctx ends: core.AuthRequest.Delay, which holds
// no bounded backend's place while it waits (a test passes its own).
type sleeper func(ctx context.Context, d time.Duration) error

type failures struct {
	n       int
	last    time.Time
	waiting bool
}

func newThrottle(cfg Throttle) *throttle {
	return &throttle{cfg: cfg, addrs: make(map[string]*failures)}
}

// penalty is the wait owed after n failures, the last one at last.
func (t *throttle) penalty(f *failures, now time.Time) time.Duration {
	d := t.cfg.MaxDelay
	if f.n < 32 {
		d = min(t.cfg.Delay<<(f.n-1), t.cfg.MaxDelay)
	}
	return d - now.Sub(f.last)
}

// wait waits out addr's penalty with sleep, honouring ctx. It returns
// errThrottled at once when another attempt from addr is waiting or
// running after a wait, or when Refuse is set and a wait is owed; release
// ends this attempt's turn.
func (t *throttle) wait(ctx context.Context, addr string, now func() time.Time, sleep sleeper) (release func(), err error) {
	t.mu.Lock()
	f := t.addrs[addr]
	at := now()
	if f == nil || f.n == 0 || at.Sub(f.last) > t.cfg.Forget {
		t.mu.Unlock()
		return func() {}, nil
	}
	if f.waiting {
		t.mu.Unlock()
		return nil, errThrottled
	}
	d := t.penalty(f, at)
	if d > 0 && t.cfg.Refuse {
		t.mu.Unlock()
		return nil, errThrottled
	}
	f.waiting = true
	t.mu.Unlock()
	release = func() {
		t.mu.Lock()
		f.waiting = false
		t.mu.Unlock()
	}
	if d > 0 {
		if err := sleep(ctx, d); err != nil {
			release()
			return nil, err
		}
	}
	return release, nil
}

// failed counts a failure from addr.
func (t *throttle) failed(addr string, now time.Time) {
	t.mu.Lock()
	defer t.mu.Unlock()
	f := t.addrs[addr]
	if f == nil {
		t.makeRoom(now)
		f = &failures{}
		t.addrs[addr] = f
	}
	if now.Sub(f.last) > t.cfg.Forget {
		f.n = 0
	}
	f.n++
	f.last = now
}

// succeeded forgets addr.
func (t *throttle) succeeded(addr string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	delete(t.addrs, addr) // a waiting attempt's release still holds its record
}

// makeRoom drops forgotten addresses when the map is full, and the one
// whose last failure is oldest if none is. Called with mu held.
func (t *throttle) makeRoom(now time.Time) {
	if len(t.addrs) < t.cfg.MaxAddresses {
		return
	}
	var oldest string
	var oldestAt time.Time
	for a, f := range t.addrs {
		if now.Sub(f.last) > t.cfg.Forget && !f.waiting {
			delete(t.addrs, a)
			continue
		}
		if oldest == "" || f.last.Before(oldestAt) {
			oldest, oldestAt = a, f.last
		}
	}
	if len(t.addrs) >= t.cfg.MaxAddresses {
		delete(t.addrs, oldest)
	}
}

// size is the number of remembered addresses.
func (t *throttle) size() int {
	t.mu.Lock()
	defer t.mu.Unlock()
	return len(t.addrs)
}

// addressKey is the throttle's key for a peer address: the IPv4 address,
// the /64 of an IPv6 address (one host usually owns a whole /64), or the
// whole string for anything else (a Unix socket: all its clients share
// one key).
func addressKey(peer string) string {
	host, _, err := net.SplitHostPort(peer)
	if err != nil {
		return peer
	}
	ip, err := netip.ParseAddr(host)
	if err != nil {
		return host
	}
	ip = ip.Unmap()
	if ip.Is6() {
		p, _ := ip.Prefix(64)
		return p.String()
	}
	return ip.String()
}
