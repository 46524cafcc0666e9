package eventloop

import "github.com/switchboard-wamp/switchboard/scheduler"

// Close stops the Loop. From the moment it begins, Post returns false,
// Spawn and Offload return scheduler.ErrClosed, mailboxes refuse values,
// AfterFunc returns a Timer that never fires and pending timers no longer
// fire. The contexts of spawned tasks and offloaded work are cancelled with
// cause scheduler.ErrClosed. Work already accepted is not dropped: queued
// tasks (including spawned tasks not yet started) still run, queued mailbox
// values are still delivered, and offloads in flight finish and resume, as
// on the goroutine backend, because an accepted Post is an acknowledged
// message. Close then waits until the loop, the stall watchdog and every
// offload helper goroutine have exited, and returns nil.
//
// Close is idempotent and every call waits, except a call made from a task
// on the loop (which would wait for itself): it starts the shutdown and
// returns ErrOnLoop at once; the loop stops after that task returns, and
// Done reports when it has. Close must not be called from offloaded work,
// which Close waits for. In manual mode, Close runs the remaining accepted
// work on the calling goroutine.
func (l *Loop) Close() error {
	l.closeOnce.Do(l.beginClose)
	if l.manual {
		return l.closeManual()
	}
	if l.onLoop() {
		return ErrOnLoop
	}
	<-l.stopped
	return nil
}

// beginClose refuses new work, cancels live contexts and wakes the loop so
// that it drains and exits.
func (l *Loop) beginClose() {
	l.mu.Lock()
	l.closed = true
	l.isClosed.Store(true)
	live := l.live.Nodes()
	l.mu.Unlock()
	l.cancelBase(scheduler.ErrClosed)
	for _, n := range live {
		n.Cancel(scheduler.ErrClosed)
	}
	l.signal()
}
