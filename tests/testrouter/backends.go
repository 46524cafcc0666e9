package testrouter

import (
	"github.com/switchboard-wamp/switchboard/adapters/goroutine"
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
	}
}
