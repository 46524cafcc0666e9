package client

import (
	"context"
	"sync"

	"github.com/switchboard-wamp/switchboard/core/peer"
	"github.com/switchboard-wamp/switchboard/core/wamp"
)

// waiter carries the completions of one request from the session executor
// to the goroutine that made it. The queue is unbounded on purpose: it
// holds the progressive results of one call, which the caller consumes in
// order, and the executor must never block or drop one.
type waiter struct {
	mu    sync.Mutex
	queue []peer.Completion
	ready chan struct{} // signalled when queue becomes non-empty

	req wamp.ID // executor-only: the request ID the peer allocated
}

func newWaiter() *waiter { return &waiter{ready: make(chan struct{}, 1)} }

// complete queues c. Called on the executor; never blocks.
func (w *waiter) complete(_ *Session, c peer.Completion) {
	w.mu.Lock()
	w.queue = append(w.queue, c)
	w.mu.Unlock()
	select {
	case w.ready <- struct{}{}:
	default: // a wake-up is already pending; the value itself is queued
	}
}

// next returns the oldest queued completion, waiting for one until ctx is
// done.
func (w *waiter) next(ctx context.Context) (peer.Completion, error) {
	for {
		w.mu.Lock()
		if len(w.queue) > 0 {
			c := w.queue[0]
			w.queue[0] = peer.Completion{}
			w.queue = w.queue[1:]
			w.mu.Unlock()
			return c, nil
		}
		w.mu.Unlock()
		select {
		case <-w.ready:
		case <-ctx.Done():
			return peer.Completion{}, ctx.Err()
		}
	}
}
