package eventloop_test

import (
	"context"
	"errors"
	"log/slog"
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/switchboard-wamp/switchboard/adapters/eventloop"
	"github.com/switchboard-wamp/switchboard/adapters/internal/testkit"
	"github.com/switchboard-wamp/switchboard/scheduler"
)

// newLoop returns a running Loop that is closed, and checked for leaked
// goroutines, when the test ends.
func newLoop(t *testing.T, cfg eventloop.Config) *eventloop.Loop {
	t.Helper()
	ignore := goleak.IgnoreCurrent()
	if cfg.Logger == nil {
		cfg.Logger = testkit.Logger(t)
	}
	l := eventloop.New(cfg)
	t.Cleanup(func() {
		if err := l.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
		goleak.VerifyNone(t, ignore)
	})
	return l
}

// TestOneLoopRunsEverything: executor tasks, spawned tasks, timer
// callbacks and mailbox deliveries all run on one goroutine, in the order
// they were queued, never two at once.
func TestOneLoopRunsEverything(t *testing.T) {
	l := newLoop(t, eventloop.Config{})
	a, b := l.NewExecutor("a"), l.NewExecutor("b")
	var log []string // loop-confined
	var inside atomic.Bool
	var overlaps atomic.Int64
	rec := func(s string) {
		if inside.Swap(true) {
			overlaps.Add(1)
		}
		log = append(log, s)
		inside.Store(false)
	}
	done := make(chan struct{})
	mb := l.NewMailbox(b, 4, func(v any) { rec(v.(string)) })
	release := testkit.Block(t, a)
	a.Post(func() { rec("a1") })
	l.Spawn(context.Background(), func(context.Context) { rec("spawn") })
	b.Post(func() { rec("b1") })
	if err := mb.TryPut("mail"); err != nil {
		t.Fatalf("TryPut: %v", err)
	}
	a.Post(func() { rec("a2") })
	l.AfterFunc(0, func() { rec("timer"); b.Post(func() { close(done) }) })
	release()
	testkit.Wait(t, done, "work")
	want := []string{"a1", "spawn", "b1", "mail", "a2", "timer"}
	if !slices.Equal(log, want) {
		t.Fatalf("ran %v, want queue order %v", log, want)
	}
	if n := overlaps.Load(); n != 0 {
		t.Fatalf("%d tasks overlapped", n)
	}
}

// TestTimersFireInDeadlineOrder: on the loop, timers fire in deadline
// order even when they all fall due together (the loop was held).
func TestTimersFireInDeadlineOrder(t *testing.T) {
	l := newLoop(t, eventloop.Config{StallThreshold: -1})
	ex := l.NewExecutor("timers")
	release := testkit.Block(t, ex)
	var got []int // loop-confined
	done := make(chan struct{})
	delays := []int{5, 1, 4, 2, 3, 2}
	for _, d := range delays {
		l.AfterFunc(time.Duration(d)*time.Millisecond, func() {
			got = append(got, d)
			if len(got) == len(delays) {
				close(done)
			}
		})
	}
	time.Sleep(10 * time.Millisecond) // all due while the loop is held
	release()
	testkit.Wait(t, done, "timers")
	if want := []int{1, 2, 2, 3, 4, 5}; !slices.Equal(got, want) {
		t.Fatalf("fired %v, want %v", got, want)
	}
}

// TestTimerStopRace: Stop and firing race from many goroutines; each timer
// either fires or is stopped, never both, never neither.
func TestTimerStopRace(t *testing.T) {
	const n = 2000
	l := newLoop(t, eventloop.Config{})
	var fired atomic.Int64
	timers := make([]scheduler.Timer, n)
	for i := range timers {
		timers[i] = l.AfterFunc(time.Duration(i%3)*time.Millisecond, func() { fired.Add(1) })
	}
	var stopped atomic.Int64
	var wg sync.WaitGroup
	for w := range 4 {
		wg.Go(func() {
			for i := w; i < n; i += 4 {
				if timers[i].Stop() {
					stopped.Add(1)
				}
			}
		})
	}
	wg.Wait()
	// Let every timer that was not stopped fire: a zero-delay timer armed
	// now fires after them all.
	last := make(chan struct{})
	l.AfterFunc(3*time.Millisecond, func() { close(last) })
	testkit.Wait(t, last, "last timer")
	if f, s := fired.Load(), stopped.Load(); f+s != n {
		t.Fatalf("%d fired + %d stopped = %d, want %d", f, s, f+s, n)
	}
}

func TestCloseDrainsAcceptedWork(t *testing.T) {
	testkit.CloseDrainsAcceptedWork(t, newLoop(t, eventloop.Config{StallThreshold: -1}))
}

