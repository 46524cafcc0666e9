package schedtest

import (
	"sync"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/switchboard-wamp/switchboard/scheduler"
)

// Harness is what Conformance needs to drive one backend instance.
type Harness struct {
	// Backend is the scheduler under test. Conformance closes it when the
	// subtest ends.
	Backend scheduler.AsyncSupport

	// Virtual marks a single-threaded backend that runs work only inside
	// Settle and Advance. Subtests that need a goroutine to stay blocked
	// (a Put waiting for room, a task waiting for cancellation) are not
	// registered for it. Settle and Advance must be set when Virtual is.
	Virtual bool

	// Settle runs all runnable work, and timers already due, until nothing
	// is runnable. nil for real-time backends, whose work runs by itself.
	Settle func()

	// Advance moves the backend's clock forward by d, firing due timers in
	// deadline order and settling after each. nil for real-time backends:
	// real time passes by itself.
	Advance func(d time.Duration)
}

// guardTimeout bounds every wait on a real-time backend. It only turns a
// hang into a failure; no assertion depends on how fast work runs.
const guardTimeout = 10 * time.Second

// Conformance runs the scheduler conformance suite: one subtest per duty
// stated in package scheduler. newHarness is called once per subtest and
// must return a fresh, open backend; Conformance closes it.
//
// Every subtest checks, after Close, that the backend leaked no goroutine
// (go.uber.org/goleak, ignoring goroutines that existed when the subtest
// started). The subtests therefore run sequentially, and Conformance must
// not run in parallel with other tests of the same process.
func Conformance(t *testing.T, newHarness func(t *testing.T) Harness) {
	virtual := isVirtual(t, newHarness)
	for _, c := range cases() {
		if c.realOnly && virtual {
			continue
		}
		t.Run(c.name, func(t *testing.T) {
			ignore := goleak.IgnoreCurrent()
			t.Cleanup(func() { goleak.VerifyNone(t, ignore) })
			e := newEnv(t, newHarness(t))
			c.run(e)
		})
	}
}

// isVirtual asks a throwaway harness whether the backend is virtual, so that
// real-time-only subtests are simply not registered for it.
func isVirtual(t *testing.T, newHarness func(t *testing.T) Harness) bool {
	t.Helper()
	h := newHarness(t)
	if err := h.Backend.Close(); err != nil {
		t.Errorf("Close: %v", err)
	}
	return h.Virtual
}

type testCase struct {
	name     string
	realOnly bool // needs a goroutine that stays blocked
	run      func(e *env)
}

func cases() []testCase {
	var all []testCase
	all = append(all, executorCases()...)
	all = append(all, timerCases()...)
	all = append(all, spawnCases()...)
	all = append(all, closeCases()...)
	all = append(all, mailboxCases()...)
	all = append(all, panicCases()...)
	all = append(all, claimCases()...)
	return all
}

// env is one subtest's view of a harness, with helpers that hide the
// difference between virtual and real-time backends.
type env struct {
	Harness
	t *testing.T
}

func newEnv(t *testing.T, h Harness) *env {
	t.Helper()
	if h.Backend == nil {
		t.Fatal("schedtest: Harness.Backend is nil")
	}
	if h.Virtual && (h.Settle == nil || h.Advance == nil) {
		t.Fatal("schedtest: a virtual Harness needs Settle and Advance")
	}
	t.Cleanup(func() {
		if err := h.Backend.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return &env{Harness: h, t: t}
}

// settle runs runnable work on a virtual backend; no-op on real ones.
func (e *env) settle() {
	if e.Settle != nil {
		e.Settle()
	}
}

// elapse lets d of backend time pass: Advance on a virtual backend, a sleep
// on a real one. Real tests use it only before checking that something did
// NOT happen, so a slow machine cannot make them fail.
func (e *env) elapse(d time.Duration) {
	if e.Advance != nil {
		e.Advance(d)
		return
	}
	time.Sleep(d)
}

// await fails the test unless ch is closed: after settling on a virtual
// backend, or within guardTimeout on a real one.
func (e *env) await(ch <-chan struct{}, what string) {
	e.t.Helper()
	e.settle()
	if e.Virtual {
		select {
		case <-ch:
		default:
			e.t.Fatalf("%s: not done after Settle", what)
		}
		return
	}
	select {
	case <-ch:
	case <-time.After(guardTimeout):
		e.t.Fatalf("%s: not done after %v", what, guardTimeout)
	}
}

// awaitTimer lets d of virtual time pass and then awaits ch.
func (e *env) awaitTimer(d time.Duration, ch <-chan struct{}, what string) {
	e.t.Helper()
	if e.Advance != nil {
		e.Advance(d)
	}
	e.await(ch, what)
}

// counter closes done when it has been hit n times. Safe from any goroutine.
type counter struct {
	mu   sync.Mutex
	left int
	done chan struct{}
}

func newCounter(n int) *counter {
	c := &counter{left: n, done: make(chan struct{})}
	if n == 0 {
		close(c.done)
	}
	return c
}

func (c *counter) hit() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.left--
	if c.left == 0 {
		close(c.done)
	}
}

// record is a mutex-guarded log of values. Safe from any goroutine.
type record[T any] struct {
	mu   sync.Mutex
	vals []T
}

func (r *record[T]) add(v T) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.vals = append(r.vals, v)
}

func (r *record[T]) get() []T {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]T(nil), r.vals...)
}
