package testkit

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/switchboard-wamp/switchboard/scheduler"
)

// BenchExecutorPost measures post+run throughput as sub-benchmarks; ns/op
// is the cost of one task, from Post to its completion, amortised over a
// stream. newBackend returns a backend closed when b ends.
func BenchExecutorPost(b *testing.B, newBackend func(*testing.B) scheduler.AsyncSupport) {
	b.Run("1producer", func(b *testing.B) {
		ex := newBackend(b).NewExecutor("bench")
		n := 0 // executor-confined
		done := make(chan struct{})
		task := func() {
			n++
			if n == b.N {
				close(done)
			}
		}
		b.ReportAllocs()
		b.ResetTimer()
		for range b.N {
			ex.Post(task)
		}
		<-done
	})
	b.Run("parallel_producers_1executor", func(b *testing.B) {
		ex := newBackend(b).NewExecutor("bench")
		var wg sync.WaitGroup
		task := func() { wg.Done() }
		b.ReportAllocs()
		b.ResetTimer()
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				wg.Add(1)
				ex.Post(task)
			}
		})
		wg.Wait()
	})
	b.Run("1000executors_roundrobin", func(b *testing.B) {
		as := newBackend(b)
		executors := make([]scheduler.Executor, 1000)
		for i := range executors {
			executors[i] = as.NewExecutor("bench")
		}
		var left atomic.Int64
		left.Store(int64(b.N))
		done := make(chan struct{})
		task := func() {
			if left.Add(-1) == 0 {
				close(done)
			}
		}
		b.ReportAllocs()
		b.ResetTimer()
		for i := range b.N {
			executors[i%len(executors)].Post(task)
		}
		<-done
	})
	b.Run("roundtrip_idle", func(b *testing.B) {
		// Every Post finds the executor idle: the cost of waking it (a
		// drainer goroutine, a worker, the loop) plus a channel handoff back.
		ex := newBackend(b).NewExecutor("bench")
		done := make(chan struct{})
		task := func() { done <- struct{}{} }
		b.ReportAllocs()
		b.ResetTimer()
		for range b.N {
			ex.Post(task)
			<-done
		}
	})
}

// BenchSpawn measures Spawn through task completion as sub-benchmarks.
// spawn starts one task; nil means the backend's Spawn (the pool passes one
// that retries while its queue is full).
func BenchSpawn(b *testing.B, newBackend func(*testing.B) scheduler.AsyncSupport,
	spawn func(scheduler.AsyncSupport, context.Context, func(context.Context)) error) {
	if spawn == nil {
		spawn = func(as scheduler.AsyncSupport, ctx context.Context, f func(context.Context)) error {
			return as.Spawn(ctx, f)
		}
	}
	b.Run("serial", func(b *testing.B) {
		as := newBackend(b)
		var wg sync.WaitGroup
		task := func(context.Context) { wg.Done() }
		ctx := context.Background()
		b.ReportAllocs()
		b.ResetTimer()
		for range b.N {
			wg.Add(1)
			if err := spawn(as, ctx, task); err != nil {
				b.Fatal(err)
			}
		}
		wg.Wait()
	})
	b.Run("parallel", func(b *testing.B) {
		as := newBackend(b)
		var wg sync.WaitGroup
		task := func(context.Context) { wg.Done() }
		ctx := context.Background()
		b.ReportAllocs()
		b.ResetTimer()
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				wg.Add(1)
				if err := spawn(as, ctx, task); err != nil {
					panic(err)
				}
			}
		})
		wg.Wait()
	})
	b.Run("engine_roundtrip", func(b *testing.B) {
		// The engine's pattern: an executor task spawns a handler, which
		// posts its result back to the executor; one op is one call.
		as := newBackend(b)
		ex := as.NewExecutor("realm")
		done := make(chan struct{})
		result := func() { done <- struct{}{} }
		handler := func(context.Context) { ex.Post(result) }
		ctx := context.Background()
		call := func() { as.Spawn(ctx, handler) }
		b.ReportAllocs()
		b.ResetTimer()
		for range b.N {
			ex.Post(call)
			<-done
		}
	})
}

// BenchMailboxPut measures one producer feeding a consumer through a
// bounded mailbox on as with Put (backpressure when full).
func BenchMailboxPut(b *testing.B, as scheduler.AsyncSupport) {
	ex := as.NewExecutor("bench")
	n := 0 // executor-confined
	done := make(chan struct{})
	mb := as.NewMailbox(ex, 1024, func(any) {
		n++
		if n == b.N {
			close(done)
		}
	})
	ctx := context.Background()
	b.ReportAllocs()
	b.ResetTimer()
	for i := range b.N {
		if err := mb.Put(ctx, i&0xff); err != nil { // small ints box without allocating
			b.Fatal(err)
		}
	}
	<-done
}
