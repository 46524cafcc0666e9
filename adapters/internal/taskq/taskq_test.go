package taskq

import (
	"slices"
	"testing"
)

// runAll takes and runs batches until the queue is dry, returning the
// tasks in run order and the batch sizes.
func runAll(q *Queue[int], retain int) (ran, batches []int) {
	for q.Take(retain) {
		n := 0
		for t, ok := q.Next(); ok; t, ok = q.Next() {
			ran = append(ran, t)
			n++
		}
		batches = append(batches, n)
	}
	return ran, batches
}

func TestFIFOInBatches(t *testing.T) {
	var q Queue[int]
	for i := range 5 {
		if n := q.Push(i); n != i+1 {
			t.Fatalf("Push returned %d, want %d", n, i+1)
		}
	}
	if !q.Take(16) || q.Queued() != 0 || !q.Pending() {
		t.Fatal("Take of 5 queued tasks: want a pending batch and an empty queue")
	}
	first, _ := q.Next()
	q.Push(5) // pushed while the batch runs: goes to the next batch
	var ran []int
	for v, ok := q.Next(); ok; v, ok = q.Next() {
		ran = append(ran, v)
	}
	if q.Pending() {
		t.Fatal("Pending after the batch was run")
	}
	rest, batches := runAll(&q, 16)
	ran = append(append([]int{first}, ran...), rest...)
	if !slices.Equal(ran, []int{0, 1, 2, 3, 4, 5}) || !slices.Equal(batches, []int{1}) {
		t.Fatalf("ran %v in later batches %v; want 0..5 and [1]", ran, batches)
	}
}

// TestNextClearsSlot: a run task is not kept alive by the batch buffer.
func TestNextClearsSlot(t *testing.T) {
	var q Queue[*int]
	x := 1
	q.Push(&x)
	q.Take(16)
	if v, ok := q.Next(); !ok || v != &x {
		t.Fatalf("Next returned %v, %v", v, ok)
	}
	if q.batch[0] != nil {
		t.Fatal("the run task's slot still holds it")
	}
}

// TestBuffersAlternate: while busy, the finished batch becomes the next
// queue, so a steady stream reuses two buffers.
func TestBuffersAlternate(t *testing.T) {
	var q Queue[int]
	for i := range 4 {
		q.Push(i)
	}
	q.Take(16)
	bufA := &q.batch[:1][0]
	for _, ok := q.Next(); ok; _, ok = q.Next() {
	}
	q.Push(9)
	bufB := &q.q[:1][0]
	q.Take(16) // batch = B, queue = A
	if &q.batch[:1][0] != bufB || &q.q[:1][0] != bufA {
		t.Fatal("Take did not swap the queue and the finished batch")
	}
}

// TestRetainWhenDry: a dry queue keeps no buffer larger than retain, and
// keeps small ones for reuse.
func TestRetainWhenDry(t *testing.T) {
	tests := []struct {
		name      string
		burst     int
		retain    int
		wantSpare bool // a small buffer kept for reuse
	}{
		{"small_kept", 3, 16, true},
		{"burst_released_small_kept", 100, 16, true},
		{"retain_zero_keeps_nothing", 1, 0, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var q Queue[int]
			for i := range tt.burst {
				q.Push(i)
			}
			q.Take(tt.retain)
			for _, ok := q.Next(); ok; _, ok = q.Next() {
			}
			q.Push(-1) // a small buffer for the next round
			q.Take(tt.retain)
			q.Next()
			if q.Take(tt.retain) {
				t.Fatal("Take on a dry queue reported a batch")
			}
			if cap(q.q) > tt.retain || cap(q.spare) > tt.retain || q.batch != nil {
				t.Fatalf("dry queue keeps buffers of %d and %d slots (batch %v), retain %d",
					cap(q.q), cap(q.spare), q.batch, tt.retain)
			}
			if got := q.spare != nil || q.q != nil; got != tt.wantSpare {
				t.Fatalf("small buffer kept = %v, want %v", got, tt.wantSpare)
			}
			if q.Push(7) != 1 || !q.Take(tt.retain) {
				t.Fatal("queue unusable after going dry")
			}
		})
	}
}
