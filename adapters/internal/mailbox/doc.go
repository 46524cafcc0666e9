// Package mailbox is the one implementation of scheduler.Mailbox behind
// the scheduling backends (adapters/goroutine, adapters/eventloop,
// adapters/pool): a bounded FIFO of values whose consumer runs as
// delivery tasks posted to an Executor, so no goroutine ever waits for
// values.
//
// What differs between the backends is in a Host, one per backend, shared
// by all of its mailboxes:
//  1. Closed, the backend's closed flag: once set, Put and TryPut refuse
//     values with scheduler.ErrClosed.
//  2. Done, closed when the backend closes: it wakes Puts waiting for room.
//  3. MustNotWait, asked before a Put on a full mailbox would wait: the
//     event loop answers true on its own goroutine, which alone could make
//     room, and Put then returns scheduler.ErrFull instead of deadlocking.
//  4. OnPanic, which reports a recovered panic of the consumer.
//  5. Batch, how many values one delivery task hands over before it
//     re-posts itself so that other work on the executor is not starved.
//
// Usage, inside a backend (one Host per backend, made at New):
//
//	b.mailboxes = mailbox.Host{
//		Closed:  &b.closed,     // set at Close before base is cancelled
//		Done:    b.base.Done(), // wakes waiting Puts at Close
//		OnPanic: func(executor string, r any) { b.report.Report("mailbox", executor, r) },
//	}
//	func (b *Backend) NewMailbox(ex scheduler.Executor, capacity int, recv func(any)) scheduler.Mailbox {
//		return b.mailboxes.New(ex, capacity, recv, executorName(ex))
//	}
//
// Delivery never drops a value: when the executor no longer accepts the
// re-posted delivery task (its backend is closing), the running task keeps
// delivering instead.
package mailbox
