package schedtest

import (
	"context"
	"errors"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/switchboard-wamp/switchboard/scheduler"
)

func mailboxCases() []testCase {
	return []testCase{
		{name: "mailbox/order_and_serial_with_executor", run: testMailboxOrder},
		{name: "mailbox/capacity_bound", run: testMailboxCapacity},
		{name: "mailbox/put_waits_for_room", realOnly: true, run: testMailboxPutWaits},
		{name: "mailbox/put_with_cancelled_ctx", run: testMailboxPutCancelled},
		{name: "mailbox/put_cancel_while_waiting", realOnly: true, run: testMailboxPutCancelWhileWaiting},
		{name: "mailbox/close_delivers_queued", run: testMailboxClose},
		{name: "mailbox/close_wakes_put", realOnly: true, run: testMailboxCloseWakesPut},
		{name: "mailbox/concurrent_producers", realOnly: true, run: testMailboxProducers},
	}
}

// sink collects what a mailbox delivers; recv runs on the mailbox's
// executor, so got is executor-confined and read only after done.
type sink struct {
	got  []int
	want int
	done chan struct{}
}

func newSink(want int) *sink { return &sink{want: want, done: make(chan struct{})} }

func (s *sink) recv(v any) {
	s.got = append(s.got, v.(int))
	if len(s.got) == s.want {
		close(s.done)
	}
}

// blockExecutor holds ex busy until the returned release is called, so that
// a mailbox on ex cannot deliver. release is idempotent. On a virtual backend nothing runs before
// the next Settle anyway, so it does nothing.
func (e *env) blockExecutor(ex scheduler.Executor) (release func()) {
	e.t.Helper()
	if e.Virtual {
		return func() {}
	}
	started, hold := make(chan struct{}), make(chan struct{})
	ex.Post(func() {
		close(started)
		select {
		case <-hold:
		case <-time.After(guardTimeout):
		}
	})
	e.await(started, "blocking task")
	var once sync.Once
	return func() { once.Do(func() { close(hold) }) }
}

// put queues v, waiting for room: Put on a real backend; on a virtual one,
// TryPut and Settle until it fits.
func (e *env) put(mb scheduler.Mailbox, v any) {
	e.t.Helper()
	if !e.Virtual {
		if err := mb.Put(context.Background(), v); err != nil {
			e.t.Fatalf("Put(%v): %v", v, err)
		}
		return
	}
	for range 1000 {
		err := mb.TryPut(v)
		if err == nil {
			return
		}
		if !errors.Is(err, scheduler.ErrFull) {
			e.t.Fatalf("TryPut(%v): %v", v, err)
		}
		e.settle()
	}
	e.t.Fatalf("TryPut(%v): still full after 1000 Settle calls", v)
}

func seq(from, to int) []int {
	var s []int
	for i := from; i < to; i++ {
		s = append(s, i)
	}
	return s
}

// testMailboxOrder: values arrive in order, one at a time, never alongside
// other tasks of the executor, and Len never exceeds the capacity.
func testMailboxOrder(e *env) {
	const capacity, n = 4, 200
	ex := e.Backend.NewExecutor("mailbox-order")
	var inside atomic.Bool
	var overlaps atomic.Int64
	guard := func(f func()) {
		if inside.Swap(true) {
			overlaps.Add(1)
		}
		f()
		inside.Store(false)
	}
	s := newSink(n)
	mb := e.Backend.NewMailbox(ex, capacity, func(v any) { guard(func() { s.recv(v) }) })
	for i := range n {
		e.put(mb, i)
		if i%10 == 0 {
			ex.Post(func() { guard(func() {}) })
		}
		if l := mb.Len(); l > capacity {
			e.t.Fatalf("Len %d exceeds capacity %d", l, capacity)
		}
	}
	e.await(s.done, "deliveries")
	if !slices.Equal(s.got, seq(0, n)) {
		e.t.Fatalf("delivered out of order: first 20 %v", s.got[:min(20, len(s.got))])
	}
	if n := overlaps.Load(); n != 0 {
		e.t.Fatalf("mailbox consumer overlapped executor tasks %d times", n)
	}
}

