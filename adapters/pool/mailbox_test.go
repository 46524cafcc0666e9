package pool_test

import (
	"context"
	"errors"
	"log/slog"
	"slices"
	"testing"
	"time"

	"github.com/switchboard-wamp/switchboard/adapters/internal/testkit"
	"github.com/switchboard-wamp/switchboard/adapters/pool"
	"github.com/switchboard-wamp/switchboard/scheduler"
)

// The mailbox's own mechanics (bounds, order, batching, waking) are tested
// in adapters/internal/mailbox; these tests check how the pool drives it.

// TestCloseDeliversQueuedValues: values queued before Close are delivered
// although the drain can no longer re-post itself, and a waiting Put is
// woken with ErrClosed.
func TestCloseDeliversQueuedValues(t *testing.T) {
	const n = 300
	p := newPool(t, pool.Config{})
	ex := p.NewExecutor("closing")
	var got []int // executor-confined; read after Close
	mb := p.NewMailbox(ex, n, func(v any) { got = append(got, v.(int)) })
	release := testkit.Block(t, ex)
	for i := range n {
		if err := mb.TryPut(i); err != nil {
			release()
			t.Fatalf("TryPut: %v", err)
		}
	}
	waiting := make(chan error, 1)
	go func() { waiting <- mb.Put(context.Background(), n) }()
	closed := make(chan struct{})
	go func() { p.Close(); close(closed) }()
	select {
	case err := <-waiting:
		if !errors.Is(err, scheduler.ErrClosed) {
			t.Errorf("waiting Put after Close: %v, want ErrClosed", err)
		}
	case <-time.After(testkit.Guard):
		t.Error("waiting Put not woken by Close")
	}
	release()
	testkit.Wait(t, closed, "Close")
	want := make([]int, n)
	for i := range want {
		want[i] = i
	}
	if !slices.Equal(got, want) {
		t.Fatalf("delivered %d of %d queued values", len(got), n)
	}
}

func TestPanicIsLoggedWithContext(t *testing.T) {
	logs := &testkit.Captured{}
	p := newPool(t, pool.Config{Logger: slog.New(logs)})
	ex := p.NewExecutor("realm-7")
	ex.Post(func() { panic("boom-42") })
	mb := p.NewMailbox(ex, 1, func(any) { panic("mailbox-boom") })
	mb.TryPut(1)
	p.Spawn(context.Background(), func(context.Context) { panic("spawn-boom") })
	fired := make(chan struct{})
	p.AfterFunc(0, func() { close(fired); panic("timer-boom") })
	testkit.Wait(t, fired, "timer") // timers do not fire once Close has begun
	p.Close()
	want := []testkit.PanicLog{
		{Kind: "executor", Executor: "realm-7", Panic: "boom-42"},
		{Kind: "mailbox", Executor: "realm-7", Panic: "mailbox-boom"},
		{Kind: "spawn", Panic: "spawn-boom"},
		{Kind: "timer", Panic: "timer-boom"},
	}
	testkit.CheckPanicLogs(t, logs, want)
	if n := p.Stats().Panics; n != int64(len(want)) {
		t.Errorf("Stats().Panics = %d, want %d", n, len(want))
	}
}
