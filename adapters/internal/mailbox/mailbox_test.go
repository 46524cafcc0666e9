package mailbox

import (
	"context"
	"errors"
	"runtime"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/switchboard-wamp/switchboard/scheduler"
)

const guard = 10 * time.Second

// collector records delivered ints; it runs on the executor.
type collector struct{ got []int }

func (c *collector) recv(v any) { c.got = append(c.got, v.(int)) }

func seq(n int) []int {
	s := make([]int, n)
	for i := range s {
		s[i] = i
	}
	return s
}

// putWaiting reports, once Put has found m full and is about to wait, by
// polling for the room channel a waiting Put creates.
func putWaiting(t *testing.T, m *Mailbox) {
	t.Helper()
	deadline := time.Now().Add(guard)
	for time.Now().Before(deadline) {
		m.mu.Lock()
		waiting := m.room != nil
		m.mu.Unlock()
		if waiting {
			return
		}
		runtime.Gosched()
	}
	t.Fatal("Put never started waiting for room")
}

func TestTryPutCapacityAndOrder(t *testing.T) {
	tests := []struct {
		name     string
		capacity int
		want     int // values that fit
	}{
		{"zero_means_one", 0, 1},
		{"negative_means_one", -5, 1},
		{"one", 1, 1},
		{"below_min_ring", 3, 3},
		{"grows", 20, 20},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ex := &manualExec{}
			c := &collector{}
			m := (&Host{}).New(ex, tt.capacity, c.recv, "x")
			for i := range tt.want {
				if err := m.TryPut(i); err != nil {
					t.Fatalf("TryPut(%d): %v", i, err)
				}
			}
			if err := m.TryPut(tt.want); !errors.Is(err, scheduler.ErrFull) {
				t.Fatalf("TryPut on a full mailbox: %v, want ErrFull", err)
			}
			if n := m.Len(); n != tt.want {
				t.Fatalf("Len %d, want %d", n, tt.want)
			}
			if m.ring.Cap() > max(tt.capacity, 1) {
				t.Fatalf("ring of %d slots for capacity %d", m.ring.Cap(), tt.capacity)
			}
			ex.runAll()
			if !slices.Equal(c.got, seq(tt.want)) || m.Len() != 0 {
				t.Fatalf("delivered %v, Len %d; want %v, 0", c.got, m.Len(), seq(tt.want))
			}
		})
	}
}

// TestLenCountsOnlyUndelivered: the value the consumer is working on no
// longer occupies the mailbox.
func TestLenCountsOnlyUndelivered(t *testing.T) {
	ex := &manualExec{}
	var m *Mailbox
	var got []int
	var inside []error
	lenInside := -1
	m = (&Host{}).New(ex, 2, func(v any) {
		got = append(got, v.(int))
		if v.(int) == 0 {
			inside = []error{m.TryPut(1), m.TryPut(2), m.TryPut(3)}
			lenInside = m.Len()
		}
	}, "x")
	if err := m.TryPut(0); err != nil {
		t.Fatalf("TryPut: %v", err)
	}
	ex.runAll()
	if inside[0] != nil || inside[1] != nil || !errors.Is(inside[2], scheduler.ErrFull) || lenInside != 2 {
		t.Fatalf("TryPuts while value 0 is being consumed: %v, Len %d; want [nil nil ErrFull], 2", inside, lenInside)
	}
	if !slices.Equal(got, []int{0, 1, 2}) {
		t.Fatalf("delivered %v", got)
	}
}

