package eventloop

import "github.com/petermattis/goid"

// runBatch runs the rest of the batch, surviving panics: runSome stops at
// a panic and the loop resumes after the panicking task.
func (l *Loop) runBatch() {
	for l.tasks.Pending() {
		l.runSome()
	}
}

func (l *Loop) runSome() {
	defer l.recoverTask()
	for t, ok := l.tasks.Next(); ok; t, ok = l.tasks.Next() {
		l.begin(t.site)
		if t.sp != nil {
			l.runSpawn(t.sp)
		} else {
			t.f()
		}
	}
}

// begin marks the start of a task for the stall watchdog and panic logs.
func (l *Loop) begin(s *site) {
	l.gen.Add(1)
	l.cur.Store(s)
}

// recoverTask logs a panic of the running task. It must be deferred
// directly so that recover sees the panic.
func (l *Loop) recoverTask() {
	if r := recover(); r != nil {
		s := l.cur.Load()
		if s == nil {
			s = &site{kind: "unknown"}
		}
		l.report.Report(s.kind, s.name, r)
	}
}

// onLoop reports whether the caller is the goroutine running the loop's
// tasks (so it must never wait for the loop): the loop goroutine, a
// claimer, or a manual drive. goid.Get reads the goroutine's id from the
// runtime in a few nanoseconds (parsing runtime.Stack, as this package
// once did, cost 1-5 µs).
func (l *Loop) onLoop() bool {
	id := l.goid.Load()
	return id != 0 && id == goid.Get()
}
