package goroutine_test

import (
	"testing"

	"github.com/switchboard-wamp/switchboard/adapters/internal/testkit"
)

// The mailbox's own mechanics (bounds, order, batching, waking) are tested
// in adapters/internal/mailbox; these tests check how the backend drives it.

// TestCloseDeliversQueuedValues: values queued before Close are delivered
// although the drain can no longer re-post itself, a waiting Put is woken
// with ErrClosed, and a later Put is refused.
func TestCloseDeliversQueuedValues(t *testing.T) {
	testkit.CloseDeliversQueuedValues(t, newBackend(t))
}
