package schedtest

import (
	"context"

	"github.com/switchboard-wamp/switchboard/scheduler"
)

// vmailbox is a Virtual's bounded FIFO. It delivers one value per task on
// its executor, so that its deliveries interleave with the executor's other
// work at the finest grain the seed can explore.
type vmailbox struct {
	v         *Virtual
	ex        scheduler.Executor
	recv      func(any)
	capacity  int
	q         []any
	scheduled bool
	closed    bool
	deliverFn func()
}

// NewMailbox returns a bounded FIFO of capacity values (below 1 means 1)
// delivered in order to recv on ex, one value per executor task. Because the
// Virtual is single-threaded, Put never waits: on a full mailbox it returns
// scheduler.ErrFull like TryPut (after checking ctx), and the test drives
// the consumer with RunUntilIdle. It panics if ex or recv is nil.
func (v *Virtual) NewMailbox(ex scheduler.Executor, capacity int, recv func(any)) scheduler.Mailbox {
	if ex == nil || recv == nil {
		panic("schedtest: NewMailbox with nil executor or recv")
	}
	m := &vmailbox{v: v, ex: ex, recv: recv, capacity: max(capacity, 1)}
	m.deliverFn = m.deliver
	return m
}

// Put enqueues v if there is room; otherwise it returns ctx's error if ctx
// is done, else scheduler.ErrFull. scheduler.ErrClosed after Close of the
// mailbox or the Virtual.
func (m *vmailbox) Put(ctx context.Context, v any) error {
	err := m.TryPut(v)
	if err == scheduler.ErrFull {
		if cerr := ctx.Err(); cerr != nil {
			return cerr
		}
	}
	return err
}

// TryPut enqueues v without waiting: scheduler.ErrFull when full,
// scheduler.ErrClosed after Close of the mailbox or the Virtual.
func (m *vmailbox) TryPut(v any) error {
	m.v.mu.Lock()
	closed := m.closed || m.v.closed
	full := len(m.q) >= m.capacity
	post := !closed && !full && !m.scheduled
	if !closed && !full {
		m.q = append(m.q, v)
		m.scheduled = true
	}
	m.v.mu.Unlock()
	switch {
	case closed:
		return scheduler.ErrClosed
	case full:
		return scheduler.ErrFull
	}
	if post && !m.ex.Post(m.deliverFn) {
		m.v.mu.Lock()
		m.q = m.q[:len(m.q)-1]
		m.scheduled = false
		m.v.mu.Unlock()
		return scheduler.ErrClosed
	}
	return nil
}

// Len reports the number of values not yet handed to recv.
func (m *vmailbox) Len() int {
	m.v.mu.Lock()
	defer m.v.mu.Unlock()
	return len(m.q)
}

// Close stops accepting values; queued ones are still delivered.
func (m *vmailbox) Close() {
	m.v.mu.Lock()
	defer m.v.mu.Unlock()
	m.closed = true
}

// deliver hands one value to recv and re-posts itself while values remain;
// if the executor refuses (the Virtual is closing), it delivers the rest
// inline so that no queued value is lost.
func (m *vmailbox) deliver() {
	for {
		m.v.mu.Lock()
		if len(m.q) == 0 {
			m.q, m.scheduled = nil, false
			m.v.mu.Unlock()
			return
		}
		val := m.q[0]
		m.q[0] = nil
		m.q = m.q[1:]
		m.v.mu.Unlock()
		m.v.run("mailbox", "", func() { m.recv(val) })
		m.v.mu.Lock()
		more := len(m.q) > 0
		if !more {
			m.q, m.scheduled = nil, false
		}
		m.v.mu.Unlock()
		if !more || m.ex.Post(m.deliverFn) {
			return
		}
	}
}
