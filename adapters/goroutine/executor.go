package goroutine

import (
	"sync"

	"github.com/switchboard-wamp/switchboard/adapters/internal/taskq"
	"github.com/switchboard-wamp/switchboard/scheduler"
)

// executor is an actor: a FIFO of tasks drained by one goroutine that exists
// only while the FIFO is non-empty. An idle executor owns no goroutine, only
// this struct and up to two small reusable buffers.
type executor struct {
	b    *Backend
	name string

	mu      sync.Mutex
	running bool // a drainer goroutine exists (and holds a Backend slot)
	// tasks: the queue is guarded by mu, the batch being run is owned by
	// the drainer goroutine.
	tasks taskq.Queue[func()]
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
		e.tasks.Push(f)
		e.mu.Unlock()
		return true
	}
	if !e.b.inflight.Acquire() {
		e.mu.Unlock()
		return false
	}
	e.tasks.Push(f)
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

// take makes the queued tasks the next batch (two buffers alternate while
// the executor is busy). It reports false, and marks the executor idle,
// when there is nothing left; an idle executor keeps only buffers of at
// most retain slots.
func (e *executor) take() bool {
	e.mu.Lock()
	defer e.mu.Unlock()
	if !e.tasks.Take(e.b.retain) {
		e.running = false
		return false
	}
	return true
}

// runBatch runs the rest of the batch, surviving panics: runSome stops at
// a panic and the loop resumes after the panicking task.
func (e *executor) runBatch() {
	for e.tasks.Pending() {
		e.runSome()
	}
}

func (e *executor) runSome() {
	defer e.b.report.Recover("executor", e.name)
	for f, ok := e.tasks.Next(); ok; f, ok = e.tasks.Next() {
		f()
	}
}
