package eventloop

import (
	"context"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/petermattis/goid"

	"github.com/switchboard-wamp/switchboard/adapters/internal/ctxlist"
	"github.com/switchboard-wamp/switchboard/adapters/internal/mailbox"
	"github.com/switchboard-wamp/switchboard/adapters/internal/panics"
	"github.com/switchboard-wamp/switchboard/adapters/internal/taskq"
	"github.com/switchboard-wamp/switchboard/internal/timerheap"
	"github.com/switchboard-wamp/switchboard/scheduler"
)

// site names what a task is, for panic and stall reports. Executors embed
// one; the other kinds share one per Loop. Immutable once created.
type site struct {
	kind string // "executor", "spawn", "timer", "offload"
	name string // executor name; empty for the other kinds
}

// task is one entry of the run queue: an executor task or offload resume
// (f), or a spawned task (sp).
type task struct {
	f    func()
	sp   *spawnTask
	site *site
}

// queueRetain is the capacity a drained run-queue buffer may keep; larger
// buffers (left by a burst) are released.
const queueRetain = 4096

// Loop is the event-loop scheduling backend: one goroutine runs every task
// of every executor, every spawned task, every timer callback and every
// Offload resume, one at a time. All methods are safe for concurrent use
// from any goroutine, including from tasks on the loop.
type Loop struct {
	log       *slog.Logger
	report    panics.Reporter // counts into panics
	manual    bool
	start     time.Time    // manual mode: the clock's origin
	offset    atomic.Int64 // manual mode: nanoseconds advanced since start
	threshold time.Duration
	offMax    int

	spawnSite, timerSite, offloadSite site

	wake chan struct{} // capacity 1: "the queue or the timer heap changed"

	mu sync.Mutex
	// tasks: the run queue is guarded by mu, the batch being run is owned
	// by the goroutine running tasks.
	tasks      taskq.Queue[task]
	timers     timerheap.Heap[*timer] // pending AfterFunc calls
	timerSeq   uint64                 // creation order, breaks deadline ties
	live       ctxlist.List           // spawned tasks and offloads whose ctx Close cancels
	pending    []*offloadJob          // offloads waiting for a helper goroutine, FIFO
	offloads   int                    // offloads accepted whose resume is not queued yet
	helpers    int                    // offload helper goroutines running
	closed     bool                   // Close has begun
	driving    bool                   // manual mode: inside RunUntilIdle, Advance or Close
	stopMarked bool                   // manual mode: stopped has been closed
	isClosed   atomic.Bool            // mirrors closed for lock-free fast paths
	helperWG   sync.WaitGroup
	closeOnce  sync.Once

	// base is cancelled with cause scheduler.ErrClosed at Close; its Done
	// channel also wakes Mailbox.Put callers.
	base       context.Context
	cancelBase context.CancelCauseFunc

	mailboxes mailbox.Host // shared by every mailbox of the Loop

	// Owned by the goroutine running tasks (the loop, or the manual driver).
	due     []*timer
	sleeper *time.Timer

	// goid is the id of the goroutine holding turn: the loop goroutine, a
	// claimer during its claim (claim.go), or in manual mode the goroutine
	// inside RunUntilIdle/Advance (0 while no one runs the loop's work).
	goid atomic.Int64
	// turn is held by whoever runs the loop's tasks: the loop goroutine
	// while it is awake, or a claimer (claim.go). The batch being run, the
	// due timers and the claim's bookkeeping belong to its holder.
	turn sync.Mutex
	// claimed (guarded by mu): a claimer holds turn. Tasks pushed meanwhile
	// do not wake the loop goroutine; the claimer runs them or wakes it.
	claimed bool
	// timerMoved (guarded by mu): a timer armed during a claim became the
	// earliest, so the loop goroutine must re-aim its sleep.
	timerMoved bool
	claims     atomic.Int64 // claims won, for Claims
	// gen counts task starts and cur is the site of the running task (nil
	// while idle); the stall watchdog samples both.
	gen     atomic.Uint64
	cur     atomic.Pointer[site]
	stalls  atomic.Int64
	longest atomic.Int64 // the longest stall seen, in nanoseconds (stall.go)
	panics  atomic.Int64

	loopExit chan struct{} // closed when the loop goroutine leaves its loop
	dogDone  chan struct{} // closed when the watchdog has exited
	stopped  chan struct{} // closed when the Loop has fully stopped
}

var _ scheduler.AsyncSupport = (*Loop)(nil)

func newLoop(cfg Config, manual bool) *Loop {
	cfg = cfg.withDefaults()
	base, cancel := context.WithCancelCause(context.Background())
	l := &Loop{
		log:         cfg.Logger,
		manual:      manual,
		threshold:   cfg.StallThreshold,
		offMax:      cfg.OffloadMax,
		spawnSite:   site{kind: "spawn"},
		timerSite:   site{kind: "timer"},
		offloadSite: site{kind: "offload"},
		wake:        make(chan struct{}, 1),
		base:        base,
		cancelBase:  cancel,
		loopExit:    make(chan struct{}),
		dogDone:     make(chan struct{}),
		stopped:     make(chan struct{}),
	}
	l.report = panics.Reporter{Log: cfg.Logger, Backend: "eventloop", Count: &l.panics}
	l.mailboxes = l.mailboxHost()
	return l
}

