package pool

import (
	"context"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/switchboard-wamp/switchboard/adapters/internal/ctxlist"
	"github.com/switchboard-wamp/switchboard/adapters/internal/inflight"
	"github.com/switchboard-wamp/switchboard/adapters/internal/mailbox"
	"github.com/switchboard-wamp/switchboard/adapters/internal/panics"
	"github.com/switchboard-wamp/switchboard/scheduler"
)

// Pool is the worker-pool scheduling backend: spawned tasks run on a fixed
// set of Workers goroutines fed by a bounded queue, and executors are
// strands multiplexed onto a fixed set of ExecutorWorkers goroutines. All
// methods are safe for concurrent use from any goroutine, including from
// tasks.
type Pool struct {
	log      *slog.Logger
	report   panics.Reporter // counts into panics
	queueMax int

	// closed is set first at Close; fast paths read it. inflight is the
	// authoritative gate for accepting new work: it counts scheduled
	// executors, queued or running spawned tasks and running timer
	// callbacks.
	closed   atomic.Bool
	inflight *inflight.Gate

	// base is cancelled with cause scheduler.ErrClosed at Close; its Done
	// channel also wakes Mailbox.Put callers.
	base       context.Context
	cancelBase context.CancelCauseFunc

	mu      sync.Mutex
	live    ctxlist.List // spawned tasks, queued or running
	closing bool         // Close has collected live; later tasks are cancelled at once

	strands *lane[*strand]
	spawns  *lane[*spawnTask]
	workers sync.WaitGroup

	running    atomic.Int64
	maxRunning atomic.Int64
	rejected   atomic.Int64
	panics     atomic.Int64

	closeOnce, stopOnce sync.Once

	mailboxes mailbox.Host // shared by every mailbox of the pool
}

var _ scheduler.AsyncSupport = (*Pool)(nil)

// New returns a running Pool: its Workers and ExecutorWorkers goroutines
// are started here and exit at Close.
func New(cfg Config) *Pool {
	cfg = cfg.withDefaults()
	base, cancel := context.WithCancelCause(context.Background())
	p := &Pool{
		log:        cfg.Logger,
		queueMax:   cfg.QueueMax,
		inflight:   inflight.New(),
		base:       base,
		cancelBase: cancel,
		strands:    newLane[*strand](),
		spawns:     newLane[*spawnTask](),
	}
	p.report = panics.Reporter{Log: cfg.Logger, Backend: "pool", Count: &p.panics}
	p.mailboxes = p.mailboxHost()
	p.workers.Add(cfg.Workers + cfg.ExecutorWorkers)
	for range cfg.Workers {
		go p.spawnWorker()
	}
	for range cfg.ExecutorWorkers {
		go p.strandWorker()
	}
	return p
}

// Name returns "pool".
func (p *Pool) Name() string { return "pool" }

// Now returns time.Now(). Safe from any goroutine.
func (p *Pool) Now() time.Time { return time.Now() }

// Stats returns a snapshot of the pool's load. Safe from any goroutine.
func (p *Pool) Stats() Stats {
	return Stats{
		QueueLen:       p.spawns.len(),
		Running:        int(p.running.Load()),
		MaxRunning:     int(p.maxRunning.Load()),
		Rejected:       p.rejected.Load(),
		ReadyExecutors: p.strands.len(),
		Panics:         p.panics.Load(),
	}
}

// Close stops the pool: Post returns false, Spawn returns
// scheduler.ErrClosed, mailboxes refuse values and timers no longer run
// their callbacks. Spawned tasks' contexts are cancelled with cause
// scheduler.ErrClosed. Work already accepted is not dropped, as on the
// goroutine backend: executors run the tasks queued before Close, spawned
// tasks still in the queue run (with their context already cancelled), and
// queued mailbox values are delivered. Close waits for all of that, then
// stops the workers, so no goroutine of the pool remains.
//
// Close is idempotent and every call waits. It must not be called from a
// task, timer callback or mailbox consumer of this pool: it would wait for
// itself.
func (p *Pool) Close() error {
	p.closeOnce.Do(p.beginClose)
	<-p.inflight.Idle()
	p.stopOnce.Do(func() {
		p.spawns.stop()
		p.strands.stop()
	})
	p.workers.Wait()
	return nil
}

func (p *Pool) beginClose() {
	p.closed.Store(true)
	p.mu.Lock()
	p.closing = true
	live := p.live.Nodes()
	p.mu.Unlock()
	p.cancelBase(scheduler.ErrClosed)
	for _, n := range live {
		n.Cancel(scheduler.ErrClosed)
	}
	p.inflight.Close()
}

// AfterFunc runs f once d has elapsed, on the runtime's timer goroutine
// (time.AfterFunc), unless the returned Timer is stopped first or the pool
// has closed by then; f must only post work. The Timer is a *time.Timer:
// Stop reports whether it prevented the call. A panic in f is recovered and
// logged. After Close it returns a Timer that never fires.
func (p *Pool) AfterFunc(d time.Duration, f func()) scheduler.Timer {
	if p.closed.Load() {
		return stoppedTimer{}
	}
	return time.AfterFunc(d, func() {
		if !p.inflight.Acquire() {
			return
		}
		defer p.inflight.Release()
		defer p.report.Recover("timer", "")
		f()
	})
}

// stoppedTimer is the Timer of an AfterFunc call made after Close.
type stoppedTimer struct{}

func (stoppedTimer) Stop() bool { return false }
