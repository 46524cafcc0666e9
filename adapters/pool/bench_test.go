package pool_test

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"runtime"
	"testing"

	"github.com/switchboard-wamp/switchboard/adapters/internal/testkit"
	"github.com/switchboard-wamp/switchboard/adapters/pool"
	"github.com/switchboard-wamp/switchboard/scheduler"
)

// The benchmark bodies are shared by the three backends (testkit), so that
// one `go test -bench . ./adapters/...` compares them on the same code.

func benchPool(b *testing.B) scheduler.AsyncSupport {
	p := pool.New(pool.Config{Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	b.Cleanup(func() { p.Close() })
	return p
}

// BenchmarkExecutorPost measures post+run throughput: ns/op is the cost of
// one task, from Post to its completion, amortised over a stream.
func BenchmarkExecutorPost(b *testing.B) { testkit.BenchExecutorPost(b, benchPool) }

// spawnRetry spawns f, yielding while the queue is full (the pool's
// backpressure: a producer faster than the workers fills QueueMax).
func spawnRetry(as scheduler.AsyncSupport, ctx context.Context, f func(context.Context)) error {
	for {
		err := as.Spawn(ctx, f)
		if !errors.Is(err, pool.ErrQueueFull) {
			return err
		}
		runtime.Gosched()
	}
}

// BenchmarkSpawn measures Spawn through task completion.
func BenchmarkSpawn(b *testing.B) { testkit.BenchSpawn(b, benchPool, spawnRetry) }

// BenchmarkMailboxPut measures one producer feeding a consumer through a
// bounded mailbox with Put (backpressure when full).
func BenchmarkMailboxPut(b *testing.B) { testkit.BenchMailboxPut(b, benchPool(b)) }
