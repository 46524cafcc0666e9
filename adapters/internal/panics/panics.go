package panics

import (
	"log/slog"
	"runtime/debug"
	"sync/atomic"
)

// Reporter logs, and optionally counts, recovered panics. Its fields are set
// once, before use; then its methods are safe from any goroutine.
type Reporter struct {
	// Log receives one Error record per panic; it must not be nil.
	Log *slog.Logger
	// Backend prefixes the message ("goroutine", "eventloop", "pool").
	Backend string
	// Count, when not nil, is incremented once per panic.
	Count *atomic.Int64
}

// Recover reports a panic of the calling task, if there is one, and stops
// it. It must be deferred directly (defer r.Recover(kind, executor)) so
// that recover sees the panic.
func (rep *Reporter) Recover(kind, executor string) {
	if r := recover(); r != nil {
		rep.Report(kind, executor, r)
	}
}

// Report counts and logs the recovered panic value r of a task of the
// given kind ("executor", "spawn", "timer", "mailbox", "offload") on the
// named executor (empty when there is none), with the stack of the calling
// goroutine: called while the panic is being recovered, that stack still
// shows where it was raised.
func (rep *Reporter) Report(kind, executor string, r any) {
	if rep.Count != nil {
		rep.Count.Add(1)
	}
	rep.Log.Error(rep.Backend+": task panicked; recovered",
		slog.String("kind", kind),
		slog.String("executor", executor),
		slog.Any("panic", r),
		slog.String("stack", string(debug.Stack())))
}
