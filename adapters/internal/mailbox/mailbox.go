package mailbox

import (
	"context"
	"sync"
	"sync/atomic"

	"github.com/switchboard-wamp/switchboard/adapters/internal/ring"
	"github.com/switchboard-wamp/switchboard/scheduler"
)

// DefaultBatch is the Host.Batch used when it is 0: how many values one
// delivery task hands to the consumer before it yields the executor.
const DefaultBatch = 64

// retain is the ring size an empty mailbox keeps; a larger ring is released
// when the mailbox drains, so idle mailboxes stay small.
const retain = 16

// minRing is the smallest ring a mailbox allocates (capacity permitting).
const minRing = 8

// Host is what a backend shares with all of its mailboxes: how the backend's
// closing reaches them and what they must ask of it. The zero value serves a
// backend that never closes, lets every Put wait and does not recover panics
// of the consumer. A Host must not change once its first mailbox exists.
type Host struct {
	// Closed is the backend's closed flag: while it reads true, Put and
	// TryPut return scheduler.ErrClosed. nil means only Mailbox.Close
	// closes a mailbox.
	Closed *atomic.Bool

	// Done is closed when the backend closes, after Closed reads true; it
	// wakes Puts waiting for room, which then see Closed. nil means they
	// wait on.
	Done <-chan struct{}

	// MustNotWait is asked, outside the mailbox's lock, when a Put finds
	// the mailbox full and would wait; true makes Put return
	// scheduler.ErrFull at once. nil means Put always waits.
	MustNotWait func() bool

	// OnPanic receives the value of a panic in a consumer, recovered, with
	// the executor name given to New; delivery then goes on with the next
	// value. It runs on the consumer's executor. nil means panics are not
	// recovered.
	OnPanic func(executor string, r any)

	// Batch is how many values one delivery task hands to the consumer
	// before it re-posts itself. 0 (or less) means DefaultBatch.
	Batch int
}

// Mailbox is a bounded FIFO whose consumer runs as delivery tasks posted to
// an executor. The ring grows on demand up to capacity. All methods are
// safe for concurrent use from any goroutine.
type Mailbox struct {
	host     *Host
	ex       scheduler.Executor
	recv     func(any)
	exName   string // for panic reports
	capacity int
	drainFn  func() // m.drain, bound once so scheduling does not allocate

	mu        sync.Mutex
	ring      ring.Ring[any] // undelivered values
	scheduled bool           // a delivery task is posted or running
	closed    bool           // Close was called
	room      chan struct{}  // non-nil while a Put waits; closed on room or Close
}

var _ scheduler.Mailbox = (*Mailbox)(nil)

// New returns a mailbox of capacity values (below 1 means 1) delivered one
// at a time, in order, to recv running on ex. exName names ex in panic
// reports. Order among concurrent producers is the order in which their
// Put/TryPut calls take the mailbox's lock; each producer's own order is
// preserved. It panics if ex or recv is nil. Safe from any goroutine.
func (h *Host) New(ex scheduler.Executor, capacity int, recv func(any), exName string) *Mailbox {
	if ex == nil || recv == nil {
		panic("mailbox: New with nil executor or recv")
	}
	m := &Mailbox{host: h, ex: ex, recv: recv, exName: exName, capacity: max(capacity, 1)}
	m.drainFn = m.drain
	return m
}

// Put enqueues v, waiting while the mailbox is full until the consumer
// makes room, ctx ends, or the mailbox or its backend closes. It returns
// nil once v is queued, ctx's error if ctx ends first, scheduler.ErrClosed
// if the mailbox or the backend is closed (before or while waiting), and
// scheduler.ErrFull when it would wait but the Host's MustNotWait says the
// caller must not. With room available it succeeds even if ctx is already
// done. Safe from any goroutine; a caller on the mailbox's own executor
// must not wait (the consumer could never make room).
func (m *Mailbox) Put(ctx context.Context, v any) error {
	for {
		m.mu.Lock()
		if m.closed || m.host.closed() {
			m.mu.Unlock()
			return scheduler.ErrClosed
		}
		if m.ring.Len() < m.capacity {
			err := m.pushLocked(v)
			m.mu.Unlock()
			return err
		}
		if err := ctx.Err(); err != nil {
			m.mu.Unlock()
			return err
		}
		if m.room == nil {
			m.room = make(chan struct{})
		}
		room := m.room
		m.mu.Unlock()
		if m.host.MustNotWait != nil && m.host.MustNotWait() {
			return scheduler.ErrFull
		}
		select {
		case <-room:
		case <-ctx.Done():
			return ctx.Err()
		case <-m.host.Done:
		}
	}
}

