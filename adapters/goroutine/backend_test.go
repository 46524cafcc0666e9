package goroutine_test

import (
	"context"
	"errors"
	"log/slog"
	"runtime"
	"strings"
	"sync"
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
	deadline := time.Now().Add(testkit.Guard)
	for runtime.NumGoroutine() > before+margin && time.Now().Before(deadline) {
		time.Sleep(time.Millisecond)
	}
	if got := runtime.NumGoroutine(); got > before+margin {
		t.Fatalf("%d idle executors hold %d goroutines (before: %d)", n, got-before, before)
	}
	runtime.KeepAlive(executors)
}

func TestCloseDrainsAcceptedWork(t *testing.T) {
	b := newBackend(t)
	ex := b.NewExecutor("drain")
	release := testkit.Block(t, ex)
	const n = 100
	var ran atomic.Int64
	var refusedInside atomic.Bool
	for range n {
		if !ex.Post(func() {
			ran.Add(1)
			if ex.Post(func() { ran.Add(1000) }) {
				return
			}
			refusedInside.Store(true)
		}) {
			t.Fatal("Post on an open backend returned false")
		}
	}
	closed := make(chan struct{})
	go func() { b.Close(); close(closed) }()
	for !isClosed(b) {
		runtime.Gosched()
	}
	if ex.Post(func() { ran.Add(1000) }) {
		t.Error("Post after Close began returned true")
	}
	select {
	case <-closed:
		t.Fatal("Close returned while a task was still running")
	default:
	}
	release()
	testkit.Wait(t, closed, "Close")
	if got := ran.Load(); got != n {
		t.Fatalf("after Close, %d units ran, want %d (accepted tasks only)", got, n)
	}
	if !refusedInside.Load() {
		t.Fatal("Post from a task drained during Close was accepted")
	}
}

// isClosed reports whether Close has begun, observed through Spawn.
func isClosed(b *goroutine.Backend) bool {
	return b.Spawn(context.Background(), func(context.Context) {}) != nil
}

func TestAcceptedPostAlwaysRunsDespiteClose(t *testing.T) {
	ignore := goleak.IgnoreCurrent()
	defer goleak.VerifyNone(t, ignore)
	for round := range 20 {
		b := goroutine.New(goroutine.Config{Logger: testkit.Logger(t)})
		executors := []scheduler.Executor{b.NewExecutor("a"), b.NewExecutor("b")}
		var accepted, ran atomic.Int64
		var wg sync.WaitGroup
		for p := range 4 {
			wg.Go(func() {
				ex := executors[p%len(executors)]
				for ex.Post(func() { ran.Add(1) }) {
					accepted.Add(1)
				}
			})
		}
		time.Sleep(time.Millisecond)
		b.Close()
		wg.Wait()
		if a, r := accepted.Load(), ran.Load(); a != r {
			t.Fatalf("round %d: %d Posts accepted, %d ran", round, a, r)
		}
	}
}

func TestSpawnCauseIsErrClosed(t *testing.T) {
	b := newBackend(t)
	var cause atomic.Value
	started := make(chan struct{})
	err := b.Spawn(context.Background(), func(ctx context.Context) {
		close(started)
		<-ctx.Done()
		cause.Store(context.Cause(ctx))
	})
	if err != nil {
		t.Fatalf("Spawn: %v", err)
	}
	testkit.Wait(t, started, "task start")
	b.Close()
	if c, _ := cause.Load().(error); !errors.Is(c, scheduler.ErrClosed) {
		t.Fatalf("ctx cause after Close %v, want ErrClosed", c)
	}
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
