package engine

import (
	"testing"
	"time"
)

// The token bucket on a virtual clock: a full burst passes, then each
// message waits 1/rate, and idle time refills up to the burst only.
func TestRateBucket(t *testing.T) {
	var b rateBucket
	t0 := time.Unix(1000, 0)
	const rate, burst = 10.0, 3
	for i := range burst {
		if w := b.take(t0, rate, burst); w != 0 {
			t.Fatalf("message %d of the burst waits %v", i, w)
		}
	}
	if w := b.take(t0, rate, burst); w != 100*time.Millisecond {
		t.Fatalf("first message over the burst waits %v, want 100ms", w)
	}
	// After the wait the balance is back to zero; the next message waits
	// another 1/rate.
	t1 := t0.Add(100 * time.Millisecond)
	if w := b.take(t1, rate, burst); w != 100*time.Millisecond {
		t.Fatalf("next message waits %v, want 100ms", w)
	}
	// A long idle period refills to the burst, not beyond.
	t2 := t1.Add(time.Hour)
	for i := range burst {
		if w := b.take(t2, rate, burst); w != 0 {
			t.Fatalf("after idling, message %d waits %v", i, w)
		}
	}
	if w := b.take(t2, rate, burst); w == 0 {
		t.Fatal("after idling, the bucket held more than its burst")
	}
	// A clock that goes backwards refills nothing and breaks nothing.
	if w := b.take(t0, rate, burst); w <= 0 {
		t.Fatalf("backwards clock: wait %v", w)
	}
}

func TestRateBurstDefault(t *testing.T) {
	for _, c := range []struct {
		rate  float64
		burst int
		want  int
	}{{10, 0, 10}, {0.5, 0, 1}, {10, 3, 3}} {
		s := &Server{RateLimit: c.rate, RateBurst: c.burst}
		if got := s.rateBurst(); got != c.want {
			t.Errorf("rate %v burst %d: %d, want %d", c.rate, c.burst, got, c.want)
		}
	}
}
