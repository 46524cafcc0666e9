// Package pool is the worker-pool scheduling backend: a fixed number of
// goroutines runs everything, so CPU and memory stay bounded however many
// sessions are connected.
//
// When to pick it: many sessions (thousands of executors), handlers whose
// concurrency must be capped, and fairness between busy and quiet sessions.
// Pick adapters/goroutine for the simplest model with freely blocking
// handlers, and adapters/eventloop for the lowest latency with non-blocking
// handlers.
//
// How it works:
//
//   - Spawned tasks (user handlers) run on Config.Workers goroutines
//     (default GOMAXPROCS), so with 10,000 sessions no more than Workers
//     handlers run at once. Waiting tasks sit in a FIFO bounded by
//     Config.QueueMax (default 65536). When it is full, Spawn returns
//     ErrQueueFull (wrapping scheduler.ErrFull) immediately: Spawn is
//     called from executor tasks, which must never block, and the engine
//     turns the error into an error answer. This is the pool's
//     backpressure.
//   - Executors are strands: a FIFO plus a "scheduled" flag. Only a strand's
//     "run me" token enters the ready lane, at most one per executor, so the
//     lane is bounded by the number of executors with work and Post never
//     blocks or fails on an open pool. Strands run on Config.ExecutorWorkers
//     goroutines (default GOMAXPROCS), never on two at once, at most 64
//     tasks per turn before yielding to the next ready executor.
//   - The two worker sets are separate on purpose. If handlers and
//     executors shared workers, Workers handlers each waiting for a result
//     that an executor must produce (a nested call through the same router,
//     say) would hold every worker, and the executor could never run: a
//     deadlock. With separate sets a blocked handler holds a handler
//     worker, never a realm.
//   - AfterFunc is time.AfterFunc; the callback only posts, and does not
//     run after Close.
//   - A Mailbox is a bounded ring whose consumer runs as batched tasks on
//     its executor; Put waits (honouring its context) while it is full.
//
// Panics in tasks, timer callbacks and mailbox consumers are recovered,
// logged with their stack and counted (Stats.Panics); the worker goes on.
// Close drains rather than drops: accepted posts run, queued spawned tasks
// run with their context cancelled, queued mailbox values are delivered;
// then the workers exit.
//
// Usage:
//
//	p := pool.New(pool.Config{Workers: 8, Logger: logger})
//	defer p.Close()
//	ex := p.NewExecutor("realm1")
//	ex.Post(func() { /* owns realm1's state */ })
//	if err := p.Spawn(ctx, handler); errors.Is(err, scheduler.ErrFull) {
//		// overloaded: answer with an error
//	}
//
// All exported methods are safe for concurrent use from any goroutine.
package pool
