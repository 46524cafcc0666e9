package pool_test

import (
	"context"
	"log/slog"
	"testing"

	"github.com/switchboard-wamp/switchboard/adapters/internal/testkit"
	"github.com/switchboard-wamp/switchboard/adapters/pool"
)

// The mailbox's own mechanics (bounds, order, batching, waking) are tested
// in adapters/internal/mailbox; these tests check how the pool drives it.

// TestCloseDeliversQueuedValues: values queued before Close are delivered
// although the drain can no longer re-post itself, a waiting Put is woken
// with ErrClosed, and a later Put is refused.
func TestCloseDeliversQueuedValues(t *testing.T) {
	testkit.CloseDeliversQueuedValues(t, newPool(t, pool.Config{}))
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
