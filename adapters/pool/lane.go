package pool

import "sync"

// lane is a FIFO of work items served by a fixed set of worker goroutines:
// a growable ring under a mutex, with a condition variable on which idle
// workers wait.
type lane[T any] struct {
	mu      sync.Mutex
	cond    sync.Cond
	ring    []T
	head, n int
	idle    int  // workers waiting in pop
	stopped bool // no more items will come; idle workers exit
}

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
	if limit > 0 && q.n >= limit {
		return false
	}
	if q.n == len(q.ring) {
		q.grow()
	}
	i := q.head + q.n
	if i >= len(q.ring) {
		i -= len(q.ring)
	}
	q.ring[i] = v
	q.n++
	if q.idle > 0 {
		q.cond.Signal()
	}
	return true
}

func (q *lane[T]) grow() {
	ring := make([]T, max(2*len(q.ring), 16))
	for i := range q.n {
		j := q.head + i
		if j >= len(q.ring) {
			j -= len(q.ring)
		}
		ring[i] = q.ring[j]
	}
	q.ring, q.head = ring, 0
}

// pop waits for an item and removes it. It reports false once the lane is
// stopped and empty: the worker should exit.
func (q *lane[T]) pop() (v T, ok bool) {
	q.mu.Lock()
	defer q.mu.Unlock()
	for q.n == 0 && !q.stopped {
		q.idle++
		q.cond.Wait()
		q.idle--
	}
	if q.n == 0 {
		return v, false
	}
	var zero T
	v, q.ring[q.head] = q.ring[q.head], zero
	q.head++
	if q.head == len(q.ring) {
		q.head = 0
	}
	q.n--
	if q.n == 0 && len(q.ring) > laneRetain {
		q.ring, q.head = nil, 0
	}
	return v, true
}

// len reports the number of waiting items.
func (q *lane[T]) len() int {
	q.mu.Lock()
	defer q.mu.Unlock()
	return q.n
}

// stop wakes every worker; they exit once the lane is empty.
func (q *lane[T]) stop() {
	q.mu.Lock()
	defer q.mu.Unlock()
	q.stopped = true
	q.cond.Broadcast()
}
