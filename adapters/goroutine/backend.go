package goroutine

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

// Config configures a Backend. The zero value is ready to use.
type Config struct {
	// Logger receives panic reports from tasks, timer callbacks and mailbox
	// consumers. nil means slog.Default().
	Logger *slog.Logger

	// ExecutorQueueRetain is the capacity, in tasks, that an executor keeps
	// in each of its two queue buffers for reuse once it is drained; larger
	// buffers are released so an idle executor stays small. 0 means 16;
	// a negative value keeps nothing.
	ExecutorQueueRetain int
}

func (c Config) withDefaults() Config {
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
	if c.ExecutorQueueRetain == 0 {
		c.ExecutorQueueRetain = 16
	}
	if c.ExecutorQueueRetain < 0 {
		c.ExecutorQueueRetain = 0
	}
	return c
}

// Backend is the goroutine scheduling backend: an executor is an actor whose
// drainer goroutine exists only while it has queued work, each Spawn task
// gets its own goroutine, and timers are time.AfterFunc timers. All methods
// are safe for concurrent use from any goroutine, including from tasks.
type Backend struct {
	log    *slog.Logger
	report panics.Reporter
	retain int

	// closed is set first at Close; Post and AfterFunc read it on their fast
	// path. inflight is the authoritative gate for starting new work.
	closed   atomic.Bool
	inflight *inflight.Gate

	// base is cancelled with cause scheduler.ErrClosed at Close. Its Done
	// channel wakes Mailbox.Put callers.
	base       context.Context
	cancelBase context.CancelCauseFunc
	closeOnce  sync.Once

	// live holds the contexts of running spawned tasks, which Close
	// cancels; closing is set when Close collects them. Guarded by mu.
	mu      sync.Mutex
	live    ctxlist.List
	closing bool

	mailboxes mailbox.Host // shared by every mailbox of the backend
}

var _ scheduler.AsyncSupport = (*Backend)(nil)

// New returns a running Backend configured by cfg.
func New(cfg Config) *Backend {
	cfg = cfg.withDefaults()
	base, cancel := context.WithCancelCause(context.Background())
	b := &Backend{
		log:        cfg.Logger,
		report:     panics.Reporter{Log: cfg.Logger, Backend: "goroutine"},
		retain:     cfg.ExecutorQueueRetain,
		inflight:   inflight.New(),
		base:       base,
		cancelBase: cancel,
	}
	b.mailboxes = b.mailboxHost()
	return b
}

// Name returns "goroutine".
func (b *Backend) Name() string { return "goroutine" }

// Now returns time.Now(). Safe from any goroutine.
func (b *Backend) Now() time.Time { return time.Now() }

// Close stops the backend: Post returns false, Spawn returns ErrClosed,
// mailboxes refuse values and timers no longer run their callbacks. Spawned
// tasks' contexts are cancelled with cause scheduler.ErrClosed. Work already
// accepted is not dropped: executors drain the tasks queued before Close (so
// an acknowledged Post always runs), and mailbox values already queued are
// delivered. Close then waits for all of that, for spawned tasks and for
// running timer callbacks to return, so no goroutine of the backend remains.
//
// Close is idempotent and every call waits. It must not be called from a
// task, timer callback or mailbox consumer of this backend: it would wait
// for itself.
func (b *Backend) Close() error {
	b.closeOnce.Do(func() {
		b.closed.Store(true)
		b.mu.Lock()
		b.closing = true
		live := b.live.Nodes()
		b.mu.Unlock()
		b.cancelBase(scheduler.ErrClosed)
		for _, n := range live {
			n.Cancel(scheduler.ErrClosed)
		}
		b.inflight.Close()
	})
	<-b.inflight.Idle()
	return nil
}

// Spawn runs f on a new goroutine with a context derived from ctx (nil means
// context.Background()) that is also cancelled, with cause
// scheduler.ErrClosed, when the backend closes. A panic in f is recovered
// and logged. It returns scheduler.ErrClosed after Close.
func (b *Backend) Spawn(ctx context.Context, f func(context.Context)) error {
	if ctx == nil {
		ctx = context.Background()
	}
	if !b.inflight.Acquire() {
		return scheduler.ErrClosed
	}
	t := &spawnTask{f: f}
	t.node.Init(ctx)
	b.mu.Lock()
	b.live.Add(&t.node)
	closing := b.closing
	b.mu.Unlock()
	if closing { // accepted just as Close began: cancel like the others
		t.node.Cancel(scheduler.ErrClosed)
	}
	go b.runTask(t)
	return nil
}

// spawnTask is a running Spawn call; its node is its context.
type spawnTask struct {
	node ctxlist.Node
	f    func(context.Context)
}

func (b *Backend) runTask(t *spawnTask) {
	defer b.inflight.Release()
	defer b.endTask(t)
	defer b.report.Recover("spawn", "")
	t.f(&t.node)
}

// endTask unregisters t and releases its context.
func (b *Backend) endTask(t *spawnTask) {
	b.mu.Lock()
	b.live.Remove(&t.node)
	b.mu.Unlock()
	t.node.Cancel(nil)
}

// AfterFunc runs f on its own goroutine once d has elapsed, unless the
// returned Timer is stopped first or the backend has closed by then. The
// Timer is a *time.Timer: Stop reports whether it prevented the call. A
// panic in f is recovered and logged. After Close it returns a Timer that
// never fires.
func (b *Backend) AfterFunc(d time.Duration, f func()) scheduler.Timer {
	if b.closed.Load() {
		return stoppedTimer{}
	}
	return time.AfterFunc(d, func() {
		if !b.inflight.Acquire() {
			return
		}
		defer b.inflight.Release()
		defer b.report.Recover("timer", "")
		f()
	})
}

// stoppedTimer is the Timer of an AfterFunc call made after Close.
type stoppedTimer struct{}

func (stoppedTimer) Stop() bool { return false }
