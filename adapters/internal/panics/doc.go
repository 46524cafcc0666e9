// Package panics reports the panics that the scheduling backends recover
// from tasks, timer callbacks, mailbox consumers and offloaded work, in one
// format for all of them: an Error record "<backend>: task panicked;
// recovered" with the attributes kind, executor, panic and stack, and an
// optional counter.
//
// Usage, inside a backend:
//
//	b.report = panics.Reporter{Log: logger, Backend: "pool", Count: &b.panics}
//	func (b *Backend) runTask(f func()) {
//		defer b.report.Recover("spawn", "")
//		f()
//	}
package panics
