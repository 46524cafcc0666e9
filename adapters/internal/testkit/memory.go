package testkit

import (
	"runtime"
	"sync/atomic"
	"testing"

	"github.com/switchboard-wamp/switchboard/scheduler"
)

// IdleSessions runs 10,000 idle sessions on as (an executor and a
// 1024-slot mailbox that have each handled one item) and checks that they
// stay far below the 10 KiB per-session budget and, with ownNoGoroutine,
// that they hold no goroutine once idle. It logs the cost per session.
func IdleSessions(t *testing.T, as scheduler.AsyncSupport, ownNoGoroutine bool) {
	const n = 10_000
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
		ex := as.NewExecutor("session")
		mb := as.NewMailbox(ex, 1024, func(any) {
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
	Wait(t, all, "deliveries")
	runtime.GC()
	runtime.ReadMemStats(&after)
	if g := runtime.NumGoroutine(); ownNoGoroutine && g > goroutines+2 {
		t.Errorf("%d idle sessions hold %d goroutines", n, g-goroutines)
	}
	perSession := (int64(after.HeapAlloc) - int64(before.HeapAlloc)) / n
	t.Logf("idle executor + mailbox: ~%d bytes per session (heap delta over %d sessions)", perSession, n)
	if perSession > 10<<10 {
		t.Fatalf("idle session costs %d bytes, budget 10 KiB", perSession)
	}
	runtime.KeepAlive(sessions)
}
