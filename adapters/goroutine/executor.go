package goroutine

import (
	"sync"

	"github.com/switchboard-wamp/switchboard/scheduler"
)

// executor is an actor: a FIFO of tasks drained by one goroutine that exists
// only while the FIFO is non-empty. An idle executor owns no goroutine, only
// this struct and up to two small reusable buffers.
type executor struct {
	b    *Backend
	name string

	mu      sync.Mutex
	q       []func() // accepted tasks not yet taken by the drainer
	spare   []func() // an empty buffer to swap in for q
	running bool     // a drainer goroutine exists (and holds a Backend slot)

	// Owned by the drainer goroutine only.
	batch []func() // tasks taken from q, being run
	next  int      // index in batch of the next task to run
}

// NewExecutor returns a serial executor. name identifies it in panic logs.
// After Close it returns an executor whose Post reports false.
func (b *Backend) NewExecutor(name string) scheduler.Executor {
	return &executor{b: b, name: name}
}

// Post enqueues f and starts a drainer goroutine if none is running. It never
// blocks on the drainer and returns false once the backend is closed. A task
// accepted (true) always runs, even if Close follows. f must not be nil.
// Safe from any goroutine, including from a task of this executor, in which
// case f runs after the current task returns.
func (e *executor) Post(f func()) bool {
	if f == nil {
		panic("goroutine: Post(nil)")
	}
	if e.b.closed.Load() {
		return false
	}
	e.mu.Lock()
	if e.running {
		e.q = append(e.q, f)
		e.mu.Unlock()
		return true
	}
	if !e.b.inflight.Acquire() {
		e.mu.Unlock()
		return false
	}
	e.q = append(e.q, f)
	e.running = true
	e.mu.Unlock()
	go e.drain()
	return true
}

// drain runs queued tasks batch by batch until the queue is empty, then
// exits. Taking the whole queue per lock keeps the lock off the per-task
// path for producers and consumer alike.
func (e *executor) drain() {
	finished := false
	defer func() {
		if finished {
			e.b.inflight.Release()
			return
		}
		// A task called runtime.Goexit (t.FailNow in a handler, say). The
		// executor must survive it: a new drainer inherits this one's slot
		// and the rest of the batch.
		e.b.log.Error("goroutine: task called runtime.Goexit; executor continues", "executor", e.name)
		go e.drain()
	}()
	for {
		e.runBatch()
		if !e.take() {
			finished = true
			return
		}
	}
}

// take swaps the queue for the next batch, recycling the finished batch as
// the new queue (two buffers alternate while the executor is busy). It
// reports false, and marks the executor idle, when there is nothing left; an
// idle executor keeps only buffers of at most retain slots.
func (e *executor) take() bool {
	done := e.batch[:0]
	e.batch, e.next = nil, 0
	e.mu.Lock()
	defer e.mu.Unlock()
	if len(e.q) == 0 {
		e.running = false
		if cap(e.q) > e.b.retain {
			e.q = nil
		}
		if e.spare == nil && cap(done) <= e.b.retain {
			e.spare = done
		}
		return false
	}
	e.batch = e.q
	if e.spare != nil {
		e.q, e.spare = e.spare, nil
	} else {
		e.q = done
	}
	return true
}

// runBatch runs batch[next:], surviving panics: runSome stops at a panic and
// the loop resumes after the panicking task.
func (e *executor) runBatch() {
	for e.next < len(e.batch) {
		e.runSome()
	}
}

func (e *executor) runSome() {
	defer e.b.report.Recover("executor", e.name)
	for e.next < len(e.batch) {
		f := e.batch[e.next]
		e.batch[e.next] = nil
		e.next++
		f()
	}
}
