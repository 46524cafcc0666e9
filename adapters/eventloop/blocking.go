package eventloop

import (
	"context"

	"github.com/switchboard-wamp/switchboard/scheduler"
)

var _ scheduler.Loop = (*Loop)(nil)

// OnLoop reports whether the caller is the goroutine running the loop's
// tasks (the loop goroutine, or a claimer during its claim), where waiting
// for other loop work would deadlock. It costs a few nanoseconds. Safe from
// any goroutine.
func (l *Loop) OnLoop() bool {
	if l.cur.Load() == nil {
		return false // no task is running, so the caller is not inside one
	}
	return l.onLoop()
}

// SpawnBlocking runs f off the loop, as offloaded work (see Offload: at most
// Config.OffloadMax run at once, the rest wait in FIFO order), so f may
// block. Its ctx is cancelled at Close. In manual mode f runs inline and must
// not wait for loop work. Safe from any goroutine.
func (l *Loop) SpawnBlocking(ctx context.Context, f func(context.Context)) error {
	return l.Offload(ctx, func(ctx context.Context) any { f(ctx); return nil }, func(any) {})
}
