package schedtest

import (
	"context"
	"fmt"
	"runtime"
	"slices"
	"sync/atomic"
)

func executorCases() []testCase {
	return []testCase{
		{name: "executor/fifo_single_producer", run: testFIFOSingleProducer},
		{name: "executor/fifo_many_producers", run: testFIFOManyProducers},
		{name: "executor/never_concurrent", run: testNeverConcurrent},
		{name: "executor/post_from_inside_runs_later", run: testPostFromInside},
		{name: "executor/many_executors", run: testManyExecutors},
	}
}

// testFIFOSingleProducer: one producer, total order.
func testFIFOSingleProducer(e *env) {
	const n = 1000
	ex := e.Backend.NewExecutor("fifo")
	var got []int // executor-confined
	done := newCounter(n)
	for i := range n {
		if !ex.Post(func() { got = append(got, i); done.hit() }) {
			e.t.Fatalf("Post %d returned false on an open backend", i)
		}
	}
	e.await(done.done, "tasks")
	want := make([]int, n)
	for i := range want {
		want[i] = i
	}
	if !slices.Equal(got, want) {
		e.t.Fatalf("tasks ran out of posting order: first 20 %v", got[:min(20, len(got))])
	}
}

// testFIFOManyProducers: concurrent producers (spawned tasks) each keep their
// own order.
func testFIFOManyProducers(e *env) {
	const producers, perProducer = 8, 300
	ex := e.Backend.NewExecutor("fifo-many")
	type item struct{ p, i int }
	var got []item // executor-confined
	done := newCounter(producers * perProducer)
	var refused atomic.Int64
	for p := range producers {
		err := e.Backend.Spawn(context.Background(), func(context.Context) {
			for i := range perProducer {
				if !ex.Post(func() { got = append(got, item{p, i}); done.hit() }) {
					refused.Add(1)
					done.hit()
				}
			}
		})
		if err != nil {
			e.t.Fatalf("Spawn: %v", err)
		}
	}
	e.await(done.done, "tasks")
	if n := refused.Load(); n != 0 {
		e.t.Fatalf("%d Posts refused on an open backend", n)
	}
	next := make([]int, producers)
	for _, it := range got {
		if it.i != next[it.p] {
			e.t.Fatalf("producer %d: got item %d, want %d (per-producer order broken)", it.p, it.i, next[it.p])
		}
		next[it.p]++
	}
	for p, n := range next {
		if n != perProducer {
			e.t.Errorf("producer %d: %d items ran, want %d", p, n, perProducer)
		}
	}
}

// testNeverConcurrent: an atomic "inside" flag catches two tasks of one
// executor running at once, with posts from many goroutines and from inside
// tasks.
func testNeverConcurrent(e *env) {
	const producers, perProducer = 8, 200
	ex := e.Backend.NewExecutor("serial")
	var inside atomic.Bool
	var overlaps, ran, refused atomic.Int64
	done := newCounter(2 * producers * perProducer)
	var task func(repost bool) func()
	task = func(repost bool) func() {
		return func() {
			if inside.Swap(true) {
				overlaps.Add(1)
			}
			runtime.Gosched() // widen the window a broken executor would show
			if repost && !ex.Post(task(false)) {
				refused.Add(1)
				done.hit()
			}
			ran.Add(1)
			inside.Store(false)
			done.hit()
		}
	}
	for range producers {
		err := e.Backend.Spawn(context.Background(), func(context.Context) {
			for range perProducer {
				if !ex.Post(task(true)) {
					refused.Add(2)
					done.hit()
					done.hit()
				}
			}
		})
		if err != nil {
			e.t.Fatalf("Spawn: %v", err)
		}
	}
	e.await(done.done, "tasks")
	if n := refused.Load(); n != 0 {
		e.t.Fatalf("%d Posts refused on an open backend", n)
	}
	if n := overlaps.Load(); n != 0 {
		e.t.Fatalf("%d tasks of one executor overlapped", n)
	}
	if n := ran.Load(); n != 2*producers*perProducer {
		e.t.Fatalf("%d tasks ran, want %d", n, 2*producers*perProducer)
	}
}

// testPostFromInside: a task posting to its own executor neither blocks nor
// runs the new task re-entrantly; it runs after, in order.
func testPostFromInside(e *env) {
	ex := e.Backend.NewExecutor("reentrant")
	var log []string // executor-confined
	done := make(chan struct{})
	ok := ex.Post(func() {
		log = append(log, "a:start")
		for _, name := range []string{"b", "c"} {
			if !ex.Post(func() {
				log = append(log, name)
				if name == "c" {
					close(done)
				}
			}) {
				log = append(log, "post "+name+" refused")
			}
		}
		log = append(log, "a:end")
	})
	if !ok {
		e.t.Fatal("Post returned false on an open backend")
	}
	e.await(done, "inner tasks")
	want := []string{"a:start", "a:end", "b", "c"}
	if !slices.Equal(log, want) {
		e.t.Fatalf("run order %v, want %v", log, want)
	}
}

// testManyExecutors: interleaved posts to many executors; each keeps its own
// order and all work completes, whatever the backend's parallelism.
func testManyExecutors(e *env) {
	const executors, perExecutor = 16, 100
	type slot struct {
		ex  interface{ Post(func()) bool }
		got []int // confined to ex
	}
	slots := make([]*slot, executors)
	for i := range slots {
		slots[i] = &slot{ex: e.Backend.NewExecutor(fmt.Sprintf("ex-%d", i))}
	}
	done := newCounter(executors * perExecutor)
	for i := range perExecutor {
		for _, s := range slots {
			if !s.ex.Post(func() { s.got = append(s.got, i); done.hit() }) {
				e.t.Fatal("Post returned false on an open backend")
			}
		}
	}
	e.await(done.done, "tasks")
	for k, s := range slots {
		for i, v := range s.got {
			if v != i {
				e.t.Fatalf("executor %d: position %d ran task %d", k, i, v)
			}
		}
		if len(s.got) != perExecutor {
			e.t.Fatalf("executor %d ran %d tasks, want %d", k, len(s.got), perExecutor)
		}
	}
}
