package inflight

import (
	"sync"
	"testing"
	"time"
)

func isIdle(g *Gate) bool {
	select {
	case <-g.Idle():
		return true
	default:
		return false
	}
}

func TestGate(t *testing.T) {
	tests := []struct {
		name          string
		before        int // units acquired before Close
		releaseBefore int // of which released before Close
		closes        int
		wantIdleAtEnd bool
	}{
		{"nothing_in_flight", 0, 0, 1, true},
		{"all_released_before_close", 3, 3, 1, true},
		{"work_in_flight", 3, 1, 1, false},
		{"close_twice", 2, 2, 2, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g := New()
			for range tt.before {
				if !g.Acquire() {
					t.Fatal("Acquire on an open gate failed")
				}
			}
			for range tt.releaseBefore {
				g.Release()
			}
			if isIdle(g) {
				t.Fatal("Idle before Close")
			}
			for range tt.closes {
				g.Close()
			}
			if g.Acquire() {
				t.Fatal("Acquire after Close succeeded")
			}
			if got := isIdle(g); got != tt.wantIdleAtEnd {
				t.Fatalf("Idle after Close = %v, want %v", got, tt.wantIdleAtEnd)
			}
			for i := tt.releaseBefore; i < tt.before; i++ {
				if isIdle(g) {
					t.Fatalf("Idle with %d units still in flight", tt.before-i)
				}
				g.Release()
			}
			if !isIdle(g) {
				t.Fatal("not Idle after the last Release")
			}
		})
	}
}

// TestGateConcurrent: every Acquire that succeeds is matched by a Release
// before Idle, however Close interleaves.
func TestGateConcurrent(t *testing.T) {
	for range 50 {
		g := New()
		var wg sync.WaitGroup
		var mu sync.Mutex
		inFlight := 0
		early := false
		for range 4 {
			wg.Go(func() {
				for g.Acquire() {
					mu.Lock()
					inFlight++
					mu.Unlock()
					mu.Lock()
					inFlight--
					if isIdle(g) {
						early = true
					}
					mu.Unlock()
					g.Release()
				}
			})
		}
		g.Close()
		select {
		case <-g.Idle():
		case <-time.After(10 * time.Second):
			t.Fatal("the gate did not become idle after Close")
		}
		wg.Wait()
		if early || inFlight != 0 {
			t.Fatalf("Idle while work was in flight (early=%v, left=%d)", early, inFlight)
		}
	}
}
