package pool_test

import (
	"context"
	"errors"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/switchboard-wamp/switchboard/adapters/internal/testkit"
	"github.com/switchboard-wamp/switchboard/adapters/pool"
	"github.com/switchboard-wamp/switchboard/scheduler"
)

// newPool returns a running Pool that is closed, and checked for leaked
// goroutines, when the test ends.
func newPool(t *testing.T, cfg pool.Config) *pool.Pool {
	t.Helper()
	ignore := goleak.IgnoreCurrent()
	if cfg.Logger == nil {
		cfg.Logger = testkit.Logger(t)
	}
	p := pool.New(cfg)
	t.Cleanup(func() {
		if err := p.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
		goleak.VerifyNone(t, ignore)
	})
	return p
}

// eventually is testkit.Eventually.
var eventually = testkit.Eventually

// TestBoundedHandlers: 10,000 executors each post work while 10,000
// spawned tasks block on a shared gate. No more than Workers spawned tasks
// ever run at once, no goroutine is created for the waiting ones, and the
// executors' work completes while every handler worker is held.
func TestBoundedHandlers(t *testing.T) {
	const n, workers = 10_000, 4
	p := newPool(t, pool.Config{Workers: workers, ExecutorWorkers: 2})
	baseline := runtime.NumGoroutine()
	gate := make(chan struct{})
	var running, peak, finished atomic.Int64
	for range n {
		err := p.Spawn(context.Background(), func(context.Context) {
			r := running.Add(1)
			for {
				m := peak.Load()
				if r <= m || peak.CompareAndSwap(m, r) {
					break
				}
			}
			<-gate
			running.Add(-1)
			finished.Add(1)
		})
		if err != nil {
			t.Fatalf("Spawn: %v", err)
		}
	}
	var posted atomic.Int64
	allPosted := make(chan struct{})
	for range n {
		p.NewExecutor("session").Post(func() {
			if posted.Add(1) == n {
				close(allPosted)
			}
		})
	}
	testkit.Wait(t, allPosted, "executor work while every handler worker is blocked")
	eventually(t, "Workers handlers running", func() bool { return running.Load() == workers })
	st := p.Stats()
	goroutines := runtime.NumGoroutine()
	close(gate)
	if goroutines > baseline+5 {
		t.Errorf("%d goroutines with %d handlers blocked (baseline %d, Workers %d)", goroutines, n, baseline, workers)
	}
	if st.Running != workers || st.QueueLen != n-workers || st.MaxRunning > workers {
		t.Errorf("stats while blocked: %+v, want Running %d, QueueLen %d, MaxRunning <= %d", st, workers, n-workers, workers)
	}
	eventually(t, "all handlers finished", func() bool { return finished.Load() == n })
	if got := peak.Load(); got > workers {
		t.Fatalf("%d spawned tasks ran at once, Workers %d", got, workers)
	}
	if st := p.Stats(); st.MaxRunning > workers || st.MaxRunning < 1 || st.Rejected != 0 {
		t.Fatalf("final stats %+v", st)
	}
}

