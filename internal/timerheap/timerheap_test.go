package timerheap

import (
	"container/heap"
	"testing"
	"time"
)

type tm struct {
	at    time.Time
	seq   uint64
	index int
}

func (t *tm) Deadline() (time.Time, uint64) { return t.at, t.seq }
func (t *tm) SetIndex(i int)                { t.index = i }

func TestOrderTiesAndRemove(t *testing.T) {
	base := time.Unix(0, 0)
	var h Heap[*tm]
	mk := func(ms int, seq uint64) *tm { return &tm{at: base.Add(time.Duration(ms) * time.Millisecond), seq: seq} }
	a, b, c, d := mk(30, 1), mk(10, 2), mk(10, 3), mk(20, 4)
	for _, x := range []*tm{a, b, c, d} {
		heap.Push(&h, x)
	}
	heap.Remove(&h, d.index)
	if d.index != -1 {
		t.Fatalf("removed timer has index %d, want -1", d.index)
	}
	for i, want := range []*tm{b, c, a} { // deadline order, ties by creation
		if got := heap.Pop(&h).(*tm); got != want {
			t.Fatalf("pop %d: got seq %d, want seq %d", i, got.seq, want.seq)
		}
	}
	if h.Len() != 0 {
		t.Fatalf("heap not empty")
	}
}
