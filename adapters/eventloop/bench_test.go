package eventloop_test

import (
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/switchboard-wamp/switchboard/adapters/eventloop"
	"github.com/switchboard-wamp/switchboard/adapters/internal/testkit"
	"github.com/switchboard-wamp/switchboard/scheduler"
)

// The benchmark bodies are shared by the three backends (testkit), so that
// one `go test -bench . ./adapters/...` compares them on the same code.

func benchLoop(b *testing.B) scheduler.AsyncSupport {
	l := eventloop.New(eventloop.Config{Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	b.Cleanup(func() { l.Close() })
	return l
}

// BenchmarkExecutorPost measures post+run throughput: ns/op is the cost of
// one task, from Post to its completion, amortised over a stream; and the
// same stream on a manual loop.
func BenchmarkExecutorPost(b *testing.B) {
	testkit.BenchExecutorPost(b, benchLoop)
	b.Run("manual_1producer", func(b *testing.B) {
		// The same stream on a manual loop: no goroutine at all.
		l := eventloop.NewManual(eventloop.Config{}, time.Unix(0, 0))
		defer l.Close()
		ex := l.NewExecutor("bench")
		n := 0
		task := func() { n++ }
		b.ReportAllocs()
		b.ResetTimer()
		for i := range b.N {
			ex.Post(task)
			if i%1024 == 1023 {
				l.RunUntilIdle()
			}
		}
		l.RunUntilIdle()
		if n != b.N {
			b.Fatalf("ran %d of %d", n, b.N)
		}
	})
}

// BenchmarkSpawn measures Spawn through task completion.
func BenchmarkSpawn(b *testing.B) { testkit.BenchSpawn(b, benchLoop, nil) }

// BenchmarkMailboxPut measures one producer feeding a consumer through a
// bounded mailbox with Put (backpressure when full).
func BenchmarkMailboxPut(b *testing.B) { testkit.BenchMailboxPut(b, benchLoop(b)) }
