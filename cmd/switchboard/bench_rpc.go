package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/switchboard-wamp/switchboard/adapters/goroutine"
	"github.com/switchboard-wamp/switchboard/client"
	"github.com/switchboard-wamp/switchboard/core/serialize"
	"github.com/switchboard-wamp/switchboard/core/wamp"
	"github.com/switchboard-wamp/switchboard/scheduler"
	"golang.org/x/sync/errgroup"
)

// loadEnv is the load generator's side of one router run: Go clients on
// the goroutine backend, over loopback WebSockets.
type loadEnv struct {
	ctx      context.Context
	name     string // the router run: a backend, or "<backend>@compare"
	progress progressFunc
	cfg      benchConfig
	stderr   io.Writer // the children's stderr
	router   *child
	as       scheduler.AsyncSupport
	rpcAs    scheduler.AsyncSupport // the RPC phases' client backend (see rpcClient)
	ser      serialize.Serializer
	log      *slog.Logger
	payload  string
}

// progressFunc reports what the bench is doing, on stderr.
type progressFunc func(format string, a ...any)

// runRouterBench starts the router child for backend and runs every phase
// against it.
func runRouterBench(ctx context.Context, cfg benchConfig, backend string, stderr io.Writer, progress progressFunc) (metrics, error) {
	exe, _ := cfg.routerExe(backend)
	ch, err := startChild("router "+backend, exe, childArgs(cfg, cmdBenchRouter, backend), stderr)
	if err != nil {
		return nil, err
	}
	defer ch.stop()
	ser, _ := serialize.ByName(cfg.Serializer)
	log := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelError}))
	as := goroutine.New(goroutine.Config{Logger: log})
	defer as.Close()
	rpcAs := rpcClient(log)
	defer rpcAs.Close()
	e := &loadEnv{ctx: ctx, name: backend, progress: progress, cfg: cfg, stderr: stderr, router: ch, as: as, rpcAs: rpcAs, ser: ser, log: log, payload: strings.Repeat("x", cfg.PayloadBytes)}
	m := metrics{}
	phases := map[string]func(metrics) error{
		"rpc-latency":    e.rpcLatency,
		"rpc-throughput": e.rpcThroughput,
		"fanout":         e.fanoutAll,
		"sessions":       e.sessionChurn,
		"idle":           e.idleMemory,
		"block-sessions": e.blockSessions,
		"block-io":       e.blockIO,
		"slowsub":        e.slowSub,
		"cluster":        e.clusterAll,
	}
	for _, p := range cfg.Phases {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		progress("%s: %s", backend, p)
		if err := phases[p](m); err != nil {
			return nil, fmt.Errorf("%s: %w", p, err)
		}
	}
	return m, nil
}

// rpcEnv is e with its sessions on the RPC phases' client backend.
func (e *loadEnv) rpcEnv() *loadEnv {
	r := *e
	if e.rpcAs != nil {
		r.as = e.rpcAs
	}
	return &r
}

// dial joins the bench realm.
func (e *loadEnv) dial() (*client.Session, error) {
	ctx, cancel := context.WithTimeout(e.ctx, 30*time.Second)
	defer cancel()
	return client.Dial(ctx, e.router.addrs.WS, client.Config{
		Realm: benchRealm, Backend: e.as, Serializers: []serialize.Serializer{e.ser}, Logger: e.log,
	})
}

// dialN joins n sessions, 32 at a time.
func (e *loadEnv) dialN(n int) ([]*client.Session, error) {
	out := make([]*client.Session, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	sem := make(chan struct{}, 32)
	for i := range n {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			out[i], errs[i] = e.dial()
		}()
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		leaveAll(out)
		return nil, err
	}
	return out, nil
}

// leaveAll ends the sessions, 64 at a time.
func leaveAll(ss []*client.Session) {
	var wg sync.WaitGroup
	sem := make(chan struct{}, 64)
	for _, s := range ss {
		if s == nil {
			continue
		}
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			_ = s.Leave(ctx, "")
		}()
	}
	wg.Wait()
}

// withCallee registers the remote echo on a session of its own and runs f;
// the callee leaves afterwards.
func (e *loadEnv) withCallee(f func() error) error {
	callee, err := e.dial()
	if err != nil {
		return err
	}
	defer leaveAll([]*client.Session{callee})
	_, err = callee.Register(e.ctx, procRemoteEcho, func(_ context.Context, inv *client.Invocation) (*client.Result, error) {
		return &client.Result{Args: inv.Args, Kwargs: inv.Kwargs}, nil
	}, nil)
	if err != nil {
		return err
	}
	return f()
}

// call makes one echo call with the payload and checks the answer.
func (e *loadEnv) call(s *client.Session, proc wamp.URI) error {
	res, err := s.Call(e.ctx, proc, wamp.List{e.payload}, nil, nil)
	if err != nil {
		return err
	}
	if len(res.Args) != 1 || res.Args[0] != e.payload {
		return fmt.Errorf("%s answered %v", proc, res.Args)
	}
	return nil
}

// rpcLatency: one caller, sequential calls, to the Go procedure and to the
// remote callee: p50, p99 and router CPU per call.
func (e *loadEnv) rpcLatency(m metrics) error {
	e = e.rpcEnv()
	caller, err := e.dial()
	if err != nil {
		return err
	}
	defer leaveAll([]*client.Session{caller})
	measure := func(key string, proc wamp.URI) error {
		samples, ops, cpu, err := e.sequential(func() error { return e.call(caller, proc) })
		if err != nil {
			return err
		}
		m["rpc."+key+".p50_us"], m["rpc."+key+".p99_us"] = percentiles(samples)
		m["rpc."+key+".cpu_us"] = cpu
		m["rpc."+key+".calls"] = float64(ops)
		return nil
	}
	if err := measure("inproc", procEcho); err != nil {
		return err
	}
	return e.withCallee(func() error { return measure("remote", procRemoteEcho) })
}

