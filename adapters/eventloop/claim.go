package eventloop

import (
	"github.com/petermattis/goid"

	"github.com/switchboard-wamp/switchboard/scheduler"
)

// Claims: a goroutine that hands work to an idle loop (a transport reader
// with a message for its realm) may run that work itself instead of waking
// the loop goroutine, which on a machine with few cores costs a thread
// wake-up and a sleep per message (runtime.futex, notewakeup, stopm in a
// profile). Executors implement scheduler.ExecutorClaimer for the whole
// loop: a claim wins turn, the right to run the loop's tasks, when no task
// is queued or running anywhere on the loop; for its length the claimer is
// the loop (OnLoop is true there, a full mailbox's Put returns ErrFull
// rather than wait), and tasks posted meanwhile queue without waking the
// loop goroutine (nor does a timer armed meanwhile). Release runs them too, as the loop would, up to
// claimDrain batches, then hands what is left and turn back. The loop's
// guarantees are unchanged: one task at a time, FIFO per executor, every
// accepted task runs; which goroutine runs a task was never one of them.

// claimable is the executor of a Loop made by New. A manual Loop's
// executors are not claimers: there, nothing runs outside a drive.
type claimable struct{ executor }

var _ scheduler.ExecutorClaimer = (*claimable)(nil)

// claimDrain bounds the batches Release runs before it leaves the rest to
// the loop goroutine, so that a claimer (a connection's reader) is not
// kept from its own connection by a busy loop.
const claimDrain = 4

// TryClaim implements scheduler.ExecutorClaimer: when the loop is idle
// (no task queued or running, and not closing), the caller becomes its
// runner until Release and reports true.
func (e *claimable) TryClaim() bool {
	l := e.l
	if l.isClosed.Load() || !l.turn.TryLock() {
		return false
	}
	l.mu.Lock()
	if l.closed || l.tasks.Queued() > 0 {
		l.mu.Unlock()
		l.turn.Unlock()
		return false
	}
	l.claimed = true
	l.mu.Unlock()
	l.goid.Store(goid.Get())
	l.claims.Add(1)
	l.begin(&e.site)
	return true
}

// Release implements scheduler.ExecutorClaimer: it runs the tasks posted
// during the claim (and those they post), up to claimDrain batches, then
// gives turn back, waking the loop goroutine when work is left or Close
// has begun. A runtime.Goexit in one of those tasks still gives turn back,
// with the rest of the batch left to the loop goroutine.
func (e *claimable) Release() {
	l := e.l
	defer l.endClaim()
	for range claimDrain {
		l.runBatch()
		if !l.take() {
			return
		}
	}
	l.runBatch()
}

// endClaim hands turn back to the loop goroutine.
func (l *Loop) endClaim() {
	l.cur.Store(nil)
	l.goid.Store(0)
	l.mu.Lock()
	l.claimed = false
	wake := l.tasks.Queued() > 0 || l.tasks.Pending() || l.closed || l.timerMoved
	l.timerMoved = false
	l.mu.Unlock()
	l.turn.Unlock()
	if wake {
		l.signal()
	}
}

// Claims returns how many times a goroutine other than the loop's has run
// the loop's work through a claim (scheduler.ExecutorClaimer). Safe from
// any goroutine.
func (l *Loop) Claims() int64 { return l.claims.Load() }
