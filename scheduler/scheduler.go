// Package scheduler defines AsyncSupport, the one interface through which
// Switchboard's engine and client do anything asynchronous: spawn tasks, run
// serial executors, arm timers, read the clock, and pass values through
// bounded mailboxes. The protocol core never starts a goroutine, creates a
// timer or reads the clock itself; a backend (package adapters/goroutine,
// adapters/eventloop, adapters/pool) implements this interface, and the user
// picks one when constructing an Application or a client.
//
// Duties of every implementation (checked by schedtest.Conformance):
//  1. Work posted to one Executor runs one item at a time, in posting order.
//  2. Timer callbacks run at most once; Stop before firing prevents the call.
//  3. A Spawn task's context is cancelled when the caller's context is, and
//     at Close.
//  4. Close stops accepting work, waits for running work, and leaks no
//     goroutine.
package scheduler

import (
	"context"
	"errors"
	"time"
)

// ErrClosed is returned (or reported as false) when work is posted to a
// scheduler, executor or mailbox that has been closed.
var ErrClosed = errors.New("scheduler: closed")

// ErrFull is returned when a bounded mailbox has no room and the caller asked
// not to wait.
var ErrFull = errors.New("scheduler: mailbox full")

// AsyncSupport is a scheduling backend. All methods are safe for concurrent
// use from any goroutine, including from inside tasks the backend runs.
type AsyncSupport interface {
	// Name identifies the backend in logs and benchmarks ("goroutine", ...).
	Name() string

	// Now returns the backend's current time: the only clock the engine reads.
	Now() time.Time

	// AfterFunc arranges for f to run once, after d, on a backend goroutine.
	// f must not block; by convention it only posts to an Executor.
	AfterFunc(d time.Duration, f func()) Timer

	// NewExecutor returns a serial executor: posted work runs one item at a
	// time, in order. name appears in logs and stall reports.
	NewExecutor(name string) Executor

	// Spawn runs f as an independent task (a user handler, a blocking
	// lookup). ctx is passed to f; f must honour its cancellation. Spawn does
	// not wait for f. It returns ErrClosed after Close.
	Spawn(ctx context.Context, f func(context.Context)) error

	// NewMailbox returns a bounded FIFO of capacity items whose values are
	// delivered, one at a time and in order, to recv running on ex. The
	// consumer is woken by the backend; no goroutine blocks waiting for it.
	NewMailbox(ex Executor, capacity int, recv func(any)) Mailbox

	// Close stops the backend: no new work is accepted, spawned tasks' contexts
	// are cancelled, and Close waits for running work to return. Idempotent.
	Close() error
}

// Executor runs posted functions serially, in FIFO order, never two at once.
type Executor interface {
	// Post enqueues f. It never blocks and returns false if the executor (or
	// its backend) is closed. Safe from any goroutine, including from f.
	Post(f func()) bool
}

// Timer is a pending AfterFunc call.
type Timer interface {
	// Stop prevents the call if it has not started; it reports whether it did.
	Stop() bool
}

// Mailbox is a bounded queue feeding one consumer on an Executor.
type Mailbox interface {
	// Put enqueues v, waiting while the mailbox is full until there is room,
	// ctx is done, or the mailbox is closed. Use it from producers that may
	// block (transport readers): it turns a full mailbox into backpressure.
	Put(ctx context.Context, v any) error
	// TryPut enqueues v without waiting; ErrFull when there is no room.
	TryPut(v any) error
	// Len reports the number of queued, undelivered values.
	Len() int
	// Close stops accepting values; values already queued are still delivered.
	Close()
}

// ErrWouldBlock is returned by APIs that would wait for the backend's own
// work while running on an event loop's goroutine, where that wait could
// never end. Run the caller as blocking work (SpawnBlocking, or a handler
// registered as blocking), or call from another goroutine.
var ErrWouldBlock = errors.New("scheduler: blocking wait on the event loop would deadlock")

// Loop is implemented by backends that run tasks on one shared goroutine
// that must never block (the event loop). Code that may wait uses it
// through the package functions OnLoop and SpawnBlocking, which work on
// every backend.
type Loop interface {
	// OnLoop reports whether the caller runs on the loop's goroutine.
	OnLoop() bool
	// SpawnBlocking runs f like Spawn, but off the loop, so f may block.
	SpawnBlocking(ctx context.Context, f func(context.Context)) error
}

