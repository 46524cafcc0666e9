package eventloop

import "github.com/switchboard-wamp/switchboard/scheduler"

// executor is a logical executor: its tasks go to the loop's run queue
// tagged with its site. The loop runs one task at a time in queue order, so
// FIFO per executor and "never two at once" hold by construction.
type executor struct {
	l    *Loop
	site site
}

// NewExecutor returns a serial executor on the loop. name identifies it in
// panic and stall reports. An executor costs one small struct and no
// goroutine. After Close it returns an executor whose Post reports false.
// On a Loop made by New the executor is also a scheduler.ExecutorClaimer
// (claim.go).
func (l *Loop) NewExecutor(name string) scheduler.Executor {
	e := executor{l: l, site: site{kind: "executor", name: name}}
	if l.manual {
		return &e
	}
	return &claimable{e}
}

// siteName is the executor's name, for the mailboxes it serves.
func (e *executor) siteName() string { return e.site.name }

// Post appends f to the loop's run queue. It never blocks and returns false
// once Close has begun; a task accepted (true) always runs, even if Close
// follows. f must not be nil. Safe from any goroutine, including from a
// task on the loop, in which case f runs after the current task returns.
func (e *executor) Post(f func()) bool {
	if f == nil {
		panic("eventloop: Post(nil)")
	}
	if e.l.isClosed.Load() {
		return false
	}
	return e.l.push(task{f: f, site: &e.site})
}
