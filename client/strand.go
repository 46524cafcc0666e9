package client

import (
	"context"
	"sync"

	"github.com/switchboard-wamp/switchboard/scheduler"
)

// blockingStrand is a serial executor whose tasks may block: it runs its
// queue, in order and one task at a time, as blocking work of the backend
// (scheduler.SpawnBlocking), so on an event loop the tasks run off the loop.
// Used for subscriptions whose handler is declared Blocking.
type blockingStrand struct {
	as  scheduler.AsyncSupport
	ctx context.Context

	mu      sync.Mutex
	queue   []func()
	running bool
}

// Post implements scheduler.Executor.
func (b *blockingStrand) Post(f func()) bool {
	b.mu.Lock()
	b.queue = append(b.queue, f)
	start := !b.running
	b.running = true
	b.mu.Unlock()
	if !start {
		return true
	}
	if err := scheduler.SpawnBlocking(b.as, b.ctx, func(context.Context) { b.drain() }); err != nil {
		b.mu.Lock()
		b.queue, b.running = nil, false
		b.mu.Unlock()
		return false
	}
	return true
}

// drain runs queued tasks until the queue is empty.
func (b *blockingStrand) drain() {
	for {
		b.mu.Lock()
		if len(b.queue) == 0 {
			b.running = false
			b.mu.Unlock()
			return
		}
		f := b.queue[0]
		b.queue[0] = nil
		b.queue = b.queue[1:]
		b.mu.Unlock()
		f()
	}
}
