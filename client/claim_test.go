package client

import (
	"context"
	"fmt"
	"sync"
	"testing"

	"github.com/switchboard-wamp/switchboard/adapters/eventloop"
	"github.com/switchboard-wamp/switchboard/adapters/pool"
	"github.com/switchboard-wamp/switchboard/core/wamp"
	"github.com/switchboard-wamp/switchboard/scheduler"
)

// On the backends whose executors can be claimed, a session's requests run
// on the calling goroutine, the router's messages on the connection's
// reader, and messages are written inline: these tests check that nothing
// of the protocol changes with it (results, progressive results and
// publications in order, several callers at once), over a real WebSocket.

func claimBackends(t *testing.T) map[string]scheduler.AsyncSupport {
	loop := eventloop.New(eventloop.Config{})
	p := pool.New(pool.Config{Workers: 2})
	t.Cleanup(func() { _ = loop.Close(); _ = p.Close() })
	return map[string]scheduler.AsyncSupport{"eventloop": loop, "pool": p}
}

func TestClaimedSessionKeepsOrder(t *testing.T) {
	for name, b := range claimBackends(t) {
		t.Run(name, func(t *testing.T) {
			url, cfg := wsRouter(t)
			cfg.Backend = b
			ctx := context.Background()
			callee, err := Dial(ctx, url, cfg)
			must(t, err)
			caller, err := Dial(ctx, url, cfg)
			must(t, err)
			defer func() { must(t, caller.Leave(ctx, "")); must(t, callee.Leave(ctx, "")) }()

			const n = 200
			_, err = callee.Register(ctx, "com.count", func(_ context.Context, inv *Invocation) (*Result, error) {
				k, _ := wamp.ToInt(inv.Args[0])
				for i := range k {
					if !inv.ReceiveProgress() {
						break
					}
					if err := inv.Progress(wamp.List{i}, nil); err != nil {
						return nil, err
					}
				}
				return &Result{Args: wamp.List{k}}, nil
			}, nil)
			must(t, err)
			got := make(chan int64, n)
			_, err = callee.Subscribe(ctx, "com.tick", func(ev *Event) {
				k, _ := wamp.ToInt(ev.Args[0])
				got <- k
			}, nil)
			must(t, err)

			// Progressive results arrive in order, then the result.
			var prog []int64
			res, err := caller.Call(ctx, "com.count", wamp.List{50}, nil, &CallOptions{
				Progress: func(r *Result) { k, _ := wamp.ToInt(r.Args[0]); prog = append(prog, k) },
			})
			must(t, err)
			if k, _ := wamp.ToInt(res.Args[0]); k != 50 || len(prog) != 50 {
				t.Fatalf("result %v after %d progressive results, want 50 after 50", res.Args, len(prog))
			}
			for i, k := range prog {
				if k != int64(i) {
					t.Fatalf("progressive result %d is %d", i, k)
				}
			}

			// Publications from one goroutine reach the subscriber in
			// call order; the acknowledged last one follows the rest.
			for i := range n - 1 {
				must(t, caller.Publish(ctx, "com.tick", wamp.List{i}, nil, nil))
			}
			must(t, caller.Publish(ctx, "com.tick", wamp.List{n - 1}, nil, &PublishOptions{Acknowledge: true}))
			for i := range n {
				select {
				case k := <-got:
					if k != int64(i) {
						t.Fatalf("event %d carries %d", i, k)
					}
				case <-callee.Done():
					t.Fatal("callee session ended")
				}
			}

			// Several goroutines call at once, each getting its own answer.
			var wg sync.WaitGroup
			errs := make(chan error, 8)
			for g := range 8 {
				wg.Add(1)
				go func() {
					defer wg.Done()
					for i := range 25 {
						k := int64(g*100 + i)
						res, err := caller.Call(ctx, "com.count", wamp.List{k % 3}, nil, nil)
						if err != nil {
							errs <- err
							return
						}
						if v, _ := wamp.ToInt(res.Args[0]); v != k%3 {
							errs <- fmt.Errorf("call %d answered %v", k, res.Args)
							return
						}
					}
				}()
			}
			wg.Wait()
			close(errs)
			for err := range errs {
				t.Fatal(err)
			}
		})
	}
}

// TestClaimedCallRunsOnTheCaller checks that a call on an idle event loop
// is made by a claim (the caller runs the step) rather than by the loop
// goroutine.
func TestClaimedCallRunsOnTheCaller(t *testing.T) {
	loop := eventloop.New(eventloop.Config{})
	t.Cleanup(func() { _ = loop.Close() })
	url, cfg := wsRouter(t)
	cfg.Backend = loop
	ctx := context.Background()
	s, err := Dial(ctx, url, cfg)
	must(t, err)
	defer func() { must(t, s.Leave(ctx, "")) }()
	_, err = s.Register(ctx, "com.echo", func(_ context.Context, inv *Invocation) (*Result, error) {
		return &Result{Args: inv.Args}, nil
	}, nil)
	must(t, err)
	before := loop.Claims()
	for i := range 20 {
		res, err := s.Call(ctx, "com.echo", wamp.List{i}, nil, nil)
		must(t, err)
		if k, _ := wamp.ToInt(res.Args[0]); k != int64(i) {
			t.Fatalf("echo %d answered %v", i, res.Args)
		}
	}
	// Each call claims the idle loop at least once (the CALL, and the
	// RESULT and INVOCATION on the readers, unless the loop was busy with
	// the other); 20 calls without a single claim mean the path is gone.
	if loop.Claims() == before {
		t.Fatal("no call ran on a claim of the idle loop")
	}
}
