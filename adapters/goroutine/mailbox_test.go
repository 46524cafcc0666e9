package goroutine_test

import (
	"context"
	"errors"
	"runtime"
	"slices"
	"testing"
	"time"

	"github.com/switchboard-wamp/switchboard/scheduler"
)

// TestMailboxLenCountsOnlyUndelivered: the value the consumer is working on
// no longer occupies the mailbox.
func TestMailboxLenCountsOnlyUndelivered(t *testing.T) {
	b := newBackend(t)
	ex := b.NewExecutor("consumer")
	inRecv, hold := make(chan struct{}), make(chan struct{})
	var got []int // executor-confined
	done := make(chan struct{})
	mb := b.NewMailbox(ex, 2, func(v any) {
		got = append(got, v.(int))
		if v.(int) == 0 {
			close(inRecv)
			<-hold
		}
		if len(got) == 3 {
			close(done)
		}
	})
	if err := mb.TryPut(0); err != nil {
		t.Fatalf("TryPut: %v", err)
	}
	wait(t, inRecv, "first delivery")
	for i := 1; i <= 2; i++ {
		if err := mb.TryPut(i); err != nil {
			close(hold)
			t.Fatalf("TryPut(%d) while the consumer holds value 0: %v", i, err)
		}
	}
	errFull := mb.TryPut(3)
	n := mb.Len()
	close(hold)
	if !errors.Is(errFull, scheduler.ErrFull) || n != 2 {
		t.Fatalf("with 2 undelivered values: TryPut %v, Len %d; want ErrFull, 2", errFull, n)
	}
	wait(t, done, "deliveries")
	if !slices.Equal(got, []int{0, 1, 2}) {
		t.Fatalf("delivered %v", got)
	}
}

// TestMailboxYieldsExecutor: a long backlog is delivered in batches, letting
// other work on the executor run in between.
func TestMailboxYieldsExecutor(t *testing.T) {
	const n = 200
	b := newBackend(t)
	ex := b.NewExecutor("shared")
	delivered := 0 // executor-confined
	mb := b.NewMailbox(ex, n, func(any) { delivered++ })
	release := block(t, ex)
	for i := range n {
		if err := mb.TryPut(i); err != nil {
			release()
			t.Fatalf("TryPut: %v", err)
		}
	}
	seen := -1
	done := make(chan struct{})
	ex.Post(func() { seen = delivered; close(done) })
	release()
	wait(t, done, "task queued behind the backlog")
	if seen <= 0 || seen >= n {
		t.Fatalf("task posted after a %d-value backlog ran after %d deliveries; want a batch boundary in between", n, seen)
	}
}

// TestBackendCloseDeliversQueuedValues: values queued before Close are
// delivered even though the drain can no longer re-post itself.
func TestBackendCloseDeliversQueuedValues(t *testing.T) {
	const n = 300
	b := newBackend(t)
	ex := b.NewExecutor("closing")
	var got []int // executor-confined; read after Close
	mb := b.NewMailbox(ex, n, func(v any) { got = append(got, v.(int)) })
	release := block(t, ex)
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
	wait(t, closed, "Close")
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
	release := block(t, ex)
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
	case <-time.After(guard):
		err = errors.New("Put still waiting after backend Close")
	}
	release()
	wait(t, closed, "Close")
	if !errors.Is(err, scheduler.ErrClosed) {
		t.Fatalf("waiting Put at backend Close: %v, want ErrClosed", err)
	}
}