// TestDeliveryBatches: one delivery task hands over at most Batch values,
// then re-posts itself behind work posted meanwhile.
func TestDeliveryBatches(t *testing.T) {
	const n = 200
	tests := []struct {
		name      string
		batch     int
		wantFirst int // values delivered before the other task runs
		wantTasks int // tasks run in all, the other one included
	}{
		{"default", 0, DefaultBatch, (n+DefaultBatch-1)/DefaultBatch + 1},
		{"one", 1, 1, n + 1},
		{"ten", 10, 10, n/10 + 1},
		{"larger_than_backlog", 500, n, 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ex := &manualExec{}
			c := &collector{}
			m := (&Host{Batch: tt.batch}).New(ex, n, c.recv, "x")
			for i := range n {
				if err := m.TryPut(i); err != nil {
					t.Fatalf("TryPut: %v", err)
				}
			}
			seen := -1
			ex.Post(func() { seen = len(c.got) })
			tasks := ex.runAll()
			if seen != tt.wantFirst || tasks != tt.wantTasks {
				t.Fatalf("other task ran after %d deliveries, %d tasks in all; want %d, %d",
					seen, tasks, tt.wantFirst, tt.wantTasks)
			}
			if !slices.Equal(c.got, seq(n)) {
				t.Fatalf("delivered %d values out of order or incomplete", len(c.got))
			}
		})
	}
}

// TestExecutorRefusingKeepsDelivering: when the executor stops accepting
// tasks (its backend closing), the running delivery task delivers the
// whole backlog instead of re-posting, and new values are refused.
func TestExecutorRefusingKeepsDelivering(t *testing.T) {
	const n = 300
	ex := &manualExec{}
	c := &collector{}
	m := (&Host{}).New(ex, n, c.recv, "x")
	for i := range n {
		if err := m.TryPut(i); err != nil {
			t.Fatalf("TryPut: %v", err)
		}
	}
	ex.setRefuse()
	if tasks := ex.runAll(); tasks != 1 {
		t.Fatalf("%d delivery tasks ran, want 1", tasks)
	}
	if !slices.Equal(c.got, seq(n)) {
		t.Fatalf("delivered %d of %d queued values", len(c.got), n)
	}
	for _, put := range []func() error{
		func() error { return m.TryPut(n) },
		func() error { return m.Put(context.Background(), n) },
	} {
		if err := put(); !errors.Is(err, scheduler.ErrClosed) || m.Len() != 0 {
			t.Fatalf("put with the executor refusing: %v, Len %d; want ErrClosed, 0", err, m.Len())
		}
	}
}

// TestClosedRefusesAndDelivers: Close of the mailbox or the backend's
// Closed flag refuses new values; queued ones are still delivered.
func TestClosedRefusesAndDelivers(t *testing.T) {
	tests := []struct {
		name  string
		close func(m *Mailbox, backendClosed *atomic.Bool)
	}{
		{"mailbox_close", func(m *Mailbox, _ *atomic.Bool) { m.Close() }},
		{"mailbox_close_twice", func(m *Mailbox, _ *atomic.Bool) { m.Close(); m.Close() }},
		{"backend_closed", func(_ *Mailbox, b *atomic.Bool) { b.Store(true) }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var backendClosed atomic.Bool
			ex := &manualExec{}
			c := &collector{}
			m := (&Host{Closed: &backendClosed}).New(ex, 4, c.recv, "x")
			for i := range 3 {
				if err := m.TryPut(i); err != nil {
					t.Fatalf("TryPut: %v", err)
				}
			}
			tt.close(m, &backendClosed)
			errTry, errPut := m.TryPut(9), m.Put(context.Background(), 9)
			if !errors.Is(errTry, scheduler.ErrClosed) || !errors.Is(errPut, scheduler.ErrClosed) {
				t.Fatalf("after close: TryPut %v, Put %v; want ErrClosed", errTry, errPut)
			}
			ex.runAll()
			if !slices.Equal(c.got, seq(3)) {
				t.Fatalf("delivered %v, want %v", c.got, seq(3))
			}
		})
	}
}

