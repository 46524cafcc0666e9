package pool_test

import (
	"context"
	"errors"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

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
	release := block(t, ex)
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
	case <-time.After(guard):
		t.Error("waiting Put not woken by Close")
	}
	release()
	wait(t, closed, "Close")
	want := make([]int, n)
	for i := range want {
		want[i] = i
	}
	if !slices.Equal(got, want) {
		t.Fatalf("delivered %d of %d queued values", len(got), n)
	}
}

// captured is a slog.Handler that keeps records.
type captured struct {
	mu   sync.Mutex
	recs []slog.Record
}

func (c *captured) Enabled(context.Context, slog.Level) bool { return true }
func (c *captured) WithAttrs([]slog.Attr) slog.Handler       { return c }
func (c *captured) WithGroup(string) slog.Handler            { return c }
func (c *captured) Handle(_ context.Context, r slog.Record) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.recs = append(c.recs, r.Clone())
	return nil
}

func (c *captured) attrs() []map[string]string {
	c.mu.Lock()
	defer c.mu.Unlock()
	var out []map[string]string
	for _, r := range c.recs {
		m := map[string]string{"msg": r.Message, "level": r.Level.String()}
		r.Attrs(func(a slog.Attr) bool { m[a.Key] = a.Value.String(); return true })
		out = append(out, m)
	}
	return out
}

func TestPanicIsLoggedWithContext(t *testing.T) {
	logs := &captured{}
	p := newPool(t, pool.Config{Logger: slog.New(logs)})
	ex := p.NewExecutor("realm-7")
	ex.Post(func() { panic("boom-42") })
	mb := p.NewMailbox(ex, 1, func(any) { panic("mailbox-boom") })
	mb.TryPut(1)
	p.Spawn(context.Background(), func(context.Context) { panic("spawn-boom") })
	fired := make(chan struct{})
	p.AfterFunc(0, func() { close(fired); panic("timer-boom") })
	wait(t, fired, "timer") // timers do not fire once Close has begun
	p.Close()
	tests := []struct{ kind, executor, panic string }{
		{"executor", "realm-7", "boom-42"},
		{"mailbox", "realm-7", "mailbox-boom"},
		{"spawn", "", "spawn-boom"},
		{"timer", "", "timer-boom"},
	}
	recs := logs.attrs()
	for _, tt := range tests {
		found := false
		for _, r := range recs {
			if r["kind"] != tt.kind {
				continue
			}
			found = true
			if r["level"] != "ERROR" || r["executor"] != tt.executor || r["panic"] != tt.panic ||
				!strings.Contains(r["stack"], "goroutine") {
				t.Errorf("%s panic logged as %v", tt.kind, r)
			}
		}
		if !found {
			t.Errorf("no log record for the %s panic; records: %v", tt.kind, recs)
		}
	}
	if n := p.Stats().Panics; n != int64(len(tests)) {
		t.Errorf("Stats().Panics = %d, want %d", n, len(tests))
	}
}
