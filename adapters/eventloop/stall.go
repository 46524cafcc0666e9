package eventloop

import (
	"log/slog"
	"time"
)

// watchdog is the stall detector's goroutine. Every threshold/2 it samples
// the loop's task counter and current task: when the same task is seen
// running for at least the threshold, it logs one warning and counts one
// stall. Sampling keeps the loop's own cost to two atomic stores per task
// (no clock read); the price is resolution: a task is always reported once
// it has held the loop for 1.5 thresholds, and may be reported from 1
// threshold on. The reported duration is how long the watchdog saw the task
// running, a lower bound. It exits when the loop goroutine does.
func (l *Loop) watchdog() {
	defer close(l.dogDone)
	tick := time.NewTicker(max(l.threshold/2, time.Millisecond))
	defer tick.Stop()
	var (
		gen      uint64
		since    time.Time
		reported bool
	)
	for {
		select {
		case <-l.loopExit:
			return
		case now := <-tick.C:
			g, cur := l.gen.Load(), l.cur.Load()
			if cur == nil || g != gen {
				gen, since, reported = g, now, false
				continue
			}
			held := now.Sub(since)
			if reported {
				l.noteStall(held) // the stall goes on: its length grows
				continue
			}
			if held >= l.threshold {
				reported = true
				l.stalls.Add(1)
				l.noteStall(held)
				l.log.Warn("eventloop: a task is holding the loop; use Offload for blocking work",
					slog.String("kind", cur.kind),
					slog.String("executor", cur.name),
					slog.Duration("held", held),
					slog.Duration("threshold", l.threshold))
			}
		}
	}
}

// noteStall records held as the longest stall if it is. Watchdog goroutine
// (the only writer).
func (l *Loop) noteStall(held time.Duration) {
	if int64(held) > l.longest.Load() {
		l.longest.Store(int64(held))
	}
}

// LongestStall returns the longest time the watchdog saw one task hold
// the loop, among the stalls it reported (0 when none was): like the
// duration in the stall's log line a lower bound, sampled every half
// threshold while the task kept holding the loop. Safe from any goroutine.
func (l *Loop) LongestStall() time.Duration { return time.Duration(l.longest.Load()) }