// TestPutWaitsUntilWoken: a Put on a full mailbox waits, and each kind of
// wake-up ends the wait with its own outcome.
func TestPutWaitsUntilWoken(t *testing.T) {
	tests := []struct {
		name    string
		wake    func(ex *manualExec, m *Mailbox, closeBackend, cancel func())
		want    error
		wantGot []int
	}{
		{"room", func(ex *manualExec, _ *Mailbox, _, _ func()) { ex.runOne() }, nil, []int{0, 1}},
		{"mailbox_close", func(_ *manualExec, m *Mailbox, _, _ func()) { m.Close() }, scheduler.ErrClosed, []int{0}},
		{"backend_close", func(_ *manualExec, _ *Mailbox, closeBackend, _ func()) { closeBackend() }, scheduler.ErrClosed, []int{0}},
		{"ctx_cancel", func(_ *manualExec, _ *Mailbox, _, cancel func()) { cancel() }, context.Canceled, []int{0}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var backendClosed atomic.Bool
			done := make(chan struct{})
			closeBackend := func() { backendClosed.Store(true); close(done) }
			ex := &manualExec{}
			c := &collector{}
			m := (&Host{Closed: &backendClosed, Done: done}).New(ex, 1, c.recv, "x")
			if err := m.TryPut(0); err != nil {
				t.Fatalf("TryPut: %v", err)
			}
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			result := make(chan error, 1)
			go func() { result <- m.Put(ctx, 1) }()
			putWaiting(t, m)
			tt.wake(ex, m, closeBackend, cancel)
			var err error
			select {
			case err = <-result:
			case <-time.After(guard):
				t.Fatal("Put still waiting after the wake-up")
			}
			if !errors.Is(err, tt.want) {
				t.Fatalf("Put returned %v, want %v", err, tt.want)
			}
			ex.runAll()
			if !slices.Equal(c.got, tt.wantGot) {
				t.Fatalf("delivered %v, want %v", c.got, tt.wantGot)
			}
		})
	}
}

// TestPutWithDoneContext: a done ctx does not stop a Put that finds room,
// and stops one that would wait.
func TestPutWithDoneContext(t *testing.T) {
	ex := &manualExec{}
	m := (&Host{}).New(ex, 1, func(any) {}, "x")
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := m.Put(ctx, 0); err != nil {
		t.Fatalf("Put with room and a done ctx: %v", err)
	}
	if err := m.Put(ctx, 1); !errors.Is(err, context.Canceled) || m.Len() != 1 {
		t.Fatalf("Put on a full mailbox with a done ctx: %v, Len %d; want context.Canceled, 1", err, m.Len())
	}
}

// TestMustNotWait: a caller that must not wait gets ErrFull on a full
// mailbox at once; MustNotWait is asked only when Put would wait.
func TestMustNotWait(t *testing.T) {
	tests := []struct {
		name      string
		mustNot   bool
		wantErr   error
		wantAsked int
	}{
		{"must_not_wait", true, scheduler.ErrFull, 1},
		{"may_wait_until_cancelled", false, context.DeadlineExceeded, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var asked atomic.Int64
			h := &Host{MustNotWait: func() bool { asked.Add(1); return tt.mustNot }}
			ex := &manualExec{}
			m := h.New(ex, 2, func(any) {}, "x")
			ctx := context.Background()
			if err := errors.Join(m.Put(ctx, 0), m.Put(ctx, 1)); err != nil || asked.Load() != 0 {
				t.Fatalf("Puts with room: %v, MustNotWait asked %d times; want nil, 0", err, asked.Load())
			}
			ctx, cancel := context.WithTimeout(ctx, 50*time.Millisecond)
			defer cancel()
			if err := m.Put(ctx, 2); !errors.Is(err, tt.wantErr) || asked.Load() != int64(tt.wantAsked) {
				t.Fatalf("Put on a full mailbox: %v, asked %d; want %v, %d", err, asked.Load(), tt.wantErr, tt.wantAsked)
			}
			if m.Len() != 2 {
				t.Fatalf("Len %d, want 2", m.Len())
			}
		})
	}
}

