package tests

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/switchboard-wamp/switchboard/client"
	"github.com/switchboard-wamp/switchboard/core/serialize"
	"github.com/switchboard-wamp/switchboard/core/wamp"
)

// A callee that stops reading while calls pile up for it holds nobody but
// the caller feeding it. On the event loop the router writes to a peer
// from the loop when nothing is queued for it (transport.InlineSender),
// never waiting: once the stalled callee's socket is full, what it did not
// take goes to its writer goroutine, and the loop goes on serving the
// other sessions: another caller's calls to a healthy callee keep being
// answered.
func TestStalledCalleeHoldsNoOtherSession(t *testing.T) {
	forEachBackend(t, func(t *testing.T, b backend) {
		url, stats, _ := startBudgetRouter(t, b)
		dialStalled(t, url, `[64,1,{},"com.example.stuck"]`, int(wamp.REGISTERED))
		healthy := dialVia(t, b, url, serialize.JSON)
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		_, err := healthy.Register(ctx, "com.example.ok", func(_ context.Context, inv *client.Invocation) (*client.Result, error) {
			return &client.Result{Args: inv.Args}, nil
		}, nil)
		must(t, err)
		feeder, other := dialVia(t, b, url, serialize.JSON), dialVia(t, b, url, serialize.JSON)

		// 15 KiB invocations (written inline: under 16 KiB), more than the
		// kernel buffers take (a loopback send buffer grows to 4 MiB), so
		// that the stalled callee's queue passes its soft limit: its
		// socket is full, its writer stuck, and it holds its feeder.
		stuckCtx, stopStuck := context.WithCancel(ctx)
		const stuckCalls = 512
		pad := strings.Repeat("x", 15<<10)
		done := make(chan struct{}, stuckCalls)
		for range stuckCalls {
			go func() {
				_, _ = feeder.Call(stuckCtx, "com.example.stuck", wamp.List{pad}, nil, nil)
				done <- struct{}{}
			}()
		}
		waitUntil(t, "the stalled callee to hold its feeder", func() bool { return stats.Throttled.Load() > 0 })

		for i := range 20 {
			callCtx, cancelCall := context.WithTimeout(ctx, 20*time.Second)
			res, err := other.Call(callCtx, "com.example.ok", wamp.List{i}, nil, nil)
			cancelCall()
			if err != nil {
				t.Fatalf("call %d of another session while a callee is stalled: %v", i, err)
			}
			if n, _ := wamp.ToInt(res.Args[0]); n != int64(i) {
				t.Fatalf("call %d answered %v", i, res.Args)
			}
		}
		stopStuck()
		for i := range stuckCalls {
			select {
			case <-done:
			case <-ctx.Done():
				t.Fatalf("%d of the stalled callee's calls did not end", stuckCalls-i)
			}
		}
	})
}
