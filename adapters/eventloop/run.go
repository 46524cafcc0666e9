package eventloop

import "runtime"

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

// goid returns the id of the calling goroutine, parsed from the header of
// its stack trace ("goroutine 123 [running]:"). It costs about a
// microsecond, so it is used only off the hot paths: Close, and Put on a
// full mailbox.
func goid() int64 {
	var buf [64]byte
	n := runtime.Stack(buf[:], false)
	const prefix = "goroutine "
	var id int64
	for _, c := range buf[len(prefix):n] {
		if c < '0' || c > '9' {
			break
		}
		id = id*10 + int64(c-'0')
	}
	return id
}

// onLoop reports whether the caller is the goroutine running the loop's
// tasks (so it must never wait for the loop).
func (l *Loop) onLoop() bool {
	id := l.goid.Load()
	return id != 0 && id == goid()
}
