package pool

import (
	"context"

	"github.com/switchboard-wamp/switchboard/scheduler"
)

// ctxNode is an entry of a ctxList: the cancel function of a spawned task,
// which Close must cancel.
type ctxNode struct {
	prev, next *ctxNode
	cancel     context.CancelCauseFunc
}

// ctxList is an intrusive doubly linked list of ctxNodes, guarded by
// Pool.mu: O(1) insert and removal without a map.
type ctxList struct{ head *ctxNode }

func (c *ctxList) add(n *ctxNode) {
	n.next = c.head
	if c.head != nil {
		c.head.prev = n
	}
	c.head = n
}

func (c *ctxList) remove(n *ctxNode) {
	if n.prev != nil {
		n.prev.next = n.next
	} else if c.head == n {
		c.head = n.next
	}
	if n.next != nil {
		n.next.prev = n.prev
	}
	n.prev, n.next = nil, nil
}

func (c *ctxList) cancels() []context.CancelCauseFunc {
	var out []context.CancelCauseFunc
	for n := c.head; n != nil; n = n.next {
		out = append(out, n.cancel)
	}
	return out
}

// spawnTask is a queued or running Spawn call.
type spawnTask struct {
	node ctxNode
	ctx  context.Context
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
	if !p.acquire() {
		return scheduler.ErrClosed
	}
	sp := &spawnTask{f: f}
	sp.ctx, sp.node.cancel = context.WithCancelCause(ctx)
	p.mu.Lock()
	p.live.add(&sp.node)
	closing := p.closing
	p.mu.Unlock()
	if !p.spawns.push(sp, p.queueMax) {
		p.mu.Lock()
		p.live.remove(&sp.node)
		p.mu.Unlock()
		sp.node.cancel(nil)
		p.release()
		p.rejected.Add(1)
		return ErrQueueFull
	}
	if closing { // accepted just as Close began: cancel like the others
		sp.node.cancel(scheduler.ErrClosed)
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
	defer p.release()
	defer p.endSpawn(sp)
	defer p.recoverPanic("spawn", "")
	sp.f(sp.ctx)
}

func (p *Pool) endSpawn(sp *spawnTask) {
	p.running.Add(-1)
	p.mu.Lock()
	p.live.remove(&sp.node)
	p.mu.Unlock()
	sp.node.cancel(nil)
}
