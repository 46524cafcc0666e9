package pool

import (
	"sync"

	"github.com/switchboard-wamp/switchboard/adapters/internal/taskq"
	"github.com/switchboard-wamp/switchboard/scheduler"
)

// strand is an executor multiplexed onto the executor workers: a FIFO of
// tasks plus a "scheduled" flag. While it has work, exactly one token for
// it is in the ready lane or on a worker, so it never runs on two workers
// at once; an idle strand owns no goroutine and holds no lane slot.
type strand struct {
	p    *Pool
	name string

	mu        sync.Mutex
	scheduled bool // a token is in the lane or on a worker (and holds a Pool slot)
	// tasks: the queue is guarded by mu, the batch being run is owned by
	// the worker running the strand's turn.
	tasks taskq.Queue[func()]
}

// NewExecutor returns a serial executor (a strand). name identifies it in
// panic logs. After Close it returns an executor whose Post reports false.
func (p *Pool) NewExecutor(name string) scheduler.Executor {
	return &strand{p: p, name: name}
}

// Post enqueues f and, if the executor was idle, puts it in the ready lane
// for an executor worker. It never blocks, and executor tasks are not
// counted against QueueMax: the ready lane holds at most one token per
// executor with work, so it is bounded by the number of executors. It
// returns false once the pool is closed; a task accepted (true) always
// runs, even if Close follows. f must not be nil. Safe from any goroutine,
// including from a task of this executor, in which case f runs after the
// current task returns.
func (s *strand) Post(f func()) bool {
	if f == nil {
		panic("pool: Post(nil)")
	}
	p := s.p
	if p.closed.Load() {
		return false
	}
	s.mu.Lock()
	if s.scheduled {
		s.tasks.Push(f)
		s.mu.Unlock()
		return true
	}
	if !p.inflight.Acquire() {
		s.mu.Unlock()
		return false
	}
	s.tasks.Push(f)
	s.scheduled = true
	s.mu.Unlock()
	p.strands.push(s, 0)
	return true
}

// strandWorker runs strand turns until the pool stops.
func (p *Pool) strandWorker() {
	var cur *strand // the strand whose task is running
	normal := false
	defer func() {
		if normal {
			p.workers.Done()
			return
		}
		// A task called runtime.Goexit. The strand is still scheduled: put
		// it back for its remaining tasks, and let a new worker take this
		// one's place (and its WaitGroup count).
		p.log.Error("pool: task called runtime.Goexit; worker replaced", "executor", cur.name)
		p.strands.push(cur, 0)
		go p.strandWorker()
	}()
	for {
		s, ok := p.strands.pop()
		if !ok {
			normal = true
			return
		}
		cur = s
		s.turn()
	}
}

// turn runs up to turnMax tasks, then re-queues the strand behind the
// other ready ones if it still has work, or marks it idle.
func (s *strand) turn() {
	for ran := 0; ran < turnMax; {
		if !s.more() {
			s.p.inflight.Release()
			return
		}
		ran += s.runSome(turnMax - ran)
	}
	if !s.more() {
		s.p.inflight.Release()
		return
	}
	s.p.strands.push(s, 0)
}

// more reports whether the strand has a task to run, taking the queue as
// the next batch when the current one is done. When it has none it marks
// the strand idle (the caller then releases its slot); an idle strand
// keeps only buffers of at most strandRetain slots.
func (s *strand) more() bool {
	if s.tasks.Pending() {
		return true
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.tasks.Take(strandRetain) {
		s.scheduled = false
		return false
	}
	return true
}

// runSome runs up to limit tasks of the batch and returns how many it
// started; a panicking task is recovered, logged and counted as run.
func (s *strand) runSome(limit int) (ran int) {
	defer s.p.report.Recover("executor", s.name)
	for ran < limit {
		f, ok := s.tasks.Next()
		if !ok {
			break
		}
		ran++
		f()
	}
	return ran
}

// TryClaim implements scheduler.ExecutorClaimer: an idle strand becomes
// the caller's to run until Release, holding a Pool slot as a scheduled
// strand does; tasks posted meanwhile queue. The caller's goroutine is
// not one of the pool's: a claim adds none.
func (s *strand) TryClaim() bool {
	if s.p.closed.Load() {
		return false
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.scheduled || !s.p.inflight.Acquire() {
		return false
	}
	s.scheduled = true
	return true
}

// Release implements scheduler.ExecutorClaimer: a strand given tasks
// during the claim goes to the ready lane for a worker, which inherits
// the claim's slot; with none, the strand is idle again.
func (s *strand) Release() {
	if s.more() {
		s.p.strands.push(s, 0)
		return
	}
	s.p.inflight.Release()
}
