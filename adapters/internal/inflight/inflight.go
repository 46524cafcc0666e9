// Package inflight provides Gate, the closing gate of the goroutine and
// pool backends: a count of work in flight (running executor drainers,
// queued or running spawned tasks, running timer callbacks) that refuses
// new work once the backend closes, and reports when the last unit of
// work has finished.
//
// Usage, inside a backend:
//
//	if !b.inflight.Acquire() {
//		return scheduler.ErrClosed
//	}
//	go func() { defer b.inflight.Release(); f() }()
//	// Close:
//	b.inflight.Close()
//	<-b.inflight.Idle()
package inflight

import "sync/atomic"

// closedBit marks state once Close has begun; the low bits count work in
// flight.
const closedBit = int64(1) << 62

// Gate counts work in flight and closes to new work. Safe for concurrent
// use from any goroutine.
type Gate struct {
	state atomic.Int64
	idle  chan struct{} // closed when the gate is closed and nothing is in flight
}

// New returns an open Gate with nothing in flight.
func New() *Gate { return &Gate{idle: make(chan struct{})} }

// Acquire registers one unit of work in flight; it reports false, and
// registers nothing, once Close has begun.
func (g *Gate) Acquire() bool {
	for {
		s := g.state.Load()
		if s&closedBit != 0 {
			return false
		}
		if g.state.CompareAndSwap(s, s+1) {
			return true
		}
	}
}

// Release ends one unit of work registered by Acquire; the last one after
// Close closes Idle.
func (g *Gate) Release() {
	if g.state.Add(-1) == closedBit {
		close(g.idle)
	}
}

// Close refuses new work: Acquire reports false from now on. Idle is closed
// at once if nothing is in flight, else by the last Release. Idempotent.
func (g *Gate) Close() {
	for {
		s := g.state.Load()
		if s&closedBit != 0 {
			return
		}
		if g.state.CompareAndSwap(s, s|closedBit) {
			if s == 0 {
				close(g.idle)
			}
			return
		}
	}
}

// Idle returns a channel closed once Close has begun and no work is in
// flight.
func (g *Gate) Idle() <-chan struct{} { return g.idle }
