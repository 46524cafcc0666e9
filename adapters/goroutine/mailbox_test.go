package goroutine_test

import (
	"context"
	"errors"
	"runtime"
	"slices"
	"testing"
	"time"

	"github.com/switchboard-wamp/switchboard/adapters/internal/testkit"
	"github.com/switchboard-wamp/switchboard/scheduler"
)

// The mailbox's own mechanics (bounds, order, batching, waking) are tested
// in adapters/internal/mailbox; these tests check how the backend drives it.

// TestBackendCloseDeliversQueuedValues: values queued before Close are
// delivered even though the drain can no longer re-post itself.
func TestBackendCloseDeliversQueuedValues(t *testing.T) {
	const n = 300
	b := newBackend(t)
	ex := b.NewExecutor("closing")
	var got []int // executor-confined; read after Close
	mb := b.NewMailbox(ex, n, func(v any) { got = append(got, v.(int)) })
	release := testkit.Block(t, ex)
	for i := range n {
		if err := mb.TryPut(i); err != nil {
			release()
			t.Fatalf("TryPut: %v", err)
		}
	}
	closed := make(chan struct{})
	go func() { b.Close(); close(closed) }()
	for !isClosed(b) {
		runtime.Gosched()
	}
	if err := mb.Put(context.Background(), n); !errors.Is(err, scheduler.ErrClosed) {
		t.Errorf("Put after backend Close: %v, want ErrClosed", err)
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

// TestMailboxPutWokenByBackendClose: a Put waiting for room returns
// ErrClosed when the backend closes.
func TestMailboxPutWokenByBackendClose(t *testing.T) {
	b := newBackend(t)
	ex := b.NewExecutor("full")
	mb := b.NewMailbox(ex, 1, func(any) {})
	release := testkit.Block(t, ex)
	if err := mb.TryPut(0); err != nil {
		release()
		t.Fatalf("TryPut: %v", err)
	}
	result := make(chan error, 1)
	go func() { result <- mb.Put(context.Background(), 1) }()
	closed := make(chan struct{})
	go func() { b.Close(); close(closed) }()
	var err error
	select {
	case err = <-result:
	case <-time.After(testkit.Guard):
		err = errors.New("Put still waiting after backend Close")
	}
	release()
	testkit.Wait(t, closed, "Close")
	if !errors.Is(err, scheduler.ErrClosed) {
		t.Fatalf("waiting Put at backend Close: %v, want ErrClosed", err)
	}
}