// TestSpawnQueueFull: with the queue full, Spawn fails at once with
// ErrQueueFull (an ErrFull), from any caller including an executor task,
// counts the rejection, and the queued tasks still run.
func TestSpawnQueueFull(t *testing.T) {
	const queueMax = 3
	p := newPool(t, pool.Config{Workers: 1, QueueMax: queueMax})
	gate := make(chan struct{})
	started := make(chan struct{})
	var ran atomic.Int64
	p.Spawn(context.Background(), func(context.Context) { close(started); <-gate; ran.Add(1) })
	testkit.Wait(t, started, "first task")
	for i := range queueMax {
		if err := p.Spawn(context.Background(), func(context.Context) { ran.Add(1) }); err != nil {
			t.Fatalf("Spawn %d with room: %v", i, err)
		}
	}
	tests := []struct {
		name  string
		spawn func() error
	}{
		{"caller goroutine", func() error { return p.Spawn(context.Background(), func(context.Context) { ran.Add(100) }) }},
		{"executor task", func() error {
			res := make(chan error, 1)
			p.NewExecutor("realm").Post(func() {
				res <- p.Spawn(context.Background(), func(context.Context) { ran.Add(100) })
			})
			select {
			case err := <-res:
				return err
			case <-time.After(testkit.Guard):
				return errors.New("Spawn from an executor task blocked")
			}
		}},
	}
	for i, tt := range tests {
		err := tt.spawn()
		if !errors.Is(err, pool.ErrQueueFull) || !errors.Is(err, scheduler.ErrFull) {
			t.Errorf("%s: Spawn on a full queue: %v, want ErrQueueFull wrapping ErrFull", tt.name, err)
		}
		if got := p.Stats().Rejected; got != int64(i+1) {
			t.Errorf("%s: Rejected = %d, want %d", tt.name, got, i+1)
		}
	}
	if st := p.Stats(); st.QueueLen != queueMax || st.Running != 1 {
		t.Errorf("stats with a full queue: %+v", st)
	}
	close(gate)
	eventually(t, "queued tasks ran", func() bool { return ran.Load() == 1+queueMax })
	p.Close()
	if got := ran.Load(); got != 1+queueMax {
		t.Fatalf("ran %d units, want %d (rejected tasks must not run)", got, 1+queueMax)
	}
}

// TestHandlersWaitingOnExecutor: every handler worker waits for a result
// that an executor produces (a nested call through the same router). The
// executor still runs, so nothing deadlocks.
func TestHandlersWaitingOnExecutor(t *testing.T) {
	const workers = 2
	p := newPool(t, pool.Config{Workers: workers, ExecutorWorkers: 1})
	realm := p.NewExecutor("realm")
	var done sync.WaitGroup
	for range 3 * workers {
		done.Add(1)
		p.Spawn(context.Background(), func(ctx context.Context) {
			defer done.Done()
			reply := make(chan int, 1)
			realm.Post(func() { reply <- 42 })
			select {
			case <-reply:
			case <-time.After(testkit.Guard):
				t.Error("handler never got the executor's reply")
			}
		})
	}
	finished := make(chan struct{})
	go func() { done.Wait(); close(finished) }()
	testkit.Wait(t, finished, "handlers")
}

// TestStrandFairness: an executor with a long backlog yields its worker
// to other ready executors between turns.
func TestStrandFairness(t *testing.T) {
	const n = 1000
	p := newPool(t, pool.Config{ExecutorWorkers: 1})
	busy, quiet := p.NewExecutor("busy"), p.NewExecutor("quiet")
	release := testkit.Block(t, p.NewExecutor("blocker"))
	var ran atomic.Int64
	for range n {
		busy.Post(func() { ran.Add(1) })
	}
	seen := int64(-1)
	done := make(chan struct{})
	quiet.Post(func() { seen = ran.Load(); close(done) })
	release()
	testkit.Wait(t, done, "quiet executor's task")
	if seen <= 0 || seen >= n {
		t.Fatalf("quiet executor ran after %d of %d backlog tasks; want a turn boundary in between", seen, n)
	}
}

func TestCloseDrainsAcceptedWork(t *testing.T) {
	p := newPool(t, pool.Config{Workers: 1})
	ex := p.NewExecutor("drain")
	release := testkit.Block(t, ex)
	// A spawned task held on the only worker, and one queued behind it.
	hold := make(chan struct{})
	started := make(chan struct{})
	var spawnCause atomic.Value
	p.Spawn(context.Background(), func(context.Context) { close(started); <-hold })
	testkit.Wait(t, started, "spawned task")
	p.Spawn(context.Background(), func(ctx context.Context) { spawnCause.Store(context.Cause(ctx)) })
	const n = 100
	var ran atomic.Int64
	var refusedInside atomic.Bool
	for range n {
		ex.Post(func() {
			ran.Add(1)
			if ex.Post(func() { ran.Add(1000) }) {
				return
			}
			refusedInside.Store(true)
		})
	}
	closed := make(chan struct{})
	go func() { p.Close(); close(closed) }()
	eventually(t, "Close begins", func() bool { return p.Spawn(context.Background(), func(context.Context) {}) != nil })
	if ex.Post(func() { ran.Add(1000) }) {
		t.Error("Post after Close began returned true")
	}
	release()
	close(hold)
	testkit.Wait(t, closed, "Close")
	if got := ran.Load(); got != n {
		t.Fatalf("after Close, %d units ran, want %d (accepted tasks only)", got, n)
	}
	if !refusedInside.Load() {
		t.Fatal("Post from a task drained during Close was accepted")
	}
	if c, _ := spawnCause.Load().(error); !errors.Is(c, scheduler.ErrClosed) {
		t.Fatalf("queued spawned task ran with ctx cause %v, want ErrClosed", spawnCause.Load())
	}
}

