package eventloop_test

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/switchboard-wamp/switchboard/adapters/eventloop"
	"github.com/switchboard-wamp/switchboard/adapters/internal/testkit"
	"github.com/switchboard-wamp/switchboard/scheduler"
)

// The mailbox's own mechanics (bounds, order, batching, waking) are tested
// in adapters/internal/mailbox; these tests check how the Loop drives it.

// TestPutOnLoopWhenFull: Put called from a loop task on a full mailbox
// returns ErrFull at once instead of deadlocking the loop, whichever kind
// of task calls it; with room it succeeds.
func TestPutOnLoopWhenFull(t *testing.T) {
	tests := []struct {
		name string
		on   func(l *eventloop.Loop, ex scheduler.Executor, f func())
	}{
		{"executor", func(_ *eventloop.Loop, ex scheduler.Executor, f func()) { ex.Post(f) }},
		{"spawn", func(l *eventloop.Loop, _ scheduler.Executor, f func()) {
			l.Spawn(context.Background(), func(context.Context) { f() })
		}},
		{"timer", func(l *eventloop.Loop, _ scheduler.Executor, f func()) { l.AfterFunc(0, f) }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l := newLoop(t, eventloop.Config{})
			ex := l.NewExecutor("consumer")
			var got []int // loop-confined
			mb := l.NewMailbox(ex, 2, func(v any) { got = append(got, v.(int)) })
			errs := make(chan []error, 1)
			tt.on(l, ex, func() {
				ctx := context.Background()
				errs <- []error{mb.Put(ctx, 1), mb.Put(ctx, 2), mb.Put(ctx, 3)}
			})
			var res []error
			select {
			case res = <-errs:
			case <-time.After(testkit.Guard):
				t.Fatal("Put from a loop task on a full mailbox deadlocked")
			}
			if res[0] != nil || res[1] != nil || !errors.Is(res[2], scheduler.ErrFull) {
				t.Fatalf("Puts from the loop: %v, want [nil nil ErrFull]", res)
			}
			done := make(chan struct{})
			ex.Post(func() { close(done) })
			testkit.Wait(t, done, "deliveries")
			if !slices.Equal(got, []int{1, 2}) {
				t.Fatalf("delivered %v, want [1 2]", got)
			}
		})
	}
}

// TestPutOffLoopWaitsWhileLoopBusy: a producer on another goroutine blocks
// on a full mailbox even while the loop is busy running a task (the "on
// the loop" check is by goroutine identity, not "a task is running"), and
// gets through once the consumer makes room.
func TestPutOffLoopWaitsWhileLoopBusy(t *testing.T) {
	l := newLoop(t, eventloop.Config{StallThreshold: -1})
	ex := l.NewExecutor("consumer")
	var got []int // loop-confined
	mb := l.NewMailbox(ex, 1, func(v any) { got = append(got, v.(int)) })
	release := testkit.Block(t, ex)
	if err := mb.TryPut(0); err != nil {
		t.Fatalf("TryPut: %v", err)
	}
	result := make(chan error, 1)
	go func() { result <- mb.Put(context.Background(), 1) }()
	time.Sleep(20 * time.Millisecond) // a broken Put would return meanwhile
	select {
	case err := <-result:
		release()
		t.Fatalf("Put from a producer goroutine returned %v while the loop was busy", err)
	default:
	}
	release()
	select {
	case err := <-result:
		if err != nil {
			t.Fatalf("Put after room appeared: %v", err)
		}
	case <-time.After(testkit.Guard):
		t.Fatal("Put still waiting after the consumer drained")
	}
	done := make(chan struct{})
	ex.Post(func() { close(done) })
	testkit.Wait(t, done, "deliveries")
	if !slices.Equal(got, []int{0, 1}) {
		t.Fatalf("delivered %v, want [0 1]", got)
	}
}

// TestCloseDeliversQueuedValues: values queued before Close are delivered
// even though the drain can no longer re-post itself, a waiting Put is woken
// with ErrClosed, and a later Put is refused.
func TestCloseDeliversQueuedValues(t *testing.T) {
	testkit.CloseDeliversQueuedValues(t, newLoop(t, eventloop.Config{StallThreshold: -1}))
}