// PutInline implements scheduler.InlineMailbox: when the mailbox has no
// delivery pending and its executor is an idle scheduler.ExecutorClaimer,
// the caller claims the executor and delivers v, and up to a batch of the
// values put meanwhile, itself; otherwise it is Put.
func (m *Mailbox) PutInline(ctx context.Context, v any) error {
	c, ok := m.ex.(scheduler.ExecutorClaimer)
	if !ok {
		return m.Put(ctx, v)
	}
	m.mu.Lock()
	idle := !m.scheduled && !m.closed && !m.host.closed()
	m.mu.Unlock()
	if !idle || !c.TryClaim() {
		return m.Put(ctx, v)
	}
	claimed := true
	defer func() {
		if claimed {
			c.Release()
		}
	}()
	m.mu.Lock()
	if m.closed || m.host.closed() {
		m.mu.Unlock()
		return scheduler.ErrClosed
	}
	if m.scheduled { // another producer came between: v queues behind
		if m.ring.Len() < m.capacity {
			err := m.pushLocked(v) // its delivery runs after the claim
			m.mu.Unlock()
			return err
		}
		m.mu.Unlock()
		claimed = false
		c.Release() // a wait for room must not hold the executor
		return m.Put(ctx, v)
	}
	m.scheduled = true // Puts from now on queue behind v
	m.ring.Push(v, minRing, m.capacity)
	m.mu.Unlock()
	m.drain() // the claim makes this the executor's task
	return nil
}

// TryPut enqueues v without waiting: scheduler.ErrFull when the mailbox
// holds capacity undelivered values, scheduler.ErrClosed after Close of the
// mailbox or the backend. Safe from any goroutine.
func (m *Mailbox) TryPut(v any) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.closed || m.host.closed() {
		return scheduler.ErrClosed
	}
	if m.ring.Len() >= m.capacity {
		return scheduler.ErrFull
	}
	return m.pushLocked(v)
}

func (h *Host) closed() bool { return h.Closed != nil && h.Closed.Load() }

// pushLocked appends v and posts a delivery task if none is pending; if the
// executor refuses it, v is not queued and ErrClosed is returned. m.mu
// held, room checked.
func (m *Mailbox) pushLocked(v any) error {
	if !m.scheduled {
		if !m.ex.Post(m.drainFn) {
			return scheduler.ErrClosed
		}
		m.scheduled = true
	}
	m.ring.Push(v, minRing, m.capacity)
	return nil
}

// Len reports the number of queued values not yet handed to the consumer.
// Safe from any goroutine.
func (m *Mailbox) Len() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.ring.Len()
}

// Close stops accepting values and wakes waiting Put calls, which return
// scheduler.ErrClosed. Values already queued are still delivered.
// Idempotent; safe from any goroutine.
func (m *Mailbox) Close() {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.closed = true
	m.wakeLocked()
}

// wakeLocked releases the Puts waiting for room. m.mu held.
func (m *Mailbox) wakeLocked() {
	if m.room != nil {
		close(m.room)
		m.room = nil
	}
}

// drain runs on m.ex and delivers queued values in order, up to the Host's
// batch per task.
func (m *Mailbox) drain() {
	batch := m.host.Batch
	if batch <= 0 {
		batch = DefaultBatch
	}
	for i := 0; ; i++ {
		m.mu.Lock()
		if m.ring.Len() == 0 {
			m.scheduled = false
			m.ring.Release(retain)
			m.mu.Unlock()
			return
		}
		// Yield to other work on the executor. If the executor no longer
		// accepts tasks (its backend is closing), keep delivering here
		// instead: queued values are never dropped.
		if i >= batch && m.ex.Post(m.drainFn) {
			m.mu.Unlock()
			return
		}
		v := m.ring.Pop()
		m.wakeLocked()
		m.mu.Unlock()
		m.deliver(v)
	}
}

func (m *Mailbox) deliver(v any) {
	if m.host.OnPanic != nil {
		defer m.recoverRecv()
	}
	m.recv(v)
}

// recoverRecv reports a panic of the consumer. It must be deferred directly
// so that recover sees the panic.
func (m *Mailbox) recoverRecv() {
	if r := recover(); r != nil {
		m.host.OnPanic(m.exName, r)
	}
}
