package schedtest

import (
	"context"
	"slices"
	"time"
)

func panicCases() []testCase {
	return []testCase{
		{name: "panic/executor_keeps_running", run: testPanicExecutor},
		{name: "panic/spawn_does_not_break_backend", run: testPanicSpawn},
		{name: "panic/timer_does_not_break_backend", run: testPanicTimer},
		{name: "panic/mailbox_consumer_keeps_receiving", run: testPanicMailbox},
	}
}

// testPanicExecutor: a panicking task neither kills the executor nor skips
// the tasks queued behind it.
func testPanicExecutor(e *env) {
	ex := e.Backend.NewExecutor("panicky")
	var got []string // executor-confined
	first := make(chan struct{})
	ex.Post(func() { got = append(got, "before") })
	ex.Post(func() { panic("schedtest: deliberate panic") })
	ex.Post(func() { got = append(got, "after"); close(first) })
	e.await(first, "task after the panic")
	second := make(chan struct{})
	if !ex.Post(func() { got = append(got, "later"); close(second) }) {
		e.t.Fatal("Post after a panicking task returned false")
	}
	e.await(second, "task posted after the panic")
	if want := []string{"before", "after", "later"}; !slices.Equal(got, want) {
		e.t.Fatalf("ran %v, want %v", got, want)
	}
}

// testPanicSpawn: a panicking spawned task does not stop later ones.
func testPanicSpawn(e *env) {
	if err := e.Backend.Spawn(context.Background(), func(context.Context) { panic("schedtest: deliberate panic") }); err != nil {
		e.t.Fatalf("Spawn: %v", err)
	}
	e.settle()
	done := make(chan struct{})
	if err := e.Backend.Spawn(context.Background(), func(context.Context) { close(done) }); err != nil {
		e.t.Fatalf("Spawn after a panicking task: %v", err)
	}
	e.await(done, "task spawned after the panic")
}

// testPanicTimer: a panicking timer callback does not stop later timers.
func testPanicTimer(e *env) {
	e.Backend.AfterFunc(time.Millisecond, func() { panic("schedtest: deliberate panic") })
	done := make(chan struct{})
	e.Backend.AfterFunc(2*time.Millisecond, func() { close(done) })
	e.awaitTimer(2*time.Millisecond, done, "timer after the panicking one")
}

// testPanicMailbox: a panicking consumer call does not lose later values.
func testPanicMailbox(e *env) {
	ex := e.Backend.NewExecutor("panicky-mailbox")
	s := newSink(2)
	mb := e.Backend.NewMailbox(ex, 4, func(v any) {
		if v.(int) == 0 {
			panic("schedtest: deliberate panic")
		}
		s.recv(v)
	})
	for i := range 3 {
		e.put(mb, i)
	}
	e.await(s.done, "values after the panic")
	if !slices.Equal(s.got, []int{1, 2}) {
		e.t.Fatalf("delivered %v, want [1 2]", s.got)
	}
}
