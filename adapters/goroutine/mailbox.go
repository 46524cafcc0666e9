package goroutine

import (
	"github.com/switchboard-wamp/switchboard/adapters/internal/mailbox"
	"github.com/switchboard-wamp/switchboard/scheduler"
)

// NewMailbox returns a bounded FIFO of capacity values (below 1 means 1)
// delivered one at a time, in order, to recv running on ex. Delivery is
// batched: one task on ex delivers up to 64 values, then re-posts itself so
// other work on ex is not starved. A panic in recv is recovered and logged,
// and delivery continues. Order among concurrent producers is the order in
// which their Put/TryPut calls win the mailbox lock; each producer's own
// order is preserved. It panics if ex or recv is nil.
//
// Put waits while the mailbox is full, until there is room, its ctx ends,
// or the mailbox or the backend closes (scheduler.ErrClosed). It must not
// be called from a task on the mailbox's own executor while the mailbox may
// be full: the consumer could never make room. All methods of the mailbox
// are safe from any goroutine.
func (b *Backend) NewMailbox(ex scheduler.Executor, capacity int, recv func(any)) scheduler.Mailbox {
	if ex == nil || recv == nil {
		panic("goroutine: NewMailbox with nil executor or recv")
	}
	var name string // for panic logs, when ex is one of ours
	if e, ok := ex.(*executor); ok {
		name = e.name
	}
	return b.mailboxes.New(ex, capacity, recv, name)
}

// mailboxHost ties b's mailboxes to b: its closed flag refuses values, and
// Close wakes waiting Puts through base.
func (b *Backend) mailboxHost() mailbox.Host {
	return mailbox.Host{
		Closed:  &b.closed,
		Done:    b.base.Done(),
		OnPanic: func(executor string, r any) { b.report.Report("mailbox", executor, r) },
	}
}
