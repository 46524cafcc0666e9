package pool

import (
	"context"

	"github.com/switchboard-wamp/switchboard/adapters/internal/ctxlist"

	"github.com/switchboard-wamp/switchboard/scheduler"
)

// spawnTask is a queued or running Spawn call.
type spawnTask struct {
	node ctxlist.Node // the task's context
	f    func(context.Context)
}

// Spawn queues f to run on one of the Workers goroutines, with a context
// derived from ctx (nil means context.Background()) that is also cancelled,
// with cause scheduler.ErrClosed, when the pool closes. At most Workers
// spawned tasks run at once, whatever the number of sessions; the others
// wait in a FIFO queue of at most QueueMax tasks.
//
// Spawn never blocks: when QueueMax tasks are already waiting it returns
// ErrQueueFull (which wraps scheduler.ErrFull) at once, and the caller
// answers with an error rather than stalling its executor. It returns
// scheduler.ErrClosed after Close. A panic in f is recovered and logged.
// Safe from any goroutine, including from tasks.
func (p *Pool) Spawn(ctx context.Context, f func(context.Context)) error {
	if f == nil {
		panic("pool: Spawn(nil)")
	}
	if ctx == nil {
		ctx = context.Background()
	}
	if !p.inflight.Acquire() {
		return scheduler.ErrClosed
	}
	sp := &spawnTask{f: f}
	sp.node.Init(ctx)
	sp.node.SetValue(workerKey{}, p)
	p.mu.Lock()
	p.live.Add(&sp.node)
	closing := p.closing
	p.mu.Unlock()
	if !p.spawns.push(sp, p.queueMax) {
		p.mu.Lock()
		p.live.Remove(&sp.node)
		p.mu.Unlock()
		sp.node.Cancel(nil)
		p.inflight.Release()
		p.rejected.Add(1)
		return ErrQueueFull
	}
	if closing { // accepted just as Close began: cancel like the others
		sp.node.Cancel(scheduler.ErrClosed)
	}
	return nil
}

// spawnWorker runs spawned tasks until the pool stops.
func (p *Pool) spawnWorker() {
	normal := false
	defer func() {
		if normal {
			p.workers.Done()
			return
		}
		// A task called runtime.Goexit (t.FailNow in a handler, say): a new
		// worker takes this one's place (and its WaitGroup count).
		p.log.Error("pool: spawned task called runtime.Goexit; worker replaced")
		go p.spawnWorker()
	}()
	for {
		sp, ok := p.spawns.pop()
		if !ok {
			normal = true
			return
		}
		p.runSpawn(sp)
	}
}

func (p *Pool) runSpawn(sp *spawnTask) {
	n := p.running.Add(1)
	for {
		m := p.maxRunning.Load()
		if n <= m || p.maxRunning.CompareAndSwap(m, n) {
			break
		}
	}
	defer p.inflight.Release()
	defer p.endSpawn(sp)
	defer p.report.Recover("spawn", "")
	sp.f(&sp.node)
}

func (p *Pool) endSpawn(sp *spawnTask) {
	p.running.Add(-1)
	p.mu.Lock()
	p.live.Remove(&sp.node)
	p.mu.Unlock()
	sp.node.Cancel(nil)
}

// workerKey marks the context of a spawned task with its pool: WaitOutside
// knows the caller holds one of the pool's workers.
type workerKey struct{}

// WaitOutside implements scheduler.OutsideWaiter: while f waits, a
// stand-in worker runs queued tasks in the caller's place, so at most
// Workers tasks still run at once; when f returns, the caller waits for
// the stand-in's task in progress, if any, before it runs on. For a
// caller that is not a task of p (ctx does not come from one), it runs f.
func (p *Pool) WaitOutside(ctx context.Context, f func()) {
	if ctx.Value(workerKey{}) != p {
		f()
		return
	}
	p.running.Add(-1)
	stop, done := make(chan struct{}), make(chan struct{})
	p.workers.Add(1)
	go p.standIn(stop, done)
	defer func() {
		close(stop)
		p.spawns.wake()
		<-done
		p.running.Add(1)
	}()
	f()
}

// standIn runs spawned tasks for a worker whose task waits outside, until
// stop.
func (p *Pool) standIn(stop, done chan struct{}) {
	defer close(done)
	defer p.workers.Done()
	for {
		sp, ok := p.spawns.popUnless(stop)
		if !ok {
			return
		}
		p.runSpawn(sp)
	}
}
