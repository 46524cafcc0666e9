// Package taskq provides Queue, the run queue under every executor of the
// scheduling backends (the goroutine backend's actors, the pool's strands,
// the event loop's shared run queue): producers append under their
// owner's lock, and the one consumer takes the whole queue at once as its
// next batch, so the lock stays off the per-task path on both sides.
//
// Two buffers alternate while the queue is busy (the finished batch
// becomes the next queue), so a steady stream allocates nothing; once the
// queue runs dry, buffers larger than the owner's retain limit are
// released, so an idle executor stays small.
//
// Usage, by an owner guarding the queue with mu:
//
//	mu.Lock(); q.Push(task); mu.Unlock()           // producers
//	for {                                          // the consumer
//		for t, ok := q.Next(); ok; t, ok = q.Next() { run(t) }
//		mu.Lock(); more := q.Take(retain); mu.Unlock()
//		if !more { break }
//	}
package taskq

// Queue is a FIFO of tasks in two parts: the queue proper, which producers
// append to, guarded by the owner's lock; and the batch being run, owned by
// the consumer. The zero value is empty.
type Queue[T any] struct {
	// Guarded by the owner's lock.
	q     []T // pushed, not yet taken
	spare []T // an empty buffer to swap in for q

	// Owned by the consumer.
	batch []T // taken from q, being run
	next  int // index in batch of the next task
}

// Push appends t to the queue and returns how many tasks the queue holds
// now (1: it was empty). The owner's lock is held.
func (q *Queue[T]) Push(t T) (queued int) {
	q.q = append(q.q, t)
	return len(q.q)
}

// Queued reports how many tasks are pushed and not yet taken. The owner's
// lock is held.
func (q *Queue[T]) Queued() int { return len(q.q) }

// Next returns the next task of the current batch and clears its slot; ok
// is false when the batch is done. Consumer only.
func (q *Queue[T]) Next() (t T, ok bool) {
	if q.next >= len(q.batch) {
		return t, false
	}
	var zero T
	t, q.batch[q.next] = q.batch[q.next], zero
	q.next++
	return t, true
}

// Pending reports whether the current batch has tasks left. Consumer only.
func (q *Queue[T]) Pending() bool { return q.next < len(q.batch) }

// Take ends the current batch and makes the queued tasks the next one,
// recycling the finished batch's buffer as the new queue (or keeping it as
// the spare). It reports false when nothing is queued; the queue then keeps
// only buffers of at most retain slots. Called by the consumer with the
// owner's lock held.
func (q *Queue[T]) Take(retain int) bool {
	done := q.batch[:0]
	q.batch, q.next = nil, 0
	if len(q.q) == 0 {
		if cap(q.q) > retain {
			q.q = nil
		}
		if q.spare == nil && cap(done) <= retain {
			q.spare = done
		}
		return false
	}
	q.batch = q.q
	if q.spare != nil {
		q.q, q.spare = q.spare, nil
	} else {
		q.q = done
	}
	return true
}
