package testrouter

import (
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
		{"pool", func() scheduler.AsyncSupport { return pool.New(pool.Config{}) }},
	}
}
