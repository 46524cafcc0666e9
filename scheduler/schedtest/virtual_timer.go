package schedtest

import (
	"container/heap"
	"time"

	"github.com/switchboard-wamp/switchboard/internal/timerheap"
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

// Deadline implements timerheap.Timer.
func (t *vtimer) Deadline() (time.Time, uint64) { return t.at, t.seq }

// SetIndex implements timerheap.Timer.
func (t *vtimer) SetIndex(i int) { t.index = i }

// pop removes and returns the earliest timer.
func popTimer(h *timerheap.Heap[*vtimer]) *vtimer { return heap.Pop(h).(*vtimer) }
