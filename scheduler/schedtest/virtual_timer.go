package schedtest

import (
	"container/heap"
	"time"

	"github.com/switchboard-wamp/switchboard/scheduler"
)

// vtimer is one pending AfterFunc call of a Virtual.
type vtimer struct {
	v     *Virtual
	at    time.Time
	seq   uint64 // creation order, breaks deadline ties
	f     func()
	index int // position in the heap; -1 once fired, stopped or discarded
}

// AfterFunc arranges for f to run when the virtual clock reaches Now()+d
// (d <= 0: at the current time, on the next RunUntilIdle or Advance). After
// Close it returns a Timer that never fires.
func (v *Virtual) AfterFunc(d time.Duration, f func()) scheduler.Timer {
	v.mu.Lock()
	defer v.mu.Unlock()
	t := &vtimer{v: v, at: v.now.Add(max(d, 0)), f: f, index: -1}
	if v.closed {
		return t
	}
	v.timerSeq++
	t.seq = v.timerSeq
	heap.Push(&v.timers, t)
	return t
}

// Stop removes the timer if it is still pending and reports whether it did.
func (t *vtimer) Stop() bool {
	v := t.v
	v.mu.Lock()
	defer v.mu.Unlock()
	if t.index < 0 {
		return false
	}
	heap.Remove(&v.timers, t.index)
	return true
}

// timerHeap orders pending timers by deadline, then creation.
type timerHeap []*vtimer

func (h timerHeap) Len() int { return len(h) }

func (h timerHeap) Less(i, j int) bool {
	if !h[i].at.Equal(h[j].at) {
		return h[i].at.Before(h[j].at)
	}
	return h[i].seq < h[j].seq
}

func (h timerHeap) Swap(i, j int) {
	h[i], h[j] = h[j], h[i]
	h[i].index = i
	h[j].index = j
}

func (h *timerHeap) Push(x any) {
	t := x.(*vtimer)
	t.index = len(*h)
	*h = append(*h, t)
}

func (h *timerHeap) Pop() any {
	old := *h
	t := old[len(old)-1]
	old[len(old)-1] = nil
	*h = old[:len(old)-1]
	t.index = -1
	return t
}

// pop removes and returns the earliest timer.
func (h *timerHeap) pop() *vtimer { return heap.Pop(h).(*vtimer) }
