// Package goroutine is the goroutine scheduling backend: the simplest
// implementation of scheduler.AsyncSupport, and the one to pick when user
// handlers may block.
//
//   - An Executor is an actor: a mutex-guarded FIFO drained by a goroutine
//     that exists only while the FIFO is non-empty. Posting to an idle
//     executor starts a drainer; the drainer takes the whole queue at once,
//     runs it, and exits when nothing is left. An idle executor (one per
//     realm or session) therefore costs a small struct and no goroutine.
//   - Spawn starts one goroutine per task; its context is cancelled with the
//     caller's context and at Close (cause scheduler.ErrClosed).
//   - AfterFunc is time.AfterFunc; callbacks do not run after Close.
//   - A Mailbox is a bounded ring whose consumer runs as batched tasks on an
//     executor; Put blocks (honouring its context) while the ring is full.
//
// Panics in tasks, timer callbacks and mailbox consumers are recovered and
// logged with log/slog (kind, executor name, panic value, stack); the
// executor keeps draining.
//
// Close drains rather than drops: tasks accepted by Post before Close still
// run, and queued mailbox values are still delivered, because an accepted
// Post is an acknowledged message. Close waits for all of it and for
// spawned tasks, so no goroutine of the backend survives it.
//
// Usage:
//
//	b := goroutine.New(goroutine.Config{Logger: logger})
//	defer b.Close()
//	ex := b.NewExecutor("realm1")
//	ex.Post(func() { /* owns realm1's state */ })
//
// All exported methods are safe for concurrent use from any goroutine.
package goroutine
