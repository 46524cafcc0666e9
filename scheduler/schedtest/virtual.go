package schedtest

import (
	"context"
	"fmt"
	"log/slog"
	"maps"
	"math/rand"
	"runtime/debug"
	"slices"
	"sync"
	"time"

	"github.com/switchboard-wamp/switchboard/internal/timerheap"
	"github.com/switchboard-wamp/switchboard/scheduler"
)

// Virtual is a single-threaded scheduler.AsyncSupport with a virtual clock,
// for deterministic tests and simulations. Nothing runs until the test
// drives it: Post only queues; RunUntilIdle runs queued tasks, each step
// picking among the executors that have work with a seeded RNG (so one seed
// is one interleaving, replayable); Advance moves the clock and fires due
// timers. Time never advances on its own.
//
// Each executor stays FIFO and, the scheduler being single-threaded, never
// runs two tasks at once. A Spawn task runs as a queued item on a
// pseudo-executor of its own, so it must not block. Mailbox.Put cannot block
// the only thread: on a full mailbox it returns scheduler.ErrFull (see
// NewMailbox).
//
// Virtual is meant for one goroutine: the test's. Its methods are guarded by
// a mutex, so misuse from other goroutines is not a data race, but the
// interleaving is then no longer determined by the seed. Tasks may call any
// method except RunUntilIdle and Advance, which panic when re-entered.
type Virtual struct {
	mu       sync.Mutex
	seed     int64
	rng      *rand.Rand
	now      time.Time
	log      *slog.Logger
	runnable []*vexec // executors with queued work, in a deterministic order
	timers   timerheap.Heap[*vtimer]
	timerSeq uint64
	tasks    map[uint64]context.CancelCauseFunc // live Spawn tasks by id
	taskSeq  uint64
	closed   bool
	driving  bool // inside RunUntilIdle or Advance
	panics   int
}

var _ scheduler.AsyncSupport = (*Virtual)(nil)

// NewVirtual returns a Virtual whose clock reads start and whose choices
// among runnable executors follow seed.
func NewVirtual(seed int64, start time.Time) *Virtual {
	return &Virtual{
		seed:  seed,
		rng:   rand.New(rand.NewSource(seed)),
		now:   start,
		log:   slog.Default(),
		tasks: make(map[uint64]context.CancelCauseFunc),
	}
}

// Seed returns the seed the Virtual was created with; print it when a test
// fails so the interleaving can be replayed.
func (v *Virtual) Seed() int64 { return v.seed }

// SetLogger sets where panics of tasks are reported (default slog.Default()).
func (v *Virtual) SetLogger(l *slog.Logger) {
	v.mu.Lock()
	defer v.mu.Unlock()
	if l == nil {
		l = slog.Default()
	}
	v.log = l
}

// Panics returns how many tasks, timer callbacks and mailbox consumer calls
// have panicked (each was recovered and logged).
func (v *Virtual) Panics() int {
	v.mu.Lock()
	defer v.mu.Unlock()
	return v.panics
}

// Harness returns the Conformance harness for v.
func (v *Virtual) Harness() Harness {
	return Harness{Backend: v, Virtual: true, Settle: v.RunUntilIdle, Advance: v.Advance}
}

// Name returns "virtual".
func (v *Virtual) Name() string { return "virtual" }

// Now returns the virtual clock.
func (v *Virtual) Now() time.Time {
	v.mu.Lock()
	defer v.mu.Unlock()
	return v.now
}

// vexec is one executor's FIFO.
type vexec struct {
	v      *Virtual
	name   string
	q      []func()
	queued bool // in v.runnable
}

// NewExecutor returns an executor whose tasks run only inside RunUntilIdle
// and Advance.
func (v *Virtual) NewExecutor(name string) scheduler.Executor {
	return &vexec{v: v, name: name}
}

// Post queues f; it returns false after Close. f must not be nil.
func (e *vexec) Post(f func()) bool {
	if f == nil {
		panic("schedtest: Post(nil)")
	}
	v := e.v
	v.mu.Lock()
	defer v.mu.Unlock()
	if v.closed {
		return false
	}
	v.pushLocked(e, f)
	return true
}

func (v *Virtual) pushLocked(e *vexec, f func()) {
	e.q = append(e.q, f)
	if !e.queued {
		e.queued = true
		v.runnable = append(v.runnable, e)
	}
}

