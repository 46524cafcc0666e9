package mailbox

import (
	"sync"
)

// manualExec is an executor driven by the test: Post queues, run runs on
// the caller. With refuse set, Post reports false like a closed backend's.
type manualExec struct {
	mu     sync.Mutex
	q      []func()
	refuse bool
}

func (e *manualExec) Post(f func()) bool {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.refuse {
		return false
	}
	e.q = append(e.q, f)
	return true
}

func (e *manualExec) setRefuse() {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.refuse = true
}

// runOne runs the oldest queued task and reports whether there was one.
func (e *manualExec) runOne() bool {
	e.mu.Lock()
	if len(e.q) == 0 {
		e.mu.Unlock()
		return false
	}
	f := e.q[0]
	e.q = e.q[1:]
	e.mu.Unlock()
	f()
	return true
}

// runAll runs tasks until none is queued and returns how many ran.
func (e *manualExec) runAll() int {
	n := 0
	for e.runOne() {
		n++
	}
	return n
}

// goExec is a serial executor with its own goroutine, for the tests that
// need a consumer running concurrently with producers.
type goExec struct {
	mu     sync.Mutex
	cond   sync.Cond
	q      []func()
	closed bool
	done   chan struct{}
}

func newGoExec() *goExec {
	e := &goExec{done: make(chan struct{})}
	e.cond.L = &e.mu
	go e.run()
	return e
}

func (e *goExec) Post(f func()) bool {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.closed {
		return false
	}
	e.q = append(e.q, f)
	e.cond.Signal()
	return true
}

func (e *goExec) run() {
	defer close(e.done)
	for {
		e.mu.Lock()
		for len(e.q) == 0 && !e.closed {
			e.cond.Wait()
		}
		if len(e.q) == 0 {
			e.mu.Unlock()
			return
		}
		f := e.q[0]
		e.q = e.q[1:]
		e.mu.Unlock()
		f()
	}
}

// close refuses new tasks and waits until the queued ones have run.
func (e *goExec) close() {
	e.mu.Lock()
	e.closed = true
	e.cond.Signal()
	e.mu.Unlock()
	<-e.done
}