// New returns a running Loop: its loop goroutine, and its stall watchdog
// goroutine unless cfg disables it, are started here and exit at Close.
func New(cfg Config) *Loop {
	l := newLoop(cfg, false)
	l.sleeper = time.NewTimer(time.Hour)
	l.sleeper.Stop()
	go l.run(false)
	if l.threshold > 0 {
		go l.watchdog()
	} else {
		close(l.dogDone)
	}
	return l
}

// Name returns "eventloop".
func (l *Loop) Name() string { return "eventloop" }

// Now returns the loop's clock: time.Now(), or in manual mode the virtual
// time moved only by Advance. Safe from any goroutine.
func (l *Loop) Now() time.Time {
	if l.manual {
		return l.start.Add(time.Duration(l.offset.Load()))
	}
	return time.Now()
}

// Stalls returns how many times a task has held the loop longer than the
// stall threshold (each stall counts once). Safe from any goroutine.
func (l *Loop) Stalls() int64 { return l.stalls.Load() }

// Panics returns how many tasks, timer callbacks, mailbox consumer calls
// and offloaded work functions have panicked (each was recovered and
// logged). Safe from any goroutine.
func (l *Loop) Panics() int64 { return l.panics.Load() }

// Done returns a channel closed once the Loop has fully stopped after
// Close: every accepted task has run and no goroutine of the Loop remains.
func (l *Loop) Done() <-chan struct{} { return l.stopped }

// push appends t to the run queue unless the loop is closed. Safe from any
// goroutine.
func (l *Loop) push(t task) bool {
	l.mu.Lock()
	if l.closed {
		l.mu.Unlock()
		return false
	}
	first := l.queueLocked(t)
	l.mu.Unlock()
	if first {
		l.signal()
	}
	return true
}

// queueLocked appends t to the run queue, l.mu held, and reports whether
// the loop goroutine must be woken for it: t is the first task queued, and
// no claimer is running the loop's work (it runs t, or wakes the loop when
// it ends: claim.go).
func (l *Loop) queueLocked(t task) bool {
	return l.tasks.Push(t) == 1 && !l.claimed
}

// signal wakes the loop if it sleeps. The channel carries no data, only
// "look again": if a token is already pending the loop will look again
// anyway, so a second one is not needed.
func (l *Loop) signal() {
	select {
	case l.wake <- struct{}{}:
	default:
	}
}

// take makes the run queue the next batch: while the loop is busy two
// buffers alternate, whatever their size. It reports false when the queue
// is empty; the loop then keeps only buffers of at most queueRetain slots,
// so a burst's memory is released once it has drained.
func (l *Loop) take() bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.tasks.Take(queueRetain)
}

// run is the loop goroutine. It holds turn while it runs work and lets go
// of it before it sleeps, so that a claimer may run the loop's work on its
// own goroutine meanwhile. After a runtime.Goexit it is restarted holding
// turn (held).
func (l *Loop) run(held bool) {
	finished := false
	defer func() {
		if finished {
			l.finish()
			return
		}
		// A task called runtime.Goexit (t.FailNow in a handler, say). The
		// loop must survive it: a new loop goroutine takes over the rest of
		// the batch, and turn with it.
		l.log.Error("eventloop: task called runtime.Goexit; loop continues on a new goroutine")
		go l.run(true)
	}()
	me := goid.Get()
	for {
		if !held {
			l.turn.Lock()
		}
		held = true
		l.goid.Store(me)
		l.runBatch()
		if l.take() || l.fireDue(0) {
			continue
		}
		l.cur.Store(nil)
		l.goid.Store(0)
		held = false
		l.turn.Unlock()
		if l.sleep() {
			finished = true
			return
		}
	}
}

// sleep waits for work or the earliest timer deadline. It reports true
// when the loop should exit: Close has begun, the queue is empty and no
// offloaded work can still queue a resume.
func (l *Loop) sleep() (exit bool) {
	l.mu.Lock()
	if l.tasks.Queued() > 0 {
		l.mu.Unlock()
		return false
	}
	if l.closed && l.offloads == 0 && !l.claimed {
		l.mu.Unlock()
		return true
	}
	d := time.Duration(-1)
	if !l.closed && len(l.timers) > 0 {
		d = max(time.Until(l.timers[0].at), 0)
	}
	l.mu.Unlock()
	if d < 0 {
		<-l.wake
		return false
	}
	if d == 0 {
		return false
	}
	l.sleeper.Reset(d)
	select {
	case <-l.wake:
	case <-l.sleeper.C:
	}
	l.sleeper.Stop()
	return false
}

// finish runs on the loop goroutine after its last task: it stops the
// watchdog, waits for offload helpers and marks the Loop stopped.
func (l *Loop) finish() {
	l.cur.Store(nil)
	l.goid.Store(0)
	close(l.loopExit)
	<-l.dogDone
	l.helperWG.Wait()
	close(l.stopped)
}
