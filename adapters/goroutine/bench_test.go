package goroutine_test

import (
	"context"
	"io"
	"log/slog"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/switchboard-wamp/switchboard/adapters/goroutine"
	"github.com/switchboard-wamp/switchboard/scheduler"
)

func benchBackend(b *testing.B) *goroutine.Backend {
	be := goroutine.New(goroutine.Config{Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	b.Cleanup(func() { be.Close() })
	return be
}

// BenchmarkExecutorPost measures post+run throughput: ns/op is the cost of
// one task, from Post to its completion, amortised over a stream.
func BenchmarkExecutorPost(b *testing.B) {
	b.Run("1producer", func(b *testing.B) {
		be := benchBackend(b)
		ex := be.NewExecutor("bench")
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
		be := benchBackend(b)
		ex := be.NewExecutor("bench")
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
		be := benchBackend(b)
		executors := make([]scheduler.Executor, 1000)
		for i := range executors {
			executors[i] = be.NewExecutor("bench")
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
		// Every Post finds the executor idle: the cost of waking it
		// (starting a drainer goroutine) plus a channel handoff back.
		be := benchBackend(b)
		ex := be.NewExecutor("bench")
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

// BenchmarkSpawn measures Spawn through task completion.
func BenchmarkSpawn(b *testing.B) {
	b.Run("serial", func(b *testing.B) {
		be := benchBackend(b)
		var wg sync.WaitGroup
		task := func(context.Context) { wg.Done() }
		ctx := context.Background()
		b.ReportAllocs()
		b.ResetTimer()
		for range b.N {
			wg.Add(1)
			if err := be.Spawn(ctx, task); err != nil {
				b.Fatal(err)
			}
		}
		wg.Wait()
	})
	b.Run("parallel", func(b *testing.B) {
		be := benchBackend(b)
		var wg sync.WaitGroup
		task := func(context.Context) { wg.Done() }
		ctx := context.Background()
		b.ReportAllocs()
		b.ResetTimer()
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				wg.Add(1)
				if err := be.Spawn(ctx, task); err != nil {
					panic(err)
				}
			}
		})
		wg.Wait()
	})
}

// BenchmarkMailboxPut measures one producer feeding a consumer through a
// bounded mailbox with Put (backpressure when full).
func BenchmarkMailboxPut(b *testing.B) {
	be := benchBackend(b)
	ex := be.NewExecutor("bench")
	n := 0 // executor-confined
	done := make(chan struct{})
	mb := be.NewMailbox(ex, 1024, func(any) {
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

// TestIdleSessionMemory: an idle session's scheduling state (an executor
// and a 1024-slot mailbox that have each handled one item) stays far below
// the 10 KiB budget.
func TestIdleSessionMemory(t *testing.T) {
	const n = 10_000
	be := newBackend(t)
	type session struct {
		ex scheduler.Executor
		mb scheduler.Mailbox
	}
	sessions := make([]session, n)
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	var delivered atomic.Int64
	all := make(chan struct{})
	for i := range sessions {
		ex := be.NewExecutor("session")
		mb := be.NewMailbox(ex, 1024, func(any) {
			if delivered.Add(1) == n {
				close(all)
			}
		})
		ex.Post(func() {})
		if err := mb.TryPut(1); err != nil {
			t.Fatalf("TryPut: %v", err)
		}
		sessions[i] = session{ex, mb}
	}
	wait(t, all, "deliveries")
	runtime.GC()
	runtime.ReadMemStats(&after)
	perSession := (int64(after.HeapAlloc) - int64(before.HeapAlloc)) / n
	t.Logf("idle executor + mailbox: ~%d bytes per session (heap delta over %d sessions)", perSession, n)
	if perSession > 10<<10 {
		t.Fatalf("idle session costs %d bytes, budget 10 KiB", perSession)
	}
	runtime.KeepAlive(sessions)
}

// BenchmarkGoStatement is the floor for BenchmarkSpawn: a bare go
// statement with a WaitGroup, no context or bookkeeping.
func BenchmarkGoStatement(b *testing.B) {
	var wg sync.WaitGroup
	task := func(context.Context) { wg.Done() }
	ctx := context.Background()
	b.ReportAllocs()
	for range b.N {
		wg.Add(1)
		go task(ctx)
	}
	wg.Wait()
}
