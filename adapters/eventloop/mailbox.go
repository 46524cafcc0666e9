package eventloop

import (
	"github.com/switchboard-wamp/switchboard/adapters/internal/mailbox"
	"github.com/switchboard-wamp/switchboard/scheduler"
)

// NewMailbox returns a bounded FIFO of capacity values (below 1 means 1)
// delivered one at a time, in order, to recv running on ex. The consumer is
// woken by posting a drain task to ex, which delivers up to 64 values and
// then re-posts itself so other work is not starved. A panic in recv is
// recovered, logged and counted, and delivery continues. It panics if ex or
// recv is nil. Safe from any goroutine.
//
// Put waits while the mailbox is full until there is room, its ctx ends, or
// the mailbox or the Loop closes (scheduler.ErrClosed). But Put never waits
// on the loop goroutine itself: only the loop can make room, so called from
// a loop task (or in manual mode) on a full mailbox it returns
// scheduler.ErrFull at once instead of deadlocking. "On the loop" is
// decided by goroutine identity, so a transport reader calling Put while the
// loop is busy still waits, which is the backpressure it needs. All methods
// of the mailbox are safe from any goroutine.
func (l *Loop) NewMailbox(ex scheduler.Executor, capacity int, recv func(any)) scheduler.Mailbox {
	if ex == nil || recv == nil {
		panic("eventloop: NewMailbox with nil executor or recv")
	}
	var name string // for panic logs, when ex is one of ours
	if e, ok := ex.(interface{ siteName() string }); ok {
		name = e.siteName()
	}
	return l.mailboxes.New(ex, capacity, recv, name)
}

// mailboxHost ties l's mailboxes to l: its closed flag refuses values,
// Close wakes waiting Puts through base, and a Put on a full mailbox never
// waits on the goroutine running the loop's tasks.
func (l *Loop) mailboxHost() mailbox.Host {
	return mailbox.Host{
		Closed:      &l.isClosed,
		Done:        l.base.Done(),
		MustNotWait: func() bool { return l.manual || l.onLoop() },
		OnPanic:     func(executor string, r any) { l.report.Report("mailbox", executor, r) },
	}
}
