package eventloop

import (
	"time"

	"github.com/petermattis/goid"
)

// NewManual returns a Loop in manual mode, for deterministic tests: no
// goroutine is started, nothing runs until the caller drives the Loop with
// RunUntilIdle or Advance, and the clock, which reads start, moves only on
// Advance. Posting order alone then decides the run order, so a scenario
// replays identically. There is no stall detector in manual mode.
//
// A manual Loop is meant to be driven by one goroutine; its other methods
// remain safe from any goroutine. Mailbox.Put never waits in manual mode
// (nothing could make room while the driver waits): on a full mailbox it
// returns scheduler.ErrFull.
func NewManual(cfg Config, start time.Time) *Loop {
	l := newLoop(cfg, true)
	l.start = start
	close(l.dogDone)
	close(l.loopExit)
	return l
}

// RunUntilIdle runs, on the calling goroutine, every queued task and every
// timer already due (one timer at a time, in deadline order), until nothing
// is runnable. It panics on a Loop made by New, or when called from a task
// or while another goroutine is driving the Loop.
func (l *Loop) RunUntilIdle() {
	l.enter("RunUntilIdle")
	defer l.leave()
	l.settle()
}

// Advance runs until idle, then moves the clock forward by d (negative
// counts as 0), firing each timer that falls due on the way at its own
// deadline, in deadline order (ties in creation order), and running until
// idle after each. It panics like RunUntilIdle.
func (l *Loop) Advance(d time.Duration) {
	l.enter("Advance")
	defer l.leave()
	target := l.offset.Load() + int64(max(d, 0))
	for {
		l.settle()
		l.mu.Lock()
		if l.closed || len(l.timers) == 0 || l.timers[0].at.Sub(l.start) > time.Duration(target) {
			l.offset.Store(target)
			l.mu.Unlock()
			return
		}
		if at := int64(l.timers[0].at.Sub(l.start)); at > l.offset.Load() {
			l.offset.Store(at)
		}
		l.mu.Unlock()
	}
}

// settle runs queued tasks and due timers until none is left.
func (l *Loop) settle() {
	for {
		l.runBatch()
		if l.take() || l.fireDue(1) {
			continue
		}
		return
	}
}

func (l *Loop) enter(what string) {
	if !l.manual {
		panic("eventloop: " + what + " on a Loop made by New; use NewManual")
	}
	l.mu.Lock()
	if l.driving {
		l.mu.Unlock()
		panic("eventloop: " + what + " called while the Loop is already running tasks")
	}
	l.driving = true
	l.mu.Unlock()
	l.goid.Store(goid.Get())
}

// leave ends a drive; the first drive that ends closed and idle marks the
// Loop stopped.
func (l *Loop) leave() {
	l.goid.Store(0)
	l.cur.Store(nil)
	l.mu.Lock()
	l.driving = false
	stop := l.closed && l.tasks.Queued() == 0 && !l.stopMarked
	if stop {
		l.stopMarked = true
	}
	l.mu.Unlock()
	if stop {
		close(l.stopped)
	}
}

// closeManual drains accepted work on the caller, or, from a task, leaves
// that to the running drive.
func (l *Loop) closeManual() error {
	l.mu.Lock()
	driving := l.driving
	l.mu.Unlock()
	if driving {
		if l.onLoop() {
			return ErrOnLoop
		}
		<-l.stopped
		return nil
	}
	l.enter("Close")
	defer l.leave()
	l.settle()
	return nil
}
