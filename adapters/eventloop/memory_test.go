package eventloop_test

import (
	"runtime"
	"sync/atomic"
	"testing"

	"github.com/switchboard-wamp/switchboard/adapters/eventloop"
	"github.com/switchboard-wamp/switchboard/scheduler"
)

// TestIdleSessions: 10,000 idle sessions (an executor and a 1024-slot
// mailbox that have each handled one item) own no goroutine and stay far
// below the 10 KiB per-session budget.
func TestIdleSessions(t *testing.T) {
	const n = 10_000
	be := newLoop(t, eventloop.Config{})
	type session struct {
		ex scheduler.Executor
		mb scheduler.Mailbox
	}
	sessions := make([]session, n)
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	goroutines := runtime.NumGoroutine()
	var delivered atomic.Int64
	all := make(chan struct{})
	for i := range sessions {
		ex := be.NewExecutor("session")
		mb := be.NewMailbox(ex, 1024, func(any) {
			if delivered.Add(1) == n {
				close(all)
			}
		})
		ex.Post(func() {})
		if err := mb.TryPut(1); err != nil {
			t.Fatalf("TryPut: %v", err)
		}
		sessions[i] = session{ex, mb}
	}
	wait(t, all, "deliveries")
	runtime.GC()
	runtime.ReadMemStats(&after)
	if g := runtime.NumGoroutine(); g > goroutines+2 {
		t.Errorf("%d idle sessions hold %d goroutines", n, g-goroutines)
	}
	perSession := (int64(after.HeapAlloc) - int64(before.HeapAlloc)) / n
	t.Logf("idle executor + mailbox: ~%d bytes per session (heap delta over %d sessions)", perSession, n)
	if perSession > 10<<10 {
		t.Fatalf("idle session costs %d bytes, budget 10 KiB", perSession)
	}
	runtime.KeepAlive(sessions)
}