func TestAcceptedPostAlwaysRunsDespiteClose(t *testing.T) {
	ignore := goleak.IgnoreCurrent()
	defer goleak.VerifyNone(t, ignore)
	testkit.AcceptedPostsRunDespiteClose(t, func() scheduler.AsyncSupport {
		return eventloop.New(eventloop.Config{Logger: testkit.Logger(t)})
	})
}

// TestCloseFromLoopTask: Close inside a task starts the shutdown, returns
// ErrOnLoop without waiting for itself, and the loop then stops.
func TestCloseFromLoopTask(t *testing.T) {
	tests := []struct {
		name string
		run  func(l *eventloop.Loop, f func()) error
	}{
		{"executor", func(l *eventloop.Loop, f func()) error {
			if !l.NewExecutor("closer").Post(f) {
				return scheduler.ErrClosed
			}
			return nil
		}},
		{"spawn", func(l *eventloop.Loop, f func()) error {
			return l.Spawn(context.Background(), func(context.Context) { f() })
		}},
		{"timer", func(l *eventloop.Loop, f func()) error { l.AfterFunc(0, f); return nil }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l := newLoop(t, eventloop.Config{})
			var after atomic.Int64
			got := make(chan error, 1)
			if err := tt.run(l, func() {
				got <- l.Close()
				l.NewExecutor("late").Post(func() { after.Add(1) })
			}); err != nil {
				t.Fatalf("scheduling the closing task: %v", err)
			}
			testkit.Wait(t, l.Done(), "loop stop after Close from a task")
			if err := <-got; !errors.Is(err, eventloop.ErrOnLoop) {
				t.Fatalf("Close from a loop task: %v, want ErrOnLoop", err)
			}
			if err := l.Close(); err != nil {
				t.Fatalf("Close after the loop stopped: %v", err)
			}
			if n := after.Load(); n != 0 {
				t.Fatalf("%d tasks posted after Close ran", n)
			}
		})
	}
}

// TestSpawnCauseIsErrClosed: Close cancels a spawned task (blocking the
// loop, which is a user error but must still end) with cause ErrClosed.
func TestSpawnCauseIsErrClosed(t *testing.T) {
	testkit.SpawnCauseIsErrClosed(t, newLoop(t, eventloop.Config{StallThreshold: -1}))
}

func TestGoexitInTaskKeepsLoop(t *testing.T) {
	l := newLoop(t, eventloop.Config{})
	ex := l.NewExecutor("goexit")
	var log []string // loop-confined
	done := make(chan struct{})
	ex.Post(func() { log = append(log, "a") })
	ex.Post(func() { runtime.Goexit() })
	ex.Post(func() { log = append(log, "b"); close(done) })
	testkit.Wait(t, done, "task after Goexit")
	again := make(chan struct{})
	l.AfterFunc(0, func() { runtime.Goexit() })
	l.AfterFunc(time.Millisecond, func() { ex.Post(func() { log = append(log, "c"); close(again) }) })
	testkit.Wait(t, again, "later task")
	if got := strings.Join(log, ""); got != "abc" {
		t.Fatalf("ran %q, want %q", got, "abc")
	}
}

func TestPanicIsLoggedWithContext(t *testing.T) {
	logs := &testkit.Captured{}
	l := newLoop(t, eventloop.Config{Logger: slog.New(logs)})
	ex := l.NewExecutor("realm-7")
	ex.Post(func() { panic("boom-42") })
	mb := l.NewMailbox(ex, 1, func(any) { panic("mailbox-boom") })
	mb.TryPut(1)
	l.Spawn(context.Background(), func(context.Context) { panic("spawn-boom") })
	fired := make(chan struct{})
	l.AfterFunc(0, func() { close(fired); panic("timer-boom") })
	testkit.Wait(t, fired, "timer") // pending timers do not fire once Close has begun
	resumed := make(chan any, 1)
	l.Offload(context.Background(), func(context.Context) any { panic("offload-boom") },
		func(v any) { resumed <- v })
	l.Close()
	want := []testkit.PanicLog{
		{Kind: "executor", Executor: "realm-7", Panic: "boom-42"},
		{Kind: "mailbox", Executor: "realm-7", Panic: "mailbox-boom"},
		{Kind: "spawn", Panic: "spawn-boom"},
		{Kind: "timer", Panic: "timer-boom"},
		{Kind: "offload", Panic: "offload-boom"},
	}
	testkit.CheckPanicLogs(t, logs, want)
	if n := l.Panics(); n != int64(len(want)) {
		t.Errorf("Panics() = %d, want %d", n, len(want))
	}
	if v, _ := (<-resumed).(error); !errors.Is(v, eventloop.ErrOffloadPanic) {
		t.Errorf("resume after a panicking work got %v, want ErrOffloadPanic", v)
	}
}