// Spawn queues f on a pseudo-executor of its own, with a context derived
// from ctx (nil means context.Background()) and cancelled, with cause
// scheduler.ErrClosed, at Close. It returns scheduler.ErrClosed after Close.
func (v *Virtual) Spawn(ctx context.Context, f func(context.Context)) error {
	if ctx == nil {
		ctx = context.Background()
	}
	v.mu.Lock()
	defer v.mu.Unlock()
	if v.closed {
		return scheduler.ErrClosed
	}
	tctx, cancel := context.WithCancelCause(ctx)
	v.taskSeq++
	id := v.taskSeq
	v.tasks[id] = cancel
	e := &vexec{v: v, name: fmt.Sprintf("spawn-%d", id)}
	v.pushLocked(e, func() {
		defer v.endTask(id)
		f(tctx)
	})
	return nil
}

func (v *Virtual) endTask(id uint64) {
	v.mu.Lock()
	cancel := v.tasks[id]
	delete(v.tasks, id)
	v.mu.Unlock()
	if cancel != nil {
		cancel(nil)
	}
}

// RunUntilIdle runs queued tasks, and timers due at the current virtual
// time, until none is left. It panics if called from inside a task.
func (v *Virtual) RunUntilIdle() {
	v.enter("RunUntilIdle")
	defer v.leave()
	for v.step() {
	}
}

// Advance runs until idle, then moves the clock forward by d (negative
// counts as 0), firing each timer that falls due on the way at its own
// deadline, in deadline order (ties in creation order), and running until
// idle after each. It panics if called from inside a task.
func (v *Virtual) Advance(d time.Duration) {
	v.enter("Advance")
	defer v.leave()
	v.mu.Lock()
	target := v.now.Add(max(d, 0))
	v.mu.Unlock()
	for {
		for v.step() {
		}
		v.mu.Lock()
		if len(v.timers) == 0 || v.timers[0].at.After(target) {
			v.now = target
			v.mu.Unlock()
			return
		}
		if at := v.timers[0].at; at.After(v.now) {
			v.now = at
		}
		v.mu.Unlock()
	}
}

func (v *Virtual) enter(what string) {
	v.mu.Lock()
	defer v.mu.Unlock()
	if v.driving {
		panic("schedtest: Virtual." + what + " called while the Virtual is already running tasks")
	}
	v.driving = true
}

func (v *Virtual) leave() {
	v.mu.Lock()
	v.driving = false
	v.mu.Unlock()
}

// step runs one unit of work: a task from a randomly chosen runnable
// executor, or else the earliest due timer. It reports false when idle.
func (v *Virtual) step() bool {
	v.mu.Lock()
	if n := len(v.runnable); n > 0 {
		i := v.rng.Intn(n)
		e := v.runnable[i]
		f := e.q[0]
		e.q[0] = nil
		e.q = e.q[1:]
		if len(e.q) == 0 {
			e.q, e.queued = nil, false
			v.runnable[i] = v.runnable[n-1]
			v.runnable[n-1] = nil
			v.runnable = v.runnable[:n-1]
		}
		v.mu.Unlock()
		v.run("executor", e.name, f)
		return true
	}
	if len(v.timers) > 0 && !v.timers[0].at.After(v.now) {
		t := popTimer(&v.timers)
		v.mu.Unlock()
		v.run("timer", "", t.f)
		return true
	}
	v.mu.Unlock()
	return false
}

// run calls f, recovering and logging a panic.
func (v *Virtual) run(kind, name string, f func()) {
	defer func() {
		r := recover()
		if r == nil {
			return
		}
		v.mu.Lock()
		v.panics++
		log := v.log
		v.mu.Unlock()
		log.Error("schedtest: task panicked; recovered",
			slog.String("kind", kind),
			slog.String("executor", name),
			slog.Any("panic", r),
			slog.Int64("seed", v.seed),
			slog.String("stack", string(debug.Stack())))
	}()
	f()
}

// Close stops the Virtual: Post returns false, Spawn returns ErrClosed,
// mailboxes refuse values, and pending timers are discarded. Spawned tasks'
// contexts are cancelled with cause scheduler.ErrClosed. Work already queued
// is not dropped: Close runs it until idle (when called from inside a task,
// the running RunUntilIdle or Advance does). Idempotent.
func (v *Virtual) Close() error {
	v.mu.Lock()
	if v.closed {
		v.mu.Unlock()
		return nil
	}
	v.closed = true
	for _, t := range v.timers {
		t.index = -1
	}
	v.timers = nil
	cancels := make([]context.CancelCauseFunc, 0, len(v.tasks))
	for _, id := range slices.Sorted(maps.Keys(v.tasks)) {
		cancels = append(cancels, v.tasks[id])
	}
	driving := v.driving
	v.mu.Unlock()
	for _, c := range cancels {
		c(scheduler.ErrClosed)
	}
	if !driving {
		v.RunUntilIdle()
	}
	return nil
}
