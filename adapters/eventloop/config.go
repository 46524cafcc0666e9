package eventloop

import (
	"errors"
	"log/slog"
	"time"
)

// ErrOnLoop is returned by Close when it is called from a task running on
// the loop. Close then starts the shutdown but cannot wait for it (it would
// wait for itself); wait on Done from another goroutine if needed.
var ErrOnLoop = errors.New("eventloop: Close called from a loop task; shutdown started, not awaited")

// ErrOffloadPanic is the error that Offload hands to resume when the
// offloaded work panicked (the panic itself is logged with its stack).
var ErrOffloadPanic = errors.New("eventloop: offloaded work panicked")

// DefaultStallThreshold is the StallThreshold used when Config leaves it 0.
const DefaultStallThreshold = 100 * time.Millisecond

// DefaultOffloadMax is the OffloadMax used when Config leaves it 0.
const DefaultOffloadMax = 64

// Config configures a Loop. The zero value is ready to use.
//
// There is deliberately no option to lock the loop to its OS thread. Measured
// here (BenchmarkExecutorPost/roundtrip_idle, 2 cores), a wake-up round trip
// costs about 0.7 µs on an unlocked loop and about 17 µs with
// runtime.LockOSThread, because every wake-up becomes an OS thread handoff;
// pure Go work gains nothing from the lock.
type Config struct {
	// Logger receives panic reports (Error) and stall reports (Warn). nil
	// means slog.Default().
	Logger *slog.Logger

	// StallThreshold is how long one task may hold the loop before the
	// stall detector reports it. 0 means DefaultStallThreshold; a negative
	// value disables the detector (and its watchdog goroutine). Ignored by
	// NewManual.
	StallThreshold time.Duration

	// OffloadMax bounds how many Offload work functions run at once on
	// helper goroutines; further calls queue (Offload never blocks). 0
	// means DefaultOffloadMax; a negative value means 1.
	OffloadMax int
}

func (c Config) withDefaults() Config {
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
	if c.StallThreshold == 0 {
		c.StallThreshold = DefaultStallThreshold
	}
	if c.OffloadMax == 0 {
		c.OffloadMax = DefaultOffloadMax
	}
	if c.OffloadMax < 0 {
		c.OffloadMax = 1
	}
	return c
}