// sequential runs op back to back: a warm-up, then e.cfg.Phase measured.
// It returns each op's duration, the count, and the router's CPU per op.
func (e *loadEnv) sequential(op func() error) ([]time.Duration, int64, float64, error) {
	return sequentialOps(e.ctx, e.cfg.Phase, e.router.pid(), op)
}

// sequentialOps is sequential for any child process.
func sequentialOps(ctx context.Context, phase time.Duration, pid int, op func() error) ([]time.Duration, int64, float64, error) {
	for warm := time.Now().Add(phase / 5); time.Now().Before(warm); {
		if err := op(); err != nil {
			return nil, 0, 0, err
		}
		if err := ctx.Err(); err != nil {
			return nil, 0, 0, err
		}
	}
	samples := make([]time.Duration, 0, 1<<14)
	meter := startCPU(pid)
	end := time.Now().Add(phase)
	for {
		t0 := time.Now()
		if !t0.Before(end) && len(samples) > 0 { // at least one sample, however slow
			break
		}
		if err := op(); err != nil {
			return nil, 0, 0, err
		}
		samples = append(samples, time.Since(t0))
		if err := ctx.Err(); err != nil {
			return nil, 0, 0, err
		}
	}
	cpu, err := meter.perOp(int64(len(samples)))
	return samples, int64(len(samples)), cpu, err
}

// rpcThroughput: calls/s and router CPU per call with each concurrency
// level, to the Go procedure and to the remote callee. Caller c runs on
// session c: one call in flight per session.
func (e *loadEnv) rpcThroughput(m metrics) error {
	e = e.rpcEnv()
	maxC := 0
	for _, c := range e.cfg.Concurrency {
		maxC = max(maxC, c)
	}
	callers, err := e.dialN(maxC)
	if err != nil {
		return err
	}
	defer leaveAll(callers)
	measure := func(key string, proc wamp.URI) error {
		for _, c := range e.cfg.Concurrency {
			perSec, cpu, err := e.concurrent(c, func(i int) error { return e.call(callers[i], proc) })
			if err != nil {
				return fmt.Errorf("%s with %d callers: %w", key, c, err)
			}
			m[fmt.Sprintf("rpc.%s.c%d.per_s", key, c)] = perSec
			m[fmt.Sprintf("rpc.%s.c%d.cpu_us", key, c)] = cpu
		}
		return nil
	}
	if err := measure("inproc", procEcho); err != nil {
		return err
	}
	return e.withCallee(func() error { return measure("remote", procRemoteEcho) })
}

// concurrent runs op(i) in a loop on n goroutines: a warm-up, then
// e.cfg.Phase measured; it returns ops/s and router CPU per op.
func (e *loadEnv) concurrent(n int, op func(i int) error) (perSec, cpuPerOp float64, err error) {
	return concurrentOps(e.ctx, e.cfg.Phase, e.router.pid(), n, op)
}

// concurrentOps is concurrent for any child process. The callers form an
// errgroup: the first failing op ends the phase at once.
func concurrentOps(ctx context.Context, phase time.Duration, pid int, n int, op func(i int) error) (perSec, cpuPerOp float64, err error) {
	var ops atomic.Int64
	var measuring atomic.Bool
	run, stop := context.WithCancel(ctx)
	defer stop()
	g, gctx := errgroup.WithContext(run)
	for i := range n {
		g.Go(func() error {
			for gctx.Err() == nil {
				if err := op(i); err != nil {
					return err
				}
				if measuring.Load() {
					ops.Add(1)
				}
			}
			return nil
		})
	}
	finish := func() error { stop(); return g.Wait() }
	if !sleepCtx(gctx, phase/5) { // warm-up
		if err := finish(); err != nil {
			return 0, 0, err
		}
		return 0, 0, ctx.Err()
	}
	meter := startCPU(pid)
	measuring.Store(true)
	t0 := time.Now()
	ok := sleepCtx(gctx, phase) && untilOne(gctx, ops.Load, oneOpLimit)
	measuring.Store(false)
	done := ops.Load()
	elapsed := time.Since(t0)
	cpu, cerr := meter.perOp(done)
	if err := finish(); err != nil {
		return 0, 0, err
	}
	switch {
	case !ok:
		return 0, 0, ctx.Err()
	case cerr != nil:
		return 0, 0, cerr
	}
	return float64(done) / elapsed.Seconds(), cpu, nil
}

// sleepCtx sleeps for d or until ctx ends; false if ctx ended.
// untilOne extends a measured phase until count reports at least one
// completed operation: on a slow or loaded machine a short phase can end
// before the first one does, which would leave nothing to divide by. It
// gives up after limit (a stuck router), and reports whether ctx is still
// live.
func untilOne(ctx context.Context, count func() int64, limit time.Duration) bool {
	for deadline := time.Now().Add(limit); count() == 0 && time.Now().Before(deadline); {
		if !sleepCtx(ctx, time.Millisecond) {
			return false
		}
	}
	return ctx.Err() == nil
}

// oneOpLimit bounds untilOne: far beyond any single operation of a working
// router, short enough that a stuck one fails the run.
const oneOpLimit = 10 * time.Second

func sleepCtx(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}
