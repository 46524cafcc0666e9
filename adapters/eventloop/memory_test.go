package eventloop_test

import (
	"testing"

	"github.com/switchboard-wamp/switchboard/adapters/eventloop"
	"github.com/switchboard-wamp/switchboard/adapters/internal/testkit"
)

// TestIdleSessions: 10,000 idle sessions (an executor and a 1024-slot
// mailbox that have each handled one item) own no goroutine and stay far
// below the 10 KiB per-session budget.
func TestIdleSessions(t *testing.T) {
	testkit.IdleSessions(t, newLoop(t, eventloop.Config{}), true)
}
