package eventloop

import (
	"container/heap"
	"time"

	"github.com/switchboard-wamp/switchboard/scheduler"
)

// timer is one pending AfterFunc call. at, seq and index are guarded by
// Loop.mu; f is immutable.
type timer struct {
	l     *Loop
	at    time.Time
	seq   uint64
	f     func()
	index int // position in the heap; -1 once fired, stopped or never armed
}

// AfterFunc arranges for f to run on the loop once d has elapsed on the
// loop's clock (d <= 0: as soon as the loop gets to it). Timers fire in
// deadline order, ties in creation order. Stop reports whether it removed
// the timer before the loop took it to run. After Close it returns a Timer
// that never fires, and timers still pending at Close never fire. A panic
// in f is recovered and logged. Safe from any goroutine.
func (l *Loop) AfterFunc(d time.Duration, f func()) scheduler.Timer {
	t := &timer{l: l, f: f, index: -1}
	l.mu.Lock()
	if l.closed {
		l.mu.Unlock()
		return t
	}
	t.at = l.Now().Add(max(d, 0))
	l.timerSeq++
	t.seq = l.timerSeq
	heap.Push(&l.timers, t)
	first := t.index == 0
	if first && l.claimed { // the claim's end wakes the loop to re-aim its sleep
		l.timerMoved, first = true, false
	}
	l.mu.Unlock()
	if first {
		l.signal()
	}
	return t
}

// Stop removes the timer if the loop has not taken it to run, and reports
// whether it did. Safe from any goroutine, including from f itself.
func (t *timer) Stop() bool {
	l := t.l
	l.mu.Lock()
	defer l.mu.Unlock()
	if t.index < 0 {
		return false
	}
	heap.Remove(&l.timers, t.index)
	return true
}

// fireDue runs timers whose deadline has passed, in deadline order: all of
// them, or at most limit when limit > 0. It reports whether any ran. Timers
// do not fire once Close has begun.
func (l *Loop) fireDue(limit int) bool {
	now := l.Now()
	l.mu.Lock()
	if !l.closed {
		for len(l.timers) > 0 && !l.timers[0].at.After(now) && (limit <= 0 || len(l.due) < limit) {
			l.due = append(l.due, heap.Pop(&l.timers).(*timer))
		}
	}
	l.mu.Unlock()
	if len(l.due) == 0 {
		return false
	}
	for i, t := range l.due {
		if t == nil { // fired before a runtime.Goexit restarted the loop
			continue
		}
		l.due[i] = nil
		l.fire(t)
	}
	l.due = l.due[:0]
	return true
}

func (l *Loop) fire(t *timer) {
	defer l.recoverTask()
	l.begin(&l.timerSite)
	t.f()
}

// Deadline implements timerheap.Timer.
func (t *timer) Deadline() (time.Time, uint64) { return t.at, t.seq }

// SetIndex implements timerheap.Timer.
func (t *timer) SetIndex(i int) { t.index = i }
