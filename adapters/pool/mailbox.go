package pool

import (
	"github.com/switchboard-wamp/switchboard/adapters/internal/mailbox"
	"github.com/switchboard-wamp/switchboard/scheduler"
)

// NewMailbox returns a bounded FIFO of capacity values (below 1 means 1)
// delivered one at a time, in order, to recv running on ex. The consumer is
// woken by posting a drain task to ex, which delivers up to 64 values and
// then re-posts itself so other work on ex is not starved. A panic in recv is
// recovered, logged and counted, and delivery continues. It panics if ex or
// recv is nil. Safe from any goroutine.
//
// Put waits while the mailbox is full until the consumer makes room, ctx
// ends, or the mailbox or the pool closes (scheduler.ErrClosed). It must not
// be called from a task on the mailbox's own executor while the mailbox may
// be full: the consumer could never make room. All methods of the mailbox
// are safe from any goroutine.
func (p *Pool) NewMailbox(ex scheduler.Executor, capacity int, recv func(any)) scheduler.Mailbox {
	if ex == nil || recv == nil {
		panic("pool: NewMailbox with nil executor or recv")
	}
	var name string // for panic logs, when ex is one of ours
	if s, ok := ex.(*strand); ok {
		name = s.name
	}
	return p.mailboxes.New(ex, capacity, recv, name)
}

// mailboxHost ties p's mailboxes to p: its closed flag refuses values, and
// Close wakes waiting Puts through base.
func (p *Pool) mailboxHost() mailbox.Host {
	return mailbox.Host{
		Closed:  &p.closed,
		Done:    p.base.Done(),
		OnPanic: func(executor string, r any) { p.report.Report("mailbox", executor, r) },
	}
}
