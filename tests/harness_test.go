// Package tests holds Switchboard's cross-package tests: every end-to-end
// scenario runs as subtests over the backend matrix (forEachBackend), against
// a real router on a loopback WebSocket.
package tests

import (
	"testing"

	"go.uber.org/goleak"

	"github.com/switchboard-wamp/switchboard/tests/testrouter"
)

// backend is one scheduling backend of the matrix.
type backend = testrouter.Backend

func backends() []backend { return testrouter.Backends() }

// forEachBackend runs f as a subtest on every backend, checking for leaked
// goroutines after each.
func forEachBackend(t *testing.T, f func(t *testing.T, b backend)) {
	for _, b := range backends() {
		t.Run(b.Name, func(t *testing.T) {
			// Registered first, so it runs after every other cleanup.
			ignore := goleak.IgnoreCurrent()
			t.Cleanup(func() { goleak.VerifyNone(t, ignore) })
			f(t, b)
		})
	}
}

// startRouter starts a router on a fresh instance of b's backend.
func startRouter(t *testing.T, b backend) *testrouter.Router {
	t.Helper()
	return testrouter.Start(t, b.New())
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}
