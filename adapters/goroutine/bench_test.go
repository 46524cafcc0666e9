package goroutine_test

import (
	"context"
	"io"
	"log/slog"
	"sync"
	"testing"

	"github.com/switchboard-wamp/switchboard/adapters/goroutine"
	"github.com/switchboard-wamp/switchboard/adapters/internal/testkit"
	"github.com/switchboard-wamp/switchboard/scheduler"
)

// The benchmark bodies are shared by the three backends (testkit), so that
// one `go test -bench . ./adapters/...` compares them on the same code.

func benchBackend(b *testing.B) scheduler.AsyncSupport {
	be := goroutine.New(goroutine.Config{Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	b.Cleanup(func() { be.Close() })
	return be
}

// BenchmarkExecutorPost measures post+run throughput: ns/op is the cost of
// one task, from Post to its completion, amortised over a stream.
func BenchmarkExecutorPost(b *testing.B) { testkit.BenchExecutorPost(b, benchBackend) }

// BenchmarkSpawn measures Spawn through task completion.
func BenchmarkSpawn(b *testing.B) { testkit.BenchSpawn(b, benchBackend, nil) }

// BenchmarkMailboxPut measures one producer feeding a consumer through a
// bounded mailbox with Put (backpressure when full).
func BenchmarkMailboxPut(b *testing.B) { testkit.BenchMailboxPut(b, benchBackend(b)) }

// TestIdleSessionMemory: an idle session's scheduling state (an executor
// and a 1024-slot mailbox that have each handled one item) stays far below
// the 10 KiB budget. Drainer goroutines exit just after their last task, so
// the goroutine count is checked by TestIdleExecutorsOwnNoGoroutine.
func TestIdleSessionMemory(t *testing.T) { testkit.IdleSessions(t, newBackend(t), false) }

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
