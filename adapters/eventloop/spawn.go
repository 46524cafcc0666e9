package eventloop

import (
	"context"

	"fmt"
	"github.com/switchboard-wamp/switchboard/adapters/internal/ctxlist"

	"github.com/switchboard-wamp/switchboard/scheduler"
)

// endCtx unregisters n and releases its context.
func (l *Loop) endCtx(n *ctxlist.Node) {
	l.mu.Lock()
	l.live.Remove(n)
	l.mu.Unlock()
	n.Cancel(nil)
}

// spawnTask is a queued or running Spawn call; its node is its context.
type spawnTask struct {
	node ctxlist.Node
	f    func(context.Context)
}

// Spawn queues f to run ON THE LOOP, with no handoff to another goroutine,
// with a context derived from ctx (nil means context.Background()) that is
// also cancelled, with cause scheduler.ErrClosed, when Close begins. This
// is what makes the event loop fast for non-blocking handlers; a handler
// that blocks holds every executor of the loop, which is a user error: the
// stall detector reports it, and Offload is the fix. A panic in f is
// recovered and logged. Spawn returns scheduler.ErrClosed after Close. Safe
// from any goroutine; from a loop task, f runs after that task returns.
func (l *Loop) Spawn(ctx context.Context, f func(context.Context)) error {
	if f == nil {
		panic("eventloop: Spawn(nil)")
	}
	if ctx == nil {
		ctx = context.Background()
	}
	if l.isClosed.Load() {
		return scheduler.ErrClosed
	}
	sp := &spawnTask{f: f}
	sp.node.Init(ctx)
	l.mu.Lock()
	if l.closed {
		l.mu.Unlock()
		sp.node.Cancel(nil)
		return scheduler.ErrClosed
	}
	l.live.Add(&sp.node)
	first := l.queueLocked(task{sp: sp, site: &l.spawnSite})
	l.mu.Unlock()
	if first {
		l.signal()
	}
	return nil
}

func (l *Loop) runSpawn(sp *spawnTask) {
	defer l.endCtx(&sp.node)
	sp.f(&sp.node)
}

// offloadJob is an accepted Offload call; its node is its context.
type offloadJob struct {
	node   ctxlist.Node
	work   func(context.Context) any
	resume func(any)
}

// Offload is the remedy for blocking work on the loop: it runs work on a
// helper goroutine, with a context derived from ctx (nil means
// context.Background()) and cancelled with cause scheduler.ErrClosed when
// Close begins, and then runs resume(result) back on the loop, serialised
// with every other task. Calling a blocking function (a database query, a
// sleep, a synchronous RPC) directly in a loop task is a user error; wrap
// it in Offload instead.
//
// At most Config.OffloadMax work functions run at once; further calls
// queue in FIFO order, so Offload itself never blocks. If work panics, the
// panic is logged and resume receives an error wrapping ErrOffloadPanic.
// Offloads accepted before Close complete: Close cancels their contexts,
// waits for work to return, and runs resume. It returns scheduler.ErrClosed
// after Close. In manual mode (NewManual) work runs inline, on the goroutine
// inside RunUntilIdle or Advance, so that runs stay deterministic; it must
// not wait for other loop work there. Safe from any goroutine.
func (l *Loop) Offload(ctx context.Context, work func(context.Context) any, resume func(any)) error {
	if work == nil || resume == nil {
		panic("eventloop: Offload with nil work or resume")
	}
	if ctx == nil {
		ctx = context.Background()
	}
	j := &offloadJob{work: work, resume: resume}
	j.node.Init(ctx)
	j.node.SetValue(helperKey{}, l)
	l.mu.Lock()
	if l.closed {
		l.mu.Unlock()
		j.node.Cancel(nil)
		return scheduler.ErrClosed
	}
	l.live.Add(&j.node)
	l.offloads++
	if l.manual {
		l.tasks.Push(task{f: func() { l.runJob(j) }, site: &l.offloadSite})
		l.mu.Unlock()
		return nil
	}
	l.pending = append(l.pending, j)
	start := l.helpers < l.offMax
	if start {
		l.helpers++
		l.helperWG.Add(1)
	}
	l.mu.Unlock()
	if start {
		go l.helper()
	}
	return nil
}

// helper runs queued offload jobs until none is left.
func (l *Loop) helper() {
	defer l.helperWG.Done()
	for {
		l.mu.Lock()
		if len(l.pending) == 0 {
			l.helpers--
			l.mu.Unlock()
			return
		}
		j := l.pending[0]
		l.pending[0] = nil
		l.pending = l.pending[1:]
		l.mu.Unlock()
		l.runJob(j)
	}
}

// runJob runs j's work and queues its resume, whatever happens to work: a
// panic is recovered, and a runtime.Goexit (which kills this helper) still
// queues the resume and hands the remaining jobs to a new helper.
func (l *Loop) runJob(j *offloadJob) {
	var v any
	normal := false
	defer func() {
		if r := recover(); r != nil {
			l.report.Report("offload", "", r)
			v, normal = fmt.Errorf("%w: %v", ErrOffloadPanic, r), true
		}
		if !normal {
			l.log.Error("eventloop: offloaded work called runtime.Goexit")
			v = fmt.Errorf("%w: work called runtime.Goexit", ErrOffloadPanic)
		}
		l.complete(j, v)
		if !normal {
			l.replaceHelper()
		}
	}()
	v = j.work(&j.node)
	normal = true
}

// complete releases j's context and queues resume(v) on the loop. It
// bypasses the closed check: an accepted offload always resumes.
func (l *Loop) complete(j *offloadJob, v any) {
	l.endCtx(&j.node)
	resume := j.resume
	l.mu.Lock()
	l.offloads--
	first := l.queueLocked(task{f: func() { resume(v) }, site: &l.offloadSite})
	l.mu.Unlock()
	if first {
		l.signal()
	}
}

// replaceHelper accounts for a helper killed by runtime.Goexit and starts
// another if jobs are waiting.
func (l *Loop) replaceHelper() {
	if l.manual {
		return
	}
	l.leaveHelper()
}

// leaveHelper uncounts the caller's helper and starts another if jobs are
// waiting and the count allows.
func (l *Loop) leaveHelper() {
	l.mu.Lock()
	l.helpers--
	start := len(l.pending) > 0 && l.helpers < l.offMax
	if start {
		l.helpers++
		l.helperWG.Add(1)
	}
	l.mu.Unlock()
	if start {
		go l.helper()
	}
}

// helperKey marks the context of offloaded work with its loop: WaitOutside
// knows the caller holds one of the loop's helpers.
type helperKey struct{}

// WaitOutside implements scheduler.OutsideWaiter: while f waits, the
// caller's helper does not count against OffloadMax (a queued job may
// start on a new helper); when f returns it counts again, so the helpers
// may briefly number one more than OffloadMax. In manual mode, and for a
// caller that is not offloaded work of l, it runs f.
func (l *Loop) WaitOutside(ctx context.Context, f func()) {
	if l.manual || ctx.Value(helperKey{}) != l {
		f()
		return
	}
	l.leaveHelper()
	defer func() {
		l.mu.Lock()
		l.helpers++
		l.mu.Unlock()
	}()
	f()
}
