package pool_test

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/switchboard-wamp/switchboard/adapters/pool"
	"github.com/switchboard-wamp/switchboard/scheduler"
)

// The benchmarks mirror adapters/goroutine's (same names and bodies), so
// that one `go test -bench . ./adapters/...` compares the backends.

func benchPool(b *testing.B) *pool.Pool {
	p := pool.New(pool.Config{Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	b.Cleanup(func() { p.Close() })
	return p
}

// BenchmarkExecutorPost measures post+run throughput: ns/op is the cost of
// one task, from Post to its completion, amortised over a stream.
func BenchmarkExecutorPost(b *testing.B) {
	b.Run("1producer", func(b *testing.B) {
		p := benchPool(b)
		ex := p.NewExecutor("bench")
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
		p := benchPool(b)
		ex := p.NewExecutor("bench")
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
		p := benchPool(b)
		executors := make([]scheduler.Executor, 1000)
		for i := range executors {
			executors[i] = p.NewExecutor("bench")
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
		// Every Post finds the executor idle: the cost of waking a worker
		// plus a channel handoff back.
		p := benchPool(b)
		ex := p.NewExecutor("bench")
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

// spawnRetry spawns f, yielding while the queue is full (the pool's
// backpressure: a producer faster than the workers fills QueueMax).
func spawnRetry(p *pool.Pool, ctx context.Context, f func(context.Context)) error {
	for {
		err := p.Spawn(ctx, f)
		if !errors.Is(err, pool.ErrQueueFull) {
			return err
		}
		runtime.Gosched()
	}
}

// BenchmarkSpawn measures Spawn through task completion.
func BenchmarkSpawn(b *testing.B) {
	b.Run("serial", func(b *testing.B) {
		p := benchPool(b)
		var wg sync.WaitGroup
		task := func(context.Context) { wg.Done() }
		ctx := context.Background()
		b.ReportAllocs()
		b.ResetTimer()
		for range b.N {
			wg.Add(1)
			if err := spawnRetry(p, ctx, task); err != nil {
				b.Fatal(err)
			}
		}
		wg.Wait()
	})
	b.Run("parallel", func(b *testing.B) {
		p := benchPool(b)
		var wg sync.WaitGroup
		task := func(context.Context) { wg.Done() }
		ctx := context.Background()
		b.ReportAllocs()
		b.ResetTimer()
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				wg.Add(1)
				if err := spawnRetry(p, ctx, task); err != nil {
					panic(err)
				}
			}
		})
		wg.Wait()
	})
	b.Run("engine_roundtrip", func(b *testing.B) {
		// The engine's pattern: an executor task spawns a handler, which
		// posts its result back to the executor; one op is one call.
		p := benchPool(b)
		ex := p.NewExecutor("realm")
		done := make(chan struct{})
		result := func() { done <- struct{}{} }
		handler := func(context.Context) { ex.Post(result) }
		ctx := context.Background()
		call := func() { p.Spawn(ctx, handler) }
		b.ReportAllocs()
		b.ResetTimer()
		for range b.N {
			ex.Post(call)
			<-done
		}
	})
}

// BenchmarkMailboxPut measures one producer feeding a consumer through a
// bounded mailbox with Put (backpressure when full).
func BenchmarkMailboxPut(b *testing.B) {
	p := benchPool(b)
	ex := p.NewExecutor("bench")
	n := 0 // executor-confined
	done := make(chan struct{})
	mb := p.NewMailbox(ex, 1024, func(any) {
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