// testMailboxCapacity: with the consumer held, capacity values fit, the
// next TryPut is ErrFull, and everything queued is delivered afterwards.
func testMailboxCapacity(e *env) {
	const capacity = 3
	ex := e.Backend.NewExecutor("mailbox-capacity")
	s := newSink(capacity)
	mb := e.Backend.NewMailbox(ex, capacity, s.recv)
	release := e.blockExecutor(ex)
	for i := range capacity {
		if err := mb.TryPut(i); err != nil {
			release()
			e.t.Fatalf("TryPut(%d) with room: %v", i, err)
		}
	}
	err := mb.TryPut(capacity)
	l := mb.Len()
	release()
	if !errors.Is(err, scheduler.ErrFull) {
		e.t.Fatalf("TryPut on a full mailbox: %v, want ErrFull", err)
	}
	if l != capacity {
		e.t.Fatalf("Len of a full mailbox %d, want %d", l, capacity)
	}
	e.await(s.done, "deliveries")
	if !slices.Equal(s.got, seq(0, capacity)) {
		e.t.Fatalf("delivered %v, want %v", s.got, seq(0, capacity))
	}
	if l := mb.Len(); l != 0 {
		e.t.Fatalf("Len after delivery %d, want 0", l)
	}
}

// fill blocks ex and fills mb with 0..capacity-1.
func (e *env) fill(ex scheduler.Executor, mb scheduler.Mailbox, capacity int) (release func()) {
	e.t.Helper()
	release = e.blockExecutor(ex)
	for i := range capacity {
		if err := mb.TryPut(i); err != nil {
			release()
			e.t.Fatalf("TryPut(%d) with room: %v", i, err)
		}
	}
	return release
}

// testMailboxPutWaits: Put on a full mailbox waits, then succeeds once the
// consumer makes room; its value comes last.
func testMailboxPutWaits(e *env) {
	const capacity = 2
	ex := e.Backend.NewExecutor("mailbox-put")
	s := newSink(capacity + 1)
	mb := e.Backend.NewMailbox(ex, capacity, s.recv)
	release := e.fill(ex, mb, capacity)
	result := make(chan error, 1)
	go func() { result <- mb.Put(context.Background(), capacity) }()
	time.Sleep(20 * time.Millisecond) // a broken Put would return meanwhile
	select {
	case err := <-result:
		release()
		e.t.Fatalf("Put on a full mailbox returned %v without waiting", err)
	default:
	}
	release()
	select {
	case err := <-result:
		if err != nil {
			e.t.Fatalf("Put after room appeared: %v", err)
		}
	case <-time.After(guardTimeout):
		e.t.Fatal("Put still waiting after the consumer drained")
	}
	e.await(s.done, "deliveries")
	if !slices.Equal(s.got, seq(0, capacity+1)) {
		e.t.Fatalf("delivered %v, want %v", s.got, seq(0, capacity+1))
	}
}

// testMailboxPutCancelled: Put with a done ctx on a full mailbox returns the
// ctx's error and queues nothing.
func testMailboxPutCancelled(e *env) {
	const capacity = 2
	ex := e.Backend.NewExecutor("mailbox-ctx")
	s := newSink(capacity)
	mb := e.Backend.NewMailbox(ex, capacity, s.recv)
	release := e.fill(ex, mb, capacity)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	err := mb.Put(ctx, 99)
	release()
	if !errors.Is(err, context.Canceled) {
		e.t.Fatalf("Put with a cancelled ctx on a full mailbox: %v, want context.Canceled", err)
	}
	e.await(s.done, "deliveries")
	e.settle()
	if !slices.Equal(s.got, seq(0, capacity)) {
		e.t.Fatalf("delivered %v, want %v", s.got, seq(0, capacity))
	}
}

