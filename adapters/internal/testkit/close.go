package testkit

import (
	"context"
	"errors"
	"runtime"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/switchboard-wamp/switchboard/scheduler"
)

// Closing reports whether as has begun to close, observed through Spawn
// (which may queue a no-op task while as is open).
func Closing(as scheduler.AsyncSupport) bool {
	return as.Spawn(context.Background(), func(context.Context) {}) != nil
}

// awaitClosing yields until as has begun to close.
func awaitClosing(t testing.TB, as scheduler.AsyncSupport) {
	t.Helper()
	deadline := time.Now().Add(Guard)
	for !Closing(as) {
		if time.Now().After(deadline) {
			t.Fatalf("Close not begun after %v", Guard)
		}
		runtime.Gosched()
	}
}

// CloseDrainsAcceptedWork checks, on an open as, that Close runs the tasks
// accepted before it, refuses Posts once it has begun (from tasks too), and
// returns only after the running task has. It closes as.
func CloseDrainsAcceptedWork(t *testing.T, as scheduler.AsyncSupport) {
	ex := as.NewExecutor("drain")
	release := Block(t, ex)
	defer release()
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
	go func() { as.Close(); close(closed) }()
	awaitClosing(t, as)
	if ex.Post(func() { ran.Add(1000) }) {
		t.Error("Post after Close began returned true")
	}
	select {
	case <-closed:
		t.Fatal("Close returned while a task was still running")
	default:
	}
	release()
	Wait(t, closed, "Close")
	if got := ran.Load(); got != n {
		t.Fatalf("after Close, %d units ran, want %d (accepted tasks only)", got, n)
	}
	if !refusedInside.Load() {
		t.Fatal("Post from a task drained during Close was accepted")
	}
}

// AcceptedPostsRunDespiteClose races producers posting to two executors
// against Close, 20 times over backends from newBackend, and checks that
// every accepted Post ran.
func AcceptedPostsRunDespiteClose(t *testing.T, newBackend func() scheduler.AsyncSupport) {
	for round := range 20 {
		as := newBackend()
		executors := []scheduler.Executor{as.NewExecutor("a"), as.NewExecutor("b")}
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
		time.Sleep(time.Millisecond) // let the producers get going; not a timing assertion
		as.Close()
		wg.Wait()
		if a, r := accepted.Load(), ran.Load(); a != r {
			t.Fatalf("round %d: %d Posts accepted, %d ran", round, a, r)
		}
	}
}

// CloseDeliversQueuedValues checks that Close of as delivers the values
// queued in a mailbox before it, although the delivery task can no longer
// re-post itself; that a Put waiting on the full mailbox is woken with
// ErrClosed; and that a Put after Close began is refused. It closes as.
func CloseDeliversQueuedValues(t *testing.T, as scheduler.AsyncSupport) {
	const n = 300
	ex := as.NewExecutor("closing")
	var got []int // executor-confined; read after Close
	mb := as.NewMailbox(ex, n, func(v any) { got = append(got, v.(int)) })
	release := Block(t, ex)
	defer release()
	for i := range n {
		if err := mb.TryPut(i); err != nil {
			t.Fatalf("TryPut: %v", err)
		}
	}
	waiting := make(chan error, 1)
	go func() { waiting <- mb.Put(context.Background(), n) }()
	closed := make(chan struct{})
	go func() { as.Close(); close(closed) }()
	select {
	case err := <-waiting:
		if !errors.Is(err, scheduler.ErrClosed) {
			t.Errorf("waiting Put after Close: %v, want ErrClosed", err)
		}
	case <-time.After(Guard):
		t.Error("waiting Put not woken by Close")
	}
	awaitClosing(t, as)
	if err := mb.Put(context.Background(), n); !errors.Is(err, scheduler.ErrClosed) {
		t.Errorf("Put after Close began: %v, want ErrClosed", err)
	}
	release()
	Wait(t, closed, "Close")
	want := make([]int, n)
	for i := range want {
		want[i] = i
	}
	if !slices.Equal(got, want) {
		t.Fatalf("delivered %d of %d queued values", len(got), n)
	}
}

// SpawnCauseIsErrClosed checks that Close cancels a running spawned task's
// context with cause scheduler.ErrClosed. It closes as.
func SpawnCauseIsErrClosed(t *testing.T, as scheduler.AsyncSupport) {
	var cause atomic.Value
	started := make(chan struct{})
	err := as.Spawn(context.Background(), func(ctx context.Context) {
		close(started)
		<-ctx.Done()
		cause.Store(context.Cause(ctx))
	})
	if err != nil {
		t.Fatalf("Spawn: %v", err)
	}
	Wait(t, started, "task start")
	as.Close()
	if c, _ := cause.Load().(error); !errors.Is(c, scheduler.ErrClosed) {
		t.Fatalf("ctx cause after Close %v, want ErrClosed", c)
	}
}
