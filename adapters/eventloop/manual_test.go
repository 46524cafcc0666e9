package eventloop_test

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"slices"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/switchboard-wamp/switchboard/adapters/eventloop"
	"github.com/switchboard-wamp/switchboard/adapters/internal/testkit"
	"github.com/switchboard-wamp/switchboard/scheduler"
)

var epoch = time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)

func newManual(t *testing.T) *eventloop.Loop {
	t.Helper()
	ignore := goleak.IgnoreCurrent()
	l := eventloop.NewManual(eventloop.Config{Logger: testkit.Logger(t)}, epoch)
	t.Cleanup(func() {
		if err := l.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
		goleak.VerifyNone(t, ignore)
	})
	return l
}

// scenario drives a manual loop through executors, spawns, timers, a
// mailbox and an offload, and returns the trace with virtual timestamps.
func scenario(t *testing.T) []string {
	l := newManual(t)
	var trace []string
	at := func(s string) { trace = append(trace, fmt.Sprintf("%v %s", l.Now().Sub(epoch), s)) }
	a, b := l.NewExecutor("a"), l.NewExecutor("b")
	mb := l.NewMailbox(b, 2, func(v any) { at(fmt.Sprint("mail ", v)) })
	for i := range 3 {
		a.Post(func() {
			at(fmt.Sprint("a", i))
			b.Post(func() { at(fmt.Sprint("b", i)) })
		})
		l.Spawn(context.Background(), func(context.Context) {
			at(fmt.Sprint("spawn", i))
			if err := mb.TryPut(i); err != nil {
				at(fmt.Sprint("put ", i, " ", err))
			}
		})
	}
	l.AfterFunc(30*time.Second, func() { at("t30") })
	l.AfterFunc(10*time.Second, func() {
		at("t10")
		l.AfterFunc(5*time.Second, func() { at("t15") })
	})
	l.Offload(context.Background(), func(context.Context) any { return "off" },
		func(v any) { at(fmt.Sprint("resume ", v)) })
	l.RunUntilIdle()
	at("idle")
	l.Advance(time.Minute)
	at("end")
	return trace
}

// TestManualIsDeterministic: the same scenario gives the same trace every
// time, timers fire at their own virtual deadline in order, and no
// goroutine is involved (goleak in newManual).
func TestManualIsDeterministic(t *testing.T) {
	before := runtime.NumGoroutine()
	first := scenario(t)
	if n := runtime.NumGoroutine(); n > before {
		t.Errorf("a manual loop left %d goroutines", n-before)
	}
	// The order follows from the queue alone: each batch runs in posting
	// order, and what a batch posts runs in the next one.
	want := []string{
		"0s a0", "0s spawn0", "0s a1", "0s spawn1", "0s a2", "0s spawn2",
		"0s put 2 scheduler: mailbox full", // the drain posted by the first put has not run yet
		"0s b0", "0s mail 0", "0s mail 1", "0s b1", "0s b2", "0s resume off", "0s idle",
		"10s t10", "15s t15", "30s t30", "1m0s end",
	}
	if !slices.Equal(first, want) {
		t.Fatalf("trace\n%q\nwant\n%q", first, want)
	}
	for range 5 {
		if again := scenario(t); !slices.Equal(again, first) {
			t.Fatalf("trace changed between runs:\n%v\n%v", first, again)
		}
	}
}

func TestManualClockMovesOnlyOnAdvance(t *testing.T) {
	l := newManual(t)
	if got := l.Now(); !got.Equal(epoch) {
		t.Fatalf("Now() = %v, want the start %v", got, epoch)
	}
	var firedAt []time.Duration
	for _, d := range []time.Duration{3, 1, 2} {
		l.AfterFunc(d*time.Second, func() { firedAt = append(firedAt, l.Now().Sub(epoch)) })
	}
	l.RunUntilIdle()
	if len(firedAt) != 0 || !l.Now().Equal(epoch) {
		t.Fatalf("RunUntilIdle moved time or fired timers early: %v, %v", firedAt, l.Now())
	}
	l.Advance(1500 * time.Millisecond)
	l.Advance(10 * time.Second)
	want := []time.Duration{time.Second, 2 * time.Second, 3 * time.Second}
	if !slices.Equal(firedAt, want) {
		t.Fatalf("timers fired at %v, want %v", firedAt, want)
	}
	if got := l.Now().Sub(epoch); got != 11500*time.Millisecond {
		t.Fatalf("clock at %v after advancing 11.5s", got)
	}
}

func TestManualMisuse(t *testing.T) {
	real := newLoop(t, eventloop.Config{})
	l := newManual(t)
	tests := []struct {
		name string
		f    func()
	}{
		{"RunUntilIdle on New", real.RunUntilIdle},
		{"Advance on New", func() { real.Advance(time.Second) }},
		{"RunUntilIdle re-entered", func() {
			var inner any
			l.NewExecutor("x").Post(func() {
				defer func() { inner = recover() }()
				l.RunUntilIdle()
			})
			l.RunUntilIdle()
			if inner != nil {
				panic(inner) // re-raise the inner call's panic for the check below
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			defer func() {
				if recover() == nil {
					t.Fatalf("%s did not panic", tt.name)
				}
			}()
			tt.f()
		})
	}
}

// TestManualPutAndClose: Put on a full mailbox returns ErrFull (no one
// could make room), and Close from a task returns ErrOnLoop while the
// running drive finishes the accepted work.
func TestManualPutAndClose(t *testing.T) {
	l := newManual(t)
	ex := l.NewExecutor("x")
	var got []int
	mb := l.NewMailbox(ex, 1, func(v any) { got = append(got, v.(int)) })
	if err := mb.Put(context.Background(), 1); err != nil {
		t.Fatalf("Put with room: %v", err)
	}
	if err := mb.Put(context.Background(), 2); !errors.Is(err, scheduler.ErrFull) {
		t.Fatalf("Put on a full manual mailbox: %v, want ErrFull", err)
	}
	var closeErr error
	ran := false
	ex.Post(func() {
		closeErr = l.Close()
		if ex.Post(func() {}) {
			t.Error("Post after Close accepted")
		}
	})
	ex.Post(func() { ran = true })
	l.RunUntilIdle()
	if !errors.Is(closeErr, eventloop.ErrOnLoop) {
		t.Fatalf("Close from a task: %v, want ErrOnLoop", closeErr)
	}
	if !ran || !slices.Equal(got, []int{1}) {
		t.Fatalf("accepted work after Close: ran=%v delivered=%v", ran, got)
	}
	select {
	case <-l.Done():
	default:
		t.Fatal("Done not closed after the drive that closed the loop")
	}
}
