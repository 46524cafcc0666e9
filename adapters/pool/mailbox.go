package pool

import (
	"context"
	"sync"

	"github.com/switchboard-wamp/switchboard/scheduler"
)

// mailboxBatch is how many values one drain task delivers before it yields
// the executor to other queued work by re-posting itself.
const mailboxBatch = 64

// mailboxRetain is the ring size an empty mailbox keeps; a larger ring is
// released when the mailbox drains, so idle mailboxes stay small.
const mailboxRetain = 16

// mailbox is a bounded FIFO whose consumer runs as drain tasks posted to an
// executor; no goroutine waits for values. The ring grows on demand up to
// capacity.
type mailbox struct {
	p        *Pool
	ex       scheduler.Executor
	recv     func(any)
	exName   string // for panic logs, when ex is one of ours
	capacity int
	drainFn  func() // m.drain, bound once so scheduling does not allocate

	mu        sync.Mutex
	ring      []any
	head, n   int           // n counts undelivered values
	scheduled bool          // a drain task is posted or running
	closed    bool          // Close was called
	room      chan struct{} // non-nil while a Put waits; closed on room or Close
}

// NewMailbox returns a bounded FIFO of capacity values (below 1 means 1)
// delivered one at a time, in order, to recv running on ex. The consumer is
// woken by posting a drain task to ex, which delivers up to 64 values and
// then re-posts itself so other work on ex is not starved. A panic in recv is
// recovered and logged, and delivery continues. It panics if ex or recv is
// nil. Safe from any goroutine.
func (p *Pool) NewMailbox(ex scheduler.Executor, capacity int, recv func(any)) scheduler.Mailbox {
	if ex == nil || recv == nil {
		panic("pool: NewMailbox with nil executor or recv")
	}
	m := &mailbox{p: p, ex: ex, recv: recv, capacity: max(capacity, 1)}
	if s, ok := ex.(*strand); ok {
		m.exName = s.name
	}
	m.drainFn = m.drain
	return m
}

// Put enqueues v, waiting while the mailbox is full until the consumer
// makes room, ctx ends, or the mailbox or the pool closes. It returns nil
// once v is queued, ctx's error if ctx ends first, and scheduler.ErrClosed
// if the mailbox or the pool is closed (before or while waiting). With room
// available it succeeds even if ctx is already done. It must not be called
// from a task on the mailbox's own executor while the mailbox may be full:
// the consumer could never make room. Safe from any goroutine.
func (m *mailbox) Put(ctx context.Context, v any) error {
	for {
		m.mu.Lock()
		if m.closed || m.p.closed.Load() {
			m.mu.Unlock()
			return scheduler.ErrClosed
		}
		if m.n < m.capacity {
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
		select {
		case <-room:
		case <-ctx.Done():
			return ctx.Err()
		case <-m.p.base.Done():
		}
	}
}

// TryPut enqueues v without waiting: scheduler.ErrFull when the mailbox
// holds capacity undelivered values, scheduler.ErrClosed after Close of the
// mailbox or the pool. Safe from any goroutine.
func (m *mailbox) TryPut(v any) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.closed || m.p.closed.Load() {
		return scheduler.ErrClosed
	}
	if m.n >= m.capacity {
		return scheduler.ErrFull
	}
	return m.pushLocked(v)
}

// pushLocked appends v and schedules a drain if none is pending. m.mu held,
// room checked.
func (m *mailbox) pushLocked(v any) error {
	if m.n == len(m.ring) {
		m.grow()
	}
	i := m.head + m.n
	if i >= len(m.ring) {
		i -= len(m.ring)
	}
	if !m.scheduled {
		if !m.ex.Post(m.drainFn) {
			return scheduler.ErrClosed
		}
		m.scheduled = true
	}
	m.ring[i] = v
	m.n++
	return nil
}

// grow doubles the ring (at least 8, at most capacity), keeping order.
func (m *mailbox) grow() {
	size := min(max(2*len(m.ring), 8), m.capacity)
	ring := make([]any, size)
	for i := range m.n {
		j := m.head + i
		if j >= len(m.ring) {
			j -= len(m.ring)
		}
		ring[i] = m.ring[j]
	}
	m.ring, m.head = ring, 0
}

// Len reports the number of queued values not yet handed to recv. Safe from
// any goroutine.
func (m *mailbox) Len() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.n
}

// Close stops accepting values and wakes waiting Put calls, which return
// scheduler.ErrClosed. Values already queued are still delivered.
// Idempotent; safe from any goroutine.
func (m *mailbox) Close() {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.closed = true
	m.wakeLocked()
}

func (m *mailbox) wakeLocked() {
	if m.room != nil {
		close(m.room)
		m.room = nil
	}
}

// drain runs on m.ex and delivers queued values in order, up to
// mailboxBatch per task.
func (m *mailbox) drain() {
	for i := 0; ; i++ {
		m.mu.Lock()
		if m.n == 0 {
			m.scheduled = false
			if len(m.ring) > mailboxRetain {
				m.ring, m.head = nil, 0
			}
			m.mu.Unlock()
			return
		}
		// Yield to other work. If the executor no longer accepts tasks
		// (pool closing), keep delivering here instead: queued values are
		// never dropped.
		if i >= mailboxBatch && m.ex.Post(m.drainFn) {
			m.mu.Unlock()
			return
		}
		v := m.ring[m.head]
		m.ring[m.head] = nil
		m.head++
		if m.head == len(m.ring) {
			m.head = 0
		}
		m.n--
		m.wakeLocked()
		m.mu.Unlock()
		m.deliver(v)
	}
}

func (m *mailbox) deliver(v any) {
	defer m.p.recoverPanic("mailbox", m.exName)
	m.recv(v)
}
