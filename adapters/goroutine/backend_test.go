package goroutine_test

import (
	"context"
	"fmt"
	"log/slog"
	"runtime"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/switchboard-wamp/switchboard/adapters/goroutine"
	"github.com/switchboard-wamp/switchboard/adapters/internal/testkit"
	"github.com/switchboard-wamp/switchboard/scheduler"
)

func newBackend(t *testing.T) *goroutine.Backend {
	t.Helper()
	ignore := goleak.IgnoreCurrent()
	b := goroutine.New(goroutine.Config{Logger: testkit.Logger(t)})
	t.Cleanup(func() {
		if err := b.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
		goleak.VerifyNone(t, ignore)
	})
	return b
}

func TestIdleExecutorsOwnNoGoroutine(t *testing.T) {
	const n = 10_000
	b := newBackend(t)
	before := runtime.NumGoroutine()
	var ran atomic.Int64
	all := make(chan struct{})
	executors := make([]scheduler.Executor, n)
	for i := range executors {
		executors[i] = b.NewExecutor("idle")
		executors[i].Post(func() {
			if ran.Add(1) == n {
				close(all)
			}
		})
	}
	testkit.Wait(t, all, "one task per executor")
	// Drainers exit just after their last task; give them the time to.
	const margin = 5
	testkit.Eventually(t, fmt.Sprintf("%d idle executors to hold at most %d goroutines (before: %d)", n, margin, before),
		func() bool { return runtime.NumGoroutine() <= before+margin })
	runtime.KeepAlive(executors)
}

func TestCloseDrainsAcceptedWork(t *testing.T) {
	testkit.CloseDrainsAcceptedWork(t, newBackend(t))
}

func TestAcceptedPostAlwaysRunsDespiteClose(t *testing.T) {
	ignore := goleak.IgnoreCurrent()
	defer goleak.VerifyNone(t, ignore)
	testkit.AcceptedPostsRunDespiteClose(t, func() scheduler.AsyncSupport {
		return goroutine.New(goroutine.Config{Logger: testkit.Logger(t)})
	})
}

func TestSpawnCauseIsErrClosed(t *testing.T) {
	testkit.SpawnCauseIsErrClosed(t, newBackend(t))
}

func TestCloseWaitsForRunningTimerCallback(t *testing.T) {
	b := newBackend(t)
	started := make(chan struct{})
	var finished atomic.Bool
	b.AfterFunc(0, func() {
		close(started)
		time.Sleep(20 * time.Millisecond)
		finished.Store(true)
	})
	testkit.Wait(t, started, "timer callback")
	b.Close()
	if !finished.Load() {
		t.Fatal("Close returned before a running timer callback finished")
	}
}

func TestGoexitInTaskKeepsExecutor(t *testing.T) {
	b := newBackend(t)
	ex := b.NewExecutor("goexit")
	var log []string // executor-confined
	done := make(chan struct{})
	ex.Post(func() { log = append(log, "a") })
	ex.Post(func() { runtime.Goexit() })
	ex.Post(func() { log = append(log, "b"); close(done) })
	testkit.Wait(t, done, "task after Goexit")
	again := make(chan struct{})
	ex.Post(func() { log = append(log, "c"); close(again) })
	testkit.Wait(t, again, "later task")
	if got := strings.Join(log, ""); got != "abc" {
		t.Fatalf("ran %q, want %q", got, "abc")
	}
}

func TestPanicIsLoggedWithContext(t *testing.T) {
	logs := &testkit.Captured{}
	b := goroutine.New(goroutine.Config{Logger: slog.New(logs)})
	ex := b.NewExecutor("realm-7")
	ex.Post(func() { panic("boom-42") })
	mb := b.NewMailbox(ex, 1, func(any) { panic("mailbox-boom") })
	mb.TryPut(1)
	b.Spawn(context.Background(), func(context.Context) { panic("spawn-boom") })
	b.Close()
	testkit.CheckPanicLogs(t, logs, []testkit.PanicLog{
		{Kind: "executor", Executor: "realm-7", Panic: "boom-42"},
		{Kind: "mailbox", Executor: "realm-7", Panic: "mailbox-boom"},
		{Kind: "spawn", Panic: "spawn-boom"},
	})
}