// OnLoop reports whether the caller runs on as's event-loop goroutine,
// where waiting for other work of as would deadlock. It is false on
// backends without a loop.
func OnLoop(as AsyncSupport) bool {
	l, ok := as.(Loop)
	return ok && l.OnLoop()
}

// SpawnBlocking runs f as a task that may block: off the loop on an event
// loop backend, and like Spawn on every other backend.
func SpawnBlocking(as AsyncSupport, ctx context.Context, f func(context.Context)) error {
	if l, ok := as.(Loop); ok {
		return l.SpawnBlocking(ctx, f)
	}
	return as.Spawn(ctx, f)
}

// OutsideWaiter is implemented by backends that run blocking tasks on a
// bounded set of goroutines (the pool's workers, the event loop's offload
// helpers). See WaitOutside.
type OutsideWaiter interface {
	// WaitOutside runs f, during which the task whose context is ctx
	// does not count against the backend's bound.
	WaitOutside(ctx context.Context, f func())
}

// WaitOutside runs f, which waits for something no task of as produces
// (a network peer's answer: a client's AUTHENTICATE), so that a task
// calling it does not hold a bounded worker meanwhile: on the pool and the
// event loop's helpers another task may use the caller's place until f
// returns; once it returns, the caller runs again when a place is free
// again (pool) or at once (event loop helpers, which may then briefly
// number one more than their bound). ctx must be the calling task's
// context or derived from it; for any other caller, and on the other
// backends, WaitOutside just runs f.
func WaitOutside(as AsyncSupport, ctx context.Context, f func()) {
	if w, ok := as.(OutsideWaiter); ok && ctx != nil {
		w.WaitOutside(ctx, f)
		return
	}
	f()
}

// ExecutorClaimer is implemented by executors that the calling goroutine
// may run itself while they are idle: a message handed from a transport
// reader to an idle executor is then handled on the reader's goroutine,
// with no other goroutine woken. The pool's strands implement it, and the
// event loop's executors (a claim there is a claim of the whole loop, which
// must be idle). The goroutine backend's do not: there the work would grow
// the stack of each handler's fresh goroutine instead of a drainer's, and
// side by side it saved no CPU (interleaved bench, median of 3 runs: 1.23×
// the CPU of an in-process call).
type ExecutorClaimer interface {
	// TryClaim makes the caller the executor's runner when the executor
	// is open and has no task queued or running, and reports whether it
	// did. Until Release, tasks posted to the executor queue behind the
	// claim, and the caller may run the executor's work itself.
	TryClaim() bool
	// Release ends a claim; the tasks posted meanwhile then run as usual.
	Release()
}

// RunOrPost runs f at once on the calling goroutine, as a task of ex,
// when ex is an ExecutorClaimer that is idle; otherwise it posts f. It
// reports false when ex is closed. The caller must hold no lock that f
// may need, and be free to do ex's work (a task that is about to end, a
// transport reader). A panic in f reaches the caller, the claim released.
func RunOrPost(ex Executor, f func()) bool {
	if c, ok := ex.(ExecutorClaimer); ok && c.TryClaim() {
		defer c.Release()
		f()
		return true
	}
	return ex.Post(f)
}

// InlineMailbox is implemented by mailboxes that can deliver a value on
// the producer's goroutine when their executor is an idle
// ExecutorClaimer.
type InlineMailbox interface {
	// PutInline is Put, except that when neither the mailbox nor its
	// executor has work, v (and whatever is put meanwhile, up to one
	// batch) is delivered on the calling goroutine before PutInline
	// returns. The caller must hold no lock the consumer may need.
	PutInline(ctx context.Context, v any) error
}

// PutInline puts v in mb, delivering it on the calling goroutine when mb
// is an InlineMailbox and can (see InlineMailbox).
func PutInline(mb Mailbox, ctx context.Context, v any) error {
	if im, ok := mb.(InlineMailbox); ok {
		return im.PutInline(ctx, v)
	}
	return mb.Put(ctx, v)
}
