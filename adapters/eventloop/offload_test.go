package eventloop_test

import (
	"context"
	"errors"
	"runtime"
	"sync/atomic"
	"testing"
	"time"

	"github.com/switchboard-wamp/switchboard/adapters/eventloop"
	"github.com/switchboard-wamp/switchboard/adapters/internal/testkit"
	"github.com/switchboard-wamp/switchboard/scheduler"
)

// TestOffloadFreesTheLoop: blocking work runs off the loop (other tasks
// keep running meanwhile) and its resume runs back on the loop, serialised
// with executor tasks.
func TestOffloadFreesTheLoop(t *testing.T) {
	l := newLoop(t, eventloop.Config{})
	ex := l.NewExecutor("realm")
	var inside atomic.Bool
	var overlaps atomic.Int64
	onLoop := func(f func()) {
		if inside.Swap(true) {
			overlaps.Add(1)
		}
		f()
		inside.Store(false)
	}
	gate := make(chan struct{})
	got := make(chan any, 1)
	ex.Post(func() {
		onLoop(func() {
			err := l.Offload(context.Background(), func(context.Context) any {
				<-gate // blocking work
				return 42
			}, func(v any) { onLoop(func() { got <- v }) })
			if err != nil {
				got <- err
			}
		})
	})
	// The loop is free while the work blocks.
	ran := make(chan struct{})
	ex.Post(func() { onLoop(func() { close(ran) }) })
	testkit.Wait(t, ran, "task while work blocks")
	for range 100 {
		ex.Post(func() { onLoop(runtime.Gosched) })
	}
	close(gate)
	if v := <-got; v != 42 {
		t.Fatalf("resume got %v, want 42", v)
	}
	if n := overlaps.Load(); n != 0 {
		t.Fatalf("resume overlapped loop tasks %d times", n)
	}
}

// TestOffloadMaxBoundsHelpers: with OffloadMax = 2, at most two work
// functions run at once; the rest queue and all complete.
func TestOffloadMaxBoundsHelpers(t *testing.T) {
	const jobs, limit = 20, 2
	l := newLoop(t, eventloop.Config{OffloadMax: limit})
	var running, peak atomic.Int64
	gate := make(chan struct{})
	started := make(chan struct{}, jobs)
	resumed := make(chan struct{})
	left := jobs // loop-confined
	for range jobs {
		err := l.Offload(context.Background(), func(context.Context) any {
			n := running.Add(1)
			for {
				p := peak.Load()
				if n <= p || peak.CompareAndSwap(p, n) {
					break
				}
			}
			started <- struct{}{}
			<-gate
			running.Add(-1)
			return nil
		}, func(any) {
			if left--; left == 0 {
				close(resumed)
			}
		})
		if err != nil {
			t.Fatalf("Offload: %v", err)
		}
	}
	for range limit {
		select {
		case <-started:
		case <-time.After(testkit.Guard):
			t.Fatal("the offloaded tasks did not start")
		}
	}
	if n := running.Load(); n != limit {
		t.Fatalf("%d work functions running with the gate shut, want %d", n, limit)
	}
	close(gate)
	testkit.Wait(t, resumed, "all resumes")
	if p := peak.Load(); p > limit {
		t.Fatalf("%d work functions ran at once, OffloadMax %d", p, limit)
	}
}

// TestCloseCancelsOffloadAndResumes: Close cancels the work's context with
// cause ErrClosed, waits for it, runs its resume, and refuses new offloads.
func TestCloseCancelsOffloadAndResumes(t *testing.T) {
	l := newLoop(t, eventloop.Config{})
	started := make(chan struct{})
	var resumedWith atomic.Value
	err := l.Offload(context.Background(), func(ctx context.Context) any {
		close(started)
		<-ctx.Done()
		return context.Cause(ctx)
	}, func(v any) { resumedWith.Store(v) })
	if err != nil {
		t.Fatalf("Offload: %v", err)
	}
	testkit.Wait(t, started, "work start")
	if err := l.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if v, _ := resumedWith.Load().(error); !errors.Is(v, scheduler.ErrClosed) {
		t.Fatalf("resume after Close got %v, want the work's ctx cause ErrClosed", resumedWith.Load())
	}
	err = l.Offload(context.Background(), func(context.Context) any { return nil }, func(any) {})
	if !errors.Is(err, scheduler.ErrClosed) {
		t.Fatalf("Offload after Close: %v, want ErrClosed", err)
	}
}

// TestOffloadGoexit: work that calls runtime.Goexit still resumes (with
// ErrOffloadPanic), and the jobs queued behind it still run.
func TestOffloadGoexit(t *testing.T) {
	l := newLoop(t, eventloop.Config{OffloadMax: 1})
	results := make(chan any, 2)
	l.Offload(context.Background(), func(context.Context) any { runtime.Goexit(); return nil },
		func(v any) { results <- v })
	l.Offload(context.Background(), func(context.Context) any { return "second" },
		func(v any) { results <- v })
	first, second := <-results, <-results
	if err, _ := first.(error); !errors.Is(err, eventloop.ErrOffloadPanic) {
		t.Fatalf("resume of a Goexit work got %v, want ErrOffloadPanic", first)
	}
	if second != "second" {
		t.Fatalf("next job resumed with %v, want %q", second, "second")
	}
}
