package ring

import (
	"slices"
	"testing"
)

// drain pops every value of r.
func drain[T any](r *Ring[T]) []T {
	var out []T
	for r.Len() > 0 {
		out = append(out, r.Pop())
	}
	return out
}

// TestRingFIFOAcrossWrapAndGrowth: values come out in push order whatever
// the head position when the buffer grows.
func TestRingFIFOAcrossWrapAndGrowth(t *testing.T) {
	tests := []struct {
		name             string
		minSize, maxSize int
		pushPop          int // values pushed and popped first, to move head
		then             int // values pushed after that
		wantCap          int
	}{
		{"grow_from_empty", 8, 0, 0, 5, 8},
		{"grow_twice", 8, 0, 0, 9, 16},
		{"wrapped_head", 4, 0, 3, 6, 8},
		{"bounded", 8, 5, 2, 5, 5},
		{"bounded_below_min", 8, 1, 1, 1, 1},
		{"unbounded_min_16", 16, 0, 7, 17, 32},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var r Ring[int]
			for i := range tt.pushPop {
				r.Push(-i-1, tt.minSize, tt.maxSize)
			}
			if got := drain(&r); len(got) != tt.pushPop {
				t.Fatalf("first round: popped %d values, want %d", len(got), tt.pushPop)
			}
			var want []int
			for i := range tt.then {
				r.Push(i, tt.minSize, tt.maxSize)
				want = append(want, i)
			}
			if r.Len() != tt.then || r.Cap() != tt.wantCap {
				t.Fatalf("Len %d, Cap %d; want %d, %d", r.Len(), r.Cap(), tt.then, tt.wantCap)
			}
			if got := drain(&r); !slices.Equal(got, want) {
				t.Fatalf("popped %v, want %v", got, want)
			}
		})
	}
}

// TestRingPopClearsSlot: a popped value is not kept alive by the buffer.
func TestRingPopClearsSlot(t *testing.T) {
	var r Ring[*int]
	x := 1
	r.Push(&x, 4, 0)
	if got := r.Pop(); got != &x {
		t.Fatalf("Pop returned %p, want %p", got, &x)
	}
	for i, p := range r.buf {
		if p != nil {
			t.Fatalf("slot %d still holds a popped value", i)
		}
	}
}

func TestRingRelease(t *testing.T) {
	tests := []struct {
		name    string
		pushed  int // pushed with minSize 8
		popped  int
		retain  int
		wantCap int
	}{
		{"small_empty_kept", 3, 3, 16, 8},
		{"large_empty_released", 20, 20, 16, 0},
		{"large_nonempty_kept", 20, 19, 16, 32},
		{"retain_zero_releases_any", 1, 1, 0, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var r Ring[int]
			for i := range tt.pushed {
				r.Push(i, 8, 0)
			}
			for range tt.popped {
				r.Pop()
			}
			r.Release(tt.retain)
			if r.Cap() != tt.wantCap || r.Len() != tt.pushed-tt.popped {
				t.Fatalf("after Release(%d): Cap %d, Len %d; want %d, %d",
					tt.retain, r.Cap(), r.Len(), tt.wantCap, tt.pushed-tt.popped)
			}
			r.Push(7, 8, 0) // still usable
			if got := drain(&r); got[len(got)-1] != 7 {
				t.Fatalf("after Release, popped %v, want 7 last", got)
			}
		})
	}
}
