// Package testwait is the tests' one way to wait for a condition: poll it
// until it holds, failing the test once a deadline has passed. Each test
// package wraps it with its own deadline. The poll interval only bounds
// how soon a condition that already holds is seen; no outcome depends on
// it.
package testwait

import (
	"testing"
	"time"
)

// pollInterval is how often Until looks at the condition.
const pollInterval = time.Millisecond

// Until polls cond until it holds, or fails t once guard has passed.
func Until(t testing.TB, what string, guard time.Duration, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(guard)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %v waiting for %s", guard, what)
		}
		time.Sleep(pollInterval)
	}
}