// testMailboxPutCancelWhileWaiting: cancelling the ctx of a waiting Put
// ends the wait with the ctx's error.
func testMailboxPutCancelWhileWaiting(e *env) {
	const capacity = 1
	ex := e.Backend.NewExecutor("mailbox-ctx-wait")
	s := newSink(capacity)
	mb := e.Backend.NewMailbox(ex, capacity, s.recv)
	release := e.fill(ex, mb, capacity)
	defer release()
	ctx, cancel := context.WithCancel(context.Background())
	result := make(chan error, 1)
	go func() { result <- mb.Put(ctx, 99) }()
	time.Sleep(10 * time.Millisecond) // let Put start waiting (either way is correct)
	cancel()
	select {
	case err := <-result:
		if !errors.Is(err, context.Canceled) {
			e.t.Fatalf("Put whose ctx was cancelled: %v, want context.Canceled", err)
		}
	case <-time.After(guardTimeout):
		e.t.Fatal("Put ignored its ctx cancellation")
	}
	release()
	e.await(s.done, "deliveries")
	if !slices.Equal(s.got, seq(0, capacity)) {
		e.t.Fatalf("delivered %v, want %v", s.got, seq(0, capacity))
	}
}

// testMailboxClose: Close refuses new values and still delivers queued ones.
func testMailboxClose(e *env) {
	ex := e.Backend.NewExecutor("mailbox-close")
	s := newSink(2)
	mb := e.Backend.NewMailbox(ex, 4, s.recv)
	release := e.fill(ex, mb, 2)
	mb.Close()
	errTry := mb.TryPut(2)
	errPut := mb.Put(context.Background(), 3)
	mb.Close() // idempotent
	release()
	if !errors.Is(errTry, scheduler.ErrClosed) {
		e.t.Errorf("TryPut after mailbox Close: %v, want ErrClosed", errTry)
	}
	if !errors.Is(errPut, scheduler.ErrClosed) {
		e.t.Errorf("Put after mailbox Close: %v, want ErrClosed", errPut)
	}
	e.await(s.done, "deliveries")
	e.settle()
	if !slices.Equal(s.got, []int{0, 1}) {
		e.t.Fatalf("delivered %v, want [0 1]", s.got)
	}
}

// testMailboxCloseWakesPut: a Put waiting for room returns ErrClosed when
// the mailbox closes.
func testMailboxCloseWakesPut(e *env) {
	ex := e.Backend.NewExecutor("mailbox-close-put")
	s := newSink(1)
	mb := e.Backend.NewMailbox(ex, 1, s.recv)
	release := e.fill(ex, mb, 1)
	defer release()
	result := make(chan error, 1)
	go func() { result <- mb.Put(context.Background(), 99) }()
	time.Sleep(10 * time.Millisecond) // let Put start waiting (either way is correct)
	mb.Close()
	select {
	case err := <-result:
		if !errors.Is(err, scheduler.ErrClosed) {
			e.t.Fatalf("waiting Put after Close: %v, want ErrClosed", err)
		}
	case <-time.After(guardTimeout):
		e.t.Fatal("waiting Put not woken by Close")
	}
	release()
	e.await(s.done, "deliveries")
	if !slices.Equal(s.got, []int{0}) {
		e.t.Fatalf("delivered %v, want [0]", s.got)
	}
}

// testMailboxProducers: concurrent blocking producers through a small
// mailbox; each producer's order survives.
func testMailboxProducers(e *env) {
	const producers, perProducer, capacity = 4, 200, 8
	ex := e.Backend.NewExecutor("mailbox-producers")
	s := newSink(producers * perProducer)
	mb := e.Backend.NewMailbox(ex, capacity, s.recv)
	var failed atomic.Int64
	for p := range producers {
		go func() {
			for i := range perProducer {
				if mb.Put(context.Background(), p*perProducer+i) != nil {
					failed.Add(1)
				}
			}
		}()
	}
	e.await(s.done, "deliveries")
	if n := failed.Load(); n != 0 {
		e.t.Fatalf("%d Puts failed", n)
	}
	next := make([]int, producers)
	for _, v := range s.got {
		p, i := v/perProducer, v%perProducer
		if i != next[p] {
			e.t.Fatalf("producer %d: got %d, want %d", p, i, next[p])
		}
		next[p]++
	}
}
