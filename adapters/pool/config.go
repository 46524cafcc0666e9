package pool

import (
	"fmt"
	"log/slog"
	"runtime"

	"github.com/switchboard-wamp/switchboard/scheduler"
)

// ErrQueueFull is returned by Spawn when QueueMax spawned tasks are already
// waiting for a worker. It wraps scheduler.ErrFull, so
// errors.Is(err, scheduler.ErrFull) holds. Spawn never blocks instead: its
// caller is usually an executor task, which must not wait.
var ErrQueueFull = fmt.Errorf("pool: spawn queue full: %w", scheduler.ErrFull)

// DefaultQueueMax is the QueueMax used when Config leaves it 0.
const DefaultQueueMax = 65536

// turnMax is how many tasks an executor runs per turn on a worker before it
// goes to the back of the ready queue, so that one busy executor cannot
// starve the others.
const turnMax = 64

// strandRetain is the capacity, in tasks, that an idle executor keeps in
// each of its two queue buffers; larger buffers are released.
const strandRetain = 16

// Config configures a Pool. The zero value is ready to use.
type Config struct {
	// Logger receives panic reports. nil means slog.Default().
	Logger *slog.Logger

	// Workers is the number of goroutines that run spawned tasks (user
	// handlers): at most Workers of them run at once. 0 means
	// runtime.GOMAXPROCS(0); a negative value means 1.
	Workers int

	// ExecutorWorkers is the number of goroutines that run executor tasks,
	// separately from Workers so that handlers blocked on work an executor
	// must do (a nested call through the same router) can never starve it.
	// 0 means runtime.GOMAXPROCS(0); a negative value means 1.
	ExecutorWorkers int

	// QueueMax bounds the spawned tasks waiting for a worker; Spawn returns
	// ErrQueueFull beyond it. 0 means DefaultQueueMax; a negative value
	// means 1.
	QueueMax int
}

func (c Config) withDefaults() Config {
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
	c.Workers = orDefault(c.Workers, runtime.GOMAXPROCS(0))
	c.ExecutorWorkers = orDefault(c.ExecutorWorkers, runtime.GOMAXPROCS(0))
	c.QueueMax = orDefault(c.QueueMax, DefaultQueueMax)
	return c
}

func orDefault(v, def int) int {
	switch {
	case v == 0:
		return def
	case v < 0:
		return 1
	}
	return v
}

// Stats is a snapshot of a Pool's load, from Pool.Stats.
type Stats struct {
	// QueueLen is the number of spawned tasks waiting for a worker.
	QueueLen int
	// Running is the number of spawned tasks running now (at most Workers).
	Running int
	// MaxRunning is the high-water mark of Running since New.
	MaxRunning int
	// Rejected counts Spawn calls refused with ErrQueueFull.
	Rejected int64
	// ReadyExecutors is the number of executors with work waiting for an
	// executor worker.
	ReadyExecutors int
	// Panics counts recovered panics of tasks, timer callbacks and mailbox
	// consumers.
	Panics int64
}
