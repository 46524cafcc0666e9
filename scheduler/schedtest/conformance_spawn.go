package schedtest

import (
	"context"
	"errors"
	"sync/atomic"
	"time"

	"github.com/switchboard-wamp/switchboard/scheduler"
)

func spawnCases() []testCase {
	return []testCase{
		{name: "spawn/runs_with_parent_values", run: testSpawnRuns},
		{name: "spawn/parent_cancel_reaches_task", run: testSpawnParentCancel},
		{name: "spawn/parent_cancel_while_running", realOnly: true, run: testSpawnCancelWhileRunning},
		{name: "spawn/from_executor_task", run: testSpawnFromTask},
	}
}

func closeCases() []testCase {
	return []testCase{
		{name: "close/cancels_spawned_and_waits", run: testCloseCancelsAndWaits},
		{name: "close/rejects_new_work", run: testCloseRejects},
		{name: "close/pending_timer_silent_after_close", run: testClosePendingTimer},
	}
}

type ctxKey struct{}

// waitDone reports whether ctx ends within guardTimeout. Tasks use it in
// place of a bare <-ctx.Done() so that a broken backend fails the test
// instead of hanging it.
func waitDone(ctx context.Context) bool {
	select {
	case <-ctx.Done():
		return true
	case <-time.After(guardTimeout):
		return false
	}
}

// testSpawnRuns: the task runs with a context derived from the caller's.
func testSpawnRuns(e *env) {
	parent := context.WithValue(context.Background(), ctxKey{}, "v")
	done := make(chan struct{})
	var value atomic.Value
	err := e.Backend.Spawn(parent, func(ctx context.Context) {
		value.Store(ctx.Value(ctxKey{}))
		close(done)
	})
	if err != nil {
		e.t.Fatalf("Spawn: %v", err)
	}
	e.await(done, "spawned task")
	if v := value.Load(); v != "v" {
		e.t.Fatalf("task ctx value %v, want the parent's %q", v, "v")
	}
}

// testSpawnParentCancel: cancelling the caller's ctx is visible to the task.
func testSpawnParentCancel(e *env) {
	parent, cancel := context.WithCancel(context.Background())
	var observed atomic.Bool
	done := make(chan struct{})
	err := e.Backend.Spawn(parent, func(ctx context.Context) {
		observed.Store(waitDone(ctx))
		close(done)
	})
	if err != nil {
		e.t.Fatalf("Spawn: %v", err)
	}
	cancel()
	e.await(done, "spawned task")
	if !observed.Load() {
		e.t.Fatal("task never saw its ctx cancelled after the parent was")
	}
}

// testSpawnCancelWhileRunning: cancellation reaches a task that is already
// running and blocked on its ctx.
func testSpawnCancelWhileRunning(e *env) {
	parent, cancel := context.WithCancel(context.Background())
	defer cancel()
	started, done := make(chan struct{}), make(chan struct{})
	var observed atomic.Bool
	err := e.Backend.Spawn(parent, func(ctx context.Context) {
		close(started)
		observed.Store(waitDone(ctx))
		close(done)
	})
	if err != nil {
		e.t.Fatalf("Spawn: %v", err)
	}
	e.await(started, "task start")
	cancel()
	e.await(done, "task end")
	if !observed.Load() {
		e.t.Fatal("running task never saw its ctx cancelled")
	}
}

// testSpawnFromTask: executor tasks spawn user work (the engine's pattern).
func testSpawnFromTask(e *env) {
	ex := e.Backend.NewExecutor("spawner")
	done := make(chan struct{})
	var spawnErr atomic.Value
	ex.Post(func() {
		if err := e.Backend.Spawn(context.Background(), func(context.Context) { close(done) }); err != nil {
			spawnErr.Store(err)
			close(done)
		}
	})
	e.await(done, "task spawned from an executor")
	if err := spawnErr.Load(); err != nil {
		e.t.Fatalf("Spawn from an executor task: %v", err)
	}
}

// testCloseCancelsAndWaits: Close cancels spawned tasks' contexts and returns
// only after they have returned.
func testCloseCancelsAndWaits(e *env) {
	const tasks = 4
	var observed, finished atomic.Int64
	for range tasks {
		err := e.Backend.Spawn(context.Background(), func(ctx context.Context) {
			if waitDone(ctx) {
				observed.Add(1)
			}
			if !e.Virtual {
				time.Sleep(10 * time.Millisecond) // work after cancellation that Close must wait for
			}
			finished.Add(1)
		})
		if err != nil {
			e.t.Fatalf("Spawn: %v", err)
		}
	}
	if err := e.Backend.Close(); err != nil {
		e.t.Fatalf("Close: %v", err)
	}
	if n := finished.Load(); n != tasks {
		e.t.Fatalf("Close returned with %d of %d spawned tasks finished", n, tasks)
	}
	if n := observed.Load(); n != tasks {
		e.t.Fatalf("%d of %d spawned tasks saw their ctx cancelled by Close", n, tasks)
	}
}

// testCloseRejects: after Close, new work is refused everywhere and Close is
// idempotent.
func testCloseRejects(e *env) {
	before := e.Backend.NewExecutor("before-close")
	mb := e.Backend.NewMailbox(before, 4, func(any) {})
	if err := e.Backend.Close(); err != nil {
		e.t.Fatalf("Close: %v", err)
	}
	var ran atomic.Int64
	if before.Post(func() { ran.Add(1) }) {
		e.t.Error("Post on an executor made before Close returned true")
	}
	if e.Backend.NewExecutor("after-close").Post(func() { ran.Add(1) }) {
		e.t.Error("Post on an executor made after Close returned true")
	}
	if err := e.Backend.Spawn(context.Background(), func(context.Context) { ran.Add(1) }); !errors.Is(err, scheduler.ErrClosed) {
		e.t.Errorf("Spawn after Close: %v, want ErrClosed", err)
	}
	if err := mb.TryPut(1); !errors.Is(err, scheduler.ErrClosed) {
		e.t.Errorf("TryPut after Close: %v, want ErrClosed", err)
	}
	if err := mb.Put(context.Background(), 1); !errors.Is(err, scheduler.ErrClosed) {
		e.t.Errorf("Put after Close: %v, want ErrClosed", err)
	}
	e.Backend.AfterFunc(time.Millisecond, func() { ran.Add(1) })
	e.elapse(20 * time.Millisecond)
	e.settle()
	if n := ran.Load(); n != 0 {
		e.t.Errorf("%d pieces of work ran after Close", n)
	}
	if err := e.Backend.Close(); err != nil {
		e.t.Errorf("second Close: %v", err)
	}
}

// testClosePendingTimer: a timer armed before Close never runs its callback
// after Close has returned.
func testClosePendingTimer(e *env) {
	var closed, late atomic.Bool
	e.Backend.AfterFunc(20*time.Millisecond, func() {
		if closed.Load() {
			late.Store(true)
		}
	})
	if err := e.Backend.Close(); err != nil {
		e.t.Fatalf("Close: %v", err)
	}
	closed.Store(true)
	e.elapse(60 * time.Millisecond)
	e.settle()
	if late.Load() {
		e.t.Fatal("a timer callback ran after Close returned")
	}
}
