package testrouter

import (
	"runtime"

	"github.com/switchboard-wamp/switchboard/adapters/eventloop"
	"github.com/switchboard-wamp/switchboard/adapters/goroutine"
	"github.com/switchboard-wamp/switchboard/adapters/pool"
	"github.com/switchboard-wamp/switchboard/scheduler"
)

// Backend is one scheduling backend of the test matrix.
type Backend struct {
	Name string
	New  func() scheduler.AsyncSupport
}

// Backends lists every backend the end-to-end tests run on.
func Backends() []Backend {
	return []Backend{
		{"goroutine", func() scheduler.AsyncSupport { return goroutine.New(goroutine.Config{}) }},
		{"eventloop", func() scheduler.AsyncSupport { return eventloop.New(eventloop.Config{}) }},
		// At least 4 handler workers: a test handler may wait for a nested
		// call that needs a worker of its own, which would deadlock a
		// 1-CPU machine's single default worker (the pool's documented bound).
		{"pool", func() scheduler.AsyncSupport { return pool.New(pool.Config{Workers: max(4, runtime.GOMAXPROCS(0))}) }},
	}
}
