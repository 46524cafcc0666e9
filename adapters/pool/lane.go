package pool

import (
	"sync"

	"github.com/switchboard-wamp/switchboard/adapters/internal/ring"
)

// lane is a FIFO of work items served by a fixed set of worker goroutines:
// a growable ring under a mutex, with a condition variable on which idle
// workers wait.
type lane[T any] struct {
	mu      sync.Mutex
	cond    sync.Cond
	items   ring.Ring[T]
	idle    int  // workers waiting in pop
	stopped bool // no more items will come; idle workers exit
}

// laneMin is the ring size a lane allocates first.
const laneMin = 16

// laneRetain is the ring size an empty lane keeps; a larger ring (left by a
// burst) is released.
const laneRetain = 1024

func newLane[T any]() *lane[T] {
	q := &lane[T]{}
	q.cond.L = &q.mu
	return q
}

// push appends v unless limit > 0 and limit items are already waiting; it
// reports whether v was queued.
func (q *lane[T]) push(v T, limit int) bool {
	q.mu.Lock()
	defer q.mu.Unlock()
	if limit > 0 && q.items.Len() >= limit {
		return false
	}
	q.items.Push(v, laneMin, 0)
	if q.idle > 0 {
		q.cond.Signal()
	}
	return true
}

// pop waits for an item and removes it. It reports false once the lane is
// stopped and empty: the worker should exit.
func (q *lane[T]) pop() (v T, ok bool) {
	q.mu.Lock()
	defer q.mu.Unlock()
	for q.items.Len() == 0 && !q.stopped {
		q.idle++
		q.cond.Wait()
		q.idle--
	}
	if q.items.Len() == 0 {
		return v, false
	}
	v = q.items.Pop()
	q.items.Release(laneRetain)
	return v, true
}

// popUnless is pop for a stand-in worker (WaitOutside): it reports false
// as soon as stop is closed, passing a wake-up it may have taken on to
// another idle worker.
func (q *lane[T]) popUnless(stop <-chan struct{}) (v T, ok bool) {
	q.mu.Lock()
	defer q.mu.Unlock()
	for {
		select {
		case <-stop:
			if q.items.Len() > 0 && q.idle > 0 {
				q.cond.Signal()
			}
			return v, false
		default:
		}
		if q.items.Len() > 0 {
			v = q.items.Pop()
			q.items.Release(laneRetain)
			return v, true
		}
		if q.stopped {
			return v, false
		}
		q.idle++
		q.cond.Wait()
		q.idle--
	}
}

// wake wakes every idle worker (a stand-in told to stop).
func (q *lane[T]) wake() {
	q.mu.Lock()
	q.cond.Broadcast()
	q.mu.Unlock()
}

// len reports the number of waiting items.
func (q *lane[T]) len() int {
	q.mu.Lock()
	defer q.mu.Unlock()
	return q.items.Len()
}

// stop wakes every worker; they exit once the lane is empty.
func (q *lane[T]) stop() {
	q.mu.Lock()
	defer q.mu.Unlock()
	q.stopped = true
	q.cond.Broadcast()
}