// TestConsumerPanic: a panic in the consumer goes to OnPanic with the
// executor name, and delivery continues with the next value.
func TestConsumerPanic(t *testing.T) {
	type report struct {
		executor string
		r        any
	}
	var reports []report
	h := &Host{OnPanic: func(executor string, r any) { reports = append(reports, report{executor, r}) }}
	ex := &manualExec{}
	var got []int
	m := h.New(ex, 4, func(v any) {
		if v.(int) == 1 {
			panic("boom")
		}
		got = append(got, v.(int))
	}, "realm-7")
	for i := range 3 {
		if err := m.TryPut(i); err != nil {
			t.Fatalf("TryPut: %v", err)
		}
	}
	ex.runAll()
	if !slices.Equal(got, []int{0, 2}) || len(reports) != 1 || reports[0] != (report{"realm-7", "boom"}) {
		t.Fatalf("delivered %v, reports %v; want [0 2], one {realm-7 boom}", got, reports)
	}
}

// TestConsumerPanicWithoutOnPanic: with no OnPanic the panic is not
// recovered by the mailbox.
func TestConsumerPanicWithoutOnPanic(t *testing.T) {
	ex := &manualExec{}
	m := (&Host{}).New(ex, 1, func(any) { panic("boom") }, "x")
	if err := m.TryPut(0); err != nil {
		t.Fatalf("TryPut: %v", err)
	}
	var r any
	func() {
		defer func() { r = recover() }()
		ex.runAll()
	}()
	if r != "boom" {
		t.Fatalf("recovered %v around the executor, want boom", r)
	}
}

// TestRingReleasedWhenDrained: an emptied mailbox keeps a small ring only.
func TestRingReleasedWhenDrained(t *testing.T) {
	tests := []struct {
		name     string
		values   int
		wantRing int
	}{
		{"small_kept", 3, minRing},
		{"retain_kept", retain, retain},
		{"large_released", 100, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ex := &manualExec{}
			m := (&Host{}).New(ex, 1024, func(any) {}, "x")
			for i := range tt.values {
				if err := m.TryPut(i); err != nil {
					t.Fatalf("TryPut: %v", err)
				}
			}
			ex.runAll()
			if m.ring.Cap() != tt.wantRing {
				t.Fatalf("drained ring has %d slots, want %d", m.ring.Cap(), tt.wantRing)
			}
		})
	}
}

func TestNewPanicsOnNil(t *testing.T) {
	tests := []struct {
		name string
		ex   scheduler.Executor
		recv func(any)
	}{
		{"nil_executor", nil, func(any) {}},
		{"nil_recv", &manualExec{}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			defer func() {
				if recover() == nil {
					t.Fatal("New did not panic")
				}
			}()
			(&Host{}).New(tt.ex, 1, tt.recv, "x")
		})
	}
}

// TestConcurrentProducers: producers blocked on a small mailbox all get
// through, and each producer's order is kept.
func TestConcurrentProducers(t *testing.T) {
	const producers, each = 4, 500
	ex := newGoExec()
	last := make([]int, producers) // executor-confined
	for i := range last {
		last[i] = -1
	}
	var outOfOrder atomic.Int64
	var delivered atomic.Int64
	m := (&Host{}).New(ex, 3, func(v any) {
		p, i := v.([2]int)[0], v.([2]int)[1]
		if i != last[p]+1 {
			outOfOrder.Add(1)
		}
		last[p] = i
		delivered.Add(1)
	}, "x")
	var wg sync.WaitGroup
	errs := make(chan error, producers)
	for p := range producers {
		wg.Go(func() {
			for i := range each {
				if err := m.Put(context.Background(), [2]int{p, i}); err != nil {
					errs <- err
					return
				}
			}
		})
	}
	wg.Wait()
	ex.close()
	close(errs)
	for err := range errs {
		t.Fatalf("Put: %v", err)
	}
	if delivered.Load() != producers*each || outOfOrder.Load() != 0 {
		t.Fatalf("delivered %d of %d, %d out of producer order", delivered.Load(), producers*each, outOfOrder.Load())
	}
}
