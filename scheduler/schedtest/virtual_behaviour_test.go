package schedtest_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/switchboard-wamp/switchboard/scheduler"
	"github.com/switchboard-wamp/switchboard/scheduler/schedtest"
)

// interleaving runs 4 executors x 8 tasks on a Virtual with seed and returns
// the global run order.
func interleaving(t *testing.T, seed int64) string {
	v := newVirtual(t, seed)
	defer v.Close()
	var log []string
	for x := range 4 {
		ex := v.NewExecutor(fmt.Sprint(x))
		for i := range 8 {
			ex.Post(func() { log = append(log, fmt.Sprintf("%d.%d", x, i)) })
		}
	}
	v.RunUntilIdle()
	return strings.Join(log, " ")
}

func TestVirtualSeedDeterminesInterleaving(t *testing.T) {
	if a, b := interleaving(t, 7), interleaving(t, 7); a != b {
		t.Fatalf("same seed, different interleavings:\n%s\n%s", a, b)
	}
	distinct := map[string]bool{}
	for seed := range int64(10) {
		distinct[interleaving(t, seed)] = true
	}
	if len(distinct) < 2 {
		t.Fatalf("10 seeds produced %d distinct interleavings; the RNG is not used", len(distinct))
	}
}

func TestVirtualClock(t *testing.T) {
	v := newVirtual(t, 1)
	defer v.Close()
	ex := v.NewExecutor("x")
	ex.Post(func() {})
	v.RunUntilIdle()
	if got := v.Now(); !got.Equal(epoch) {
		t.Fatalf("clock moved without Advance: %v", got)
	}
	type firing struct {
		name string
		at   time.Duration
	}
	var got []firing
	at := func(name string) func() {
		return func() { got = append(got, firing{name, v.Now().Sub(epoch)}) }
	}
	v.AfterFunc(20*time.Millisecond, at("b"))
	v.AfterFunc(10*time.Millisecond, at("a"))
	v.AfterFunc(20*time.Millisecond, at("c")) // tie with b: creation order
	v.AfterFunc(10*time.Millisecond, func() {
		at("a2")()
		v.AfterFunc(5*time.Millisecond, at("nested")) // due at 15ms, inside this Advance
	})
	v.AfterFunc(time.Second, at("late"))
	v.Advance(25 * time.Millisecond)
	want := []firing{{"a", 10 * time.Millisecond}, {"a2", 10 * time.Millisecond},
		{"nested", 15 * time.Millisecond}, {"b", 20 * time.Millisecond}, {"c", 20 * time.Millisecond}}
	if !slices.Equal(got, want) {
		t.Fatalf("firings %v, want %v", got, want)
	}
	if now := v.Now().Sub(epoch); now != 25*time.Millisecond {
		t.Fatalf("clock after Advance(25ms) at +%v", now)
	}
	v.Advance(-time.Second)
	if now := v.Now().Sub(epoch); now != 25*time.Millisecond {
		t.Fatalf("negative Advance moved the clock to +%v", now)
	}
}

func TestVirtualTimerAfterTaskRunsBeforeTimers(t *testing.T) {
	v := newVirtual(t, 1)
	defer v.Close()
	var log []string
	v.AfterFunc(0, func() { log = append(log, "timer") })
	v.NewExecutor("x").Post(func() { log = append(log, "task") })
	v.RunUntilIdle()
	if want := []string{"task", "timer"}; !slices.Equal(log, want) {
		t.Fatalf("ran %v, want %v", log, want)
	}
}

func TestVirtualMailboxPutNeverBlocks(t *testing.T) {
	v := newVirtual(t, 1)
	defer v.Close()
	var got []any
	mb := v.NewMailbox(v.NewExecutor("x"), 1, func(x any) { got = append(got, x) })
	if err := mb.Put(context.Background(), 1); err != nil {
		t.Fatalf("Put with room: %v", err)
	}
	if err := mb.Put(context.Background(), 2); !errors.Is(err, scheduler.ErrFull) {
		t.Fatalf("Put on a full virtual mailbox: %v, want ErrFull", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := mb.Put(ctx, 2); !errors.Is(err, context.Canceled) {
		t.Fatalf("Put with a done ctx on a full virtual mailbox: %v, want context.Canceled", err)
	}
	v.RunUntilIdle()
	if !slices.Equal(got, []any{1}) {
		t.Fatalf("delivered %v, want [1]", got)
	}
}

func TestVirtualReentrantDrivePanics(t *testing.T) {
	v := newVirtual(t, 1)
	defer v.Close()
	ex := v.NewExecutor("x")
	for _, name := range []string{"RunUntilIdle", "Advance"} {
		ex.Post(func() {
			if name == "RunUntilIdle" {
				v.RunUntilIdle()
			} else {
				v.Advance(time.Second)
			}
		})
	}
	v.RunUntilIdle()
	if n := v.Panics(); n != 2 {
		t.Fatalf("re-entrant drive calls: %d panics recorded, want 2", n)
	}
}

func TestVirtualCloseFromTask(t *testing.T) {
	v := newVirtual(t, 1)
	ex := v.NewExecutor("x")
	var log []string
	ex.Post(func() {
		if err := v.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
		accepted := ex.Post(func() { log = append(log, "refused task ran") })
		log = append(log, fmt.Sprintf("closed, Post=%v", accepted))
	})
	ex.Post(func() { log = append(log, "queued before close") })
	v.RunUntilIdle()
	if want := []string{"closed, Post=false", "queued before close"}; !slices.Equal(log, want) {
		t.Fatalf("log %v, want %v", log, want)
	}
}

func TestVirtualCloseCancelsQueuedSpawnWithCause(t *testing.T) {
	v := newVirtual(t, 1)
	var cause error
	err := v.Spawn(context.Background(), func(ctx context.Context) { cause = context.Cause(ctx) })
	if err != nil {
		t.Fatalf("Spawn: %v", err)
	}
	if err := v.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if !errors.Is(cause, scheduler.ErrClosed) {
		t.Fatalf("task queued at Close ran with ctx cause %v, want ErrClosed", cause)
	}
}

var _ scheduler.AsyncSupport = (*schedtest.Virtual)(nil)