func TestAcceptedWorkAlwaysRunsDespiteClose(t *testing.T) {
	ignore := goleak.IgnoreCurrent()
	defer goleak.VerifyNone(t, ignore)
	for round := range 20 {
		p := pool.New(pool.Config{Logger: testkit.Logger(t)})
		executors := []scheduler.Executor{p.NewExecutor("a"), p.NewExecutor("b")}
		var accepted, ran atomic.Int64
		var wg sync.WaitGroup
		for w := range 4 {
			wg.Go(func() {
				ex := executors[w%len(executors)]
				for {
					ok := false
					if w%2 == 0 {
						ok = ex.Post(func() { ran.Add(1) })
					} else {
						err := p.Spawn(context.Background(), func(context.Context) { ran.Add(1) })
						ok = err == nil
						if errors.Is(err, pool.ErrQueueFull) {
							continue
						}
					}
					if !ok {
						return
					}
					accepted.Add(1)
				}
			})
		}
		time.Sleep(time.Millisecond)
		p.Close()
		wg.Wait()
		if a, r := accepted.Load(), ran.Load(); a != r {
			t.Fatalf("round %d: %d units accepted, %d ran", round, a, r)
		}
	}
}

func TestGoexitKeepsWorkers(t *testing.T) {
	p := newPool(t, pool.Config{Workers: 1, ExecutorWorkers: 1})
	ex := p.NewExecutor("goexit")
	var log []string // executor-confined
	done := make(chan struct{})
	ex.Post(func() { log = append(log, "a") })
	ex.Post(func() { runtime.Goexit() })
	ex.Post(func() { log = append(log, "b"); close(done) })
	testkit.Wait(t, done, "task after Goexit")
	p.Spawn(context.Background(), func(context.Context) { runtime.Goexit() })
	again := make(chan struct{})
	p.Spawn(context.Background(), func(context.Context) { ex.Post(func() { log = append(log, "c"); close(again) }) })
	testkit.Wait(t, again, "spawned task after a Goexit")
	if got := log; len(got) != 3 || got[0] != "a" || got[1] != "b" || got[2] != "c" {
		t.Fatalf("ran %q, want [a b c]", got)
	}
}

// TestWaitOutsideFreesTheWorker: with one worker, a task waiting in
// scheduler.WaitOutside lets another task run meanwhile; once the wait
// ends it runs on, and never are two tasks running at once.
func TestWaitOutsideFreesTheWorker(t *testing.T) {
	p := newPool(t, pool.Config{Workers: 1})
	answer, waiterDone, otherDone := make(chan struct{}), make(chan struct{}), make(chan struct{})
	waiting := make(chan struct{})
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(p.Spawn(context.Background(), func(ctx context.Context) {
		scheduler.WaitOutside(p, ctx, func() {
			close(waiting)
			select {
			case <-answer:
			case <-time.After(testkit.Guard):
			}
		})
		close(waiterDone)
	}))
	testkit.Wait(t, waiting, "the first task to wait")
	must(p.Spawn(context.Background(), func(context.Context) { close(otherDone) }))
	testkit.Wait(t, otherDone, "the second task to run while the first waits")
	close(answer)
	testkit.Wait(t, waiterDone, "the waiting task to run on")
	if got := p.Stats().MaxRunning; got != 1 {
		t.Errorf("MaxRunning = %d, want 1", got)
	}
	// Outside a task of the pool, WaitOutside just runs f.
	ran := false
	scheduler.WaitOutside(p, context.Background(), func() { ran = true })
	if !ran {
		t.Fatal("WaitOutside outside a task did not run f")
	}
}
