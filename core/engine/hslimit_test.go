package engine

import "testing"

func TestHandshakeLimiter(t *testing.T) {
	var l hsLimiter
	places := make([]hsPlace, 8)
	// Total limit 3, per address 2; "" (a unix socket) counts in the total only.
	if v, abort := l.acquire(&places[0], 3, 2, "10.0.0.1"); abort != nil || v != nil || places[0].key != "10.0.0.1" {
		t.Fatalf("first: %v %v key %q", v, abort, places[0].key)
	}
	if _, abort := l.acquire(&places[1], 3, 2, "10.0.0.1"); abort != nil {
		t.Fatalf("second from the same address: %v", abort)
	}
	if _, abort := l.acquire(&places[2], 3, 2, "10.0.0.1"); abort == nil || abort.Reason != ReasonTooManyHandshakes {
		t.Fatalf("third from the same address: %v, want %s", abort, ReasonTooManyHandshakes)
	}
	if v, abort := l.acquire(&places[3], 3, 2, ""); abort != nil || v != nil || places[3].key != "" {
		t.Fatalf("unix: %v %v", v, abort)
	}
	// Over the total: the oldest place (places[0]) is taken for the new one.
	v, abort := l.acquire(&places[4], 3, 2, "10.0.0.2")
	if abort != nil || v != &places[0] {
		t.Fatalf("over the total: evicted %v, abort %v; want the oldest", v, abort)
	}
	if places[0].held.Load() || l.total != 3 || l.byAddr["10.0.0.1"] != 1 {
		t.Fatalf("after the eviction: held %v, total %d, by address %v", places[0].held.Load(), l.total, l.byAddr)
	}
	l.release(&places[0]) // the evicted connection closing: nothing more to give back
	if l.total != 3 {
		t.Fatalf("an evicted place released again: total %d", l.total)
	}
	// A place being released is not evicted: the next oldest is.
	places[1].held.Store(false) // as release does before it takes the lock
	if v, _ := l.acquire(&places[5], 3, 2, "10.0.0.3"); v != &places[3] {
		t.Fatalf("evicted %v, want the oldest place still held (the unix one)", v)
	}
	places[1].held.Store(true)
	l.release(&places[1])
	l.release(&places[4])
	l.release(&places[5])
	if l.total != 0 || len(l.byAddr) != 0 || l.head != nil || l.tail != nil {
		t.Fatalf("all released: total %d, by address %v, list %p..%p", l.total, l.byAddr, l.head, l.tail)
	}
	// No per-address limit: nothing is kept per address.
	var m hsLimiter
	for i := range 5 {
		var p hsPlace
		if _, abort := m.acquire(&p, 0, 0, "10.0.0.1"); abort != nil || p.key != "" {
			t.Fatalf("unlimited %d: %q %v", i, p.key, abort)
		}
	}
	if m.total != 5 || len(m.byAddr) != 0 {
		t.Fatalf("unlimited: total %d, %d addresses kept", m.total, len(m.byAddr))
	}
}
