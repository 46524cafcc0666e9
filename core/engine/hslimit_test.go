package engine

import "testing"

func TestHandshakeLimiter(t *testing.T) {
	var l hsLimiter
	// Total limit 3, per address 2; "" (a unix socket) counts in the total only.
	a1, abort := l.acquire(3, 2, "10.0.0.1")
	if abort != nil || a1 != "10.0.0.1" {
		t.Fatalf("first: %q %v", a1, abort)
	}
	if _, abort := l.acquire(3, 2, "10.0.0.1"); abort != nil {
		t.Fatalf("second from the same address: %v", abort)
	}
	if _, abort := l.acquire(3, 2, "10.0.0.1"); abort == nil || abort.Reason != ReasonTooManyHandshakes {
		t.Fatalf("third from the same address: %v, want %s", abort, ReasonTooManyHandshakes)
	}
	u, abort := l.acquire(3, 2, "")
	if abort != nil || u != "" {
		t.Fatalf("unix: %q %v", u, abort)
	}
	if _, abort := l.acquire(3, 2, "10.0.0.2"); abort == nil {
		t.Fatal("over the total: admitted")
	}
	l.release(a1)
	if k, abort := l.acquire(3, 2, "10.0.0.2"); abort != nil || k != "10.0.0.2" {
		t.Fatalf("after a release: %q %v", k, abort)
	}
	// No per-address limit: nothing is kept per address.
	var m hsLimiter
	for range 5 {
		if k, abort := m.acquire(0, 0, "10.0.0.1"); abort != nil || k != "" {
			t.Fatalf("unlimited: %q %v", k, abort)
		}
	}
	if m.total != 5 || len(m.byAddr) != 0 {
		t.Fatalf("unlimited: total %d, %d addresses kept", m.total, len(m.byAddr))
	}
}
