package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"strings"
	"time"

	"github.com/switchboard-wamp/switchboard/adapters/eventloop"
	"github.com/switchboard-wamp/switchboard/client"
	"github.com/switchboard-wamp/switchboard/core/serialize"
	"github.com/switchboard-wamp/switchboard/core/wamp"
)

// The latency phase compares the backends' round trips side by side. The
// other phases measure one backend at a time, each in its own window of
// the run; on a shared machine the load of other jobs moves between those
// windows by more than the backends differ. Here every router child runs
// at once and the measurement alternates between them in short slices:
// the echo floor, then each backend's in-process and remote call, in a
// rotating order, for latencyRounds rounds. Every target thus sees the
// same mix of quiet and busy moments. The CPU a target's process used
// during its slices, per call, is its CPU figure: the other routers are
// idle meanwhile, so backends and builds are compared on CPU side by side
// too.

// latencyPhase is the name of the interleaved phase; it runs once for all
// backends, before the per-backend phases.
const latencyPhase = "latency"

// latencyRounds is how many slices each target's measurement is cut into.
const latencyRounds = 20

// latencyTarget is one thing whose round trip is measured.
type latencyTarget struct {
	run, key string // router run ("" for the echo floor), "inproc" or "remote"
	op       func() error
	pid      int // the process serving it: its CPU during the target's slices is the target's
	samples  []time.Duration
	cpu      time.Duration // the serving process's CPU during the measured slices
}

// runLatency measures the latency phase and stores its figures: the
// backends' in res.Backends, the echo floor's in every res.EchoRuns entry
// (the ratios of this phase divide by the same echo figures).
func runLatency(ctx context.Context, cfg benchConfig, echo *echoFloor, res *benchResults, stderr io.Writer, progress progressFunc) error {
	ser, _ := serialize.ByName(cfg.Serializer)
	log := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelError}))
	as := rpcClient(log)
	defer as.Close()
	targets := []*latencyTarget{{key: "echo", pid: echo.ch.pid(), op: func() error { return echo.conns[0].roundTrip(ctx, echo.op, echo.frame) }}}
	var sessions []*client.Session
	var routers []*child
	defer func() { // the sessions leave, then the routers stop
		leaveAll(sessions)
		for _, ch := range routers {
			ch.stop()
		}
	}()
	for _, run := range cfg.routers() {
		exe, _ := cfg.routerExe(run)
		ch, err := startChild("router "+run, exe, childArgs(cfg, cmdBenchRouter, run), stderr)
		if err != nil {
			return fmt.Errorf("%s: %w", run, err)
		}
		routers = append(routers, ch)
		e := &loadEnv{ctx: ctx, name: run, progress: progress, cfg: cfg, router: ch, as: as, ser: ser, log: log, payload: strings.Repeat("x", cfg.PayloadBytes)}
		ts, ss, err := e.latencyTargets()
		sessions = append(sessions, ss...)
		if err != nil {
			return fmt.Errorf("%s: %w", run, err)
		}
		targets = append(targets, ts...)
	}
	progress("%s: %d targets interleaved, %d rounds", latencyPhase, len(targets), latencyRounds)
	slice := max(cfg.Phase/latencyRounds, time.Millisecond)
	// Round 0 is the warm-up: its samples are dropped.
	for round := range latencyRounds + 1 {
		for i := range targets {
			t := targets[(i+round)%len(targets)]
			meter := startCPU(t.pid)
			samples, err := timedOps(ctx, slice, t.op)
			if err != nil {
				return fmt.Errorf("%s %s: %w", t.run, t.key, err)
			}
			used, err := meter.used()
			if err != nil {
				return fmt.Errorf("%s %s: %w", t.run, t.key, err)
			}
			if round > 0 {
				t.samples = append(t.samples, samples...)
				t.cpu += used
			}
		}
	}
	storeLatency(res, targets[0], targets[1:])
	return nil
}

// rpcClient is the client backend of the load generator's sessions in the
// RPC phases (latency, rpc-latency, rpc-throughput): the event loop, on
// which a session makes its call on the calling goroutine and handles the
// router's answer on the connection's reader, writing at once (claims,
// inline writes), as the echo floor's client does with its frames. Its
// own CPU is not the router's, but it decides how often the router's
// writes find the load generator asleep, which the kernel charges to the
// writer: with 16 callers, the router's CPU per call was 0.85x (event-loop
// router, in-process) of its figure against the goroutine client. The
// other phases keep the goroutine backend (fan-out to 1,000 subscribers,
// sessions, blocking handlers), whose figures they were first measured
// with.
func rpcClient(log *slog.Logger) *eventloop.Loop {
	return eventloop.New(eventloop.Config{Logger: log})
}

// latencyTargets joins a caller and a callee, which registers the remote
// echo, and returns the router's two targets (the in-process and the
// remote echo) and the sessions, to leave at the end, even on an error.
func (e *loadEnv) latencyTargets() ([]*latencyTarget, []*client.Session, error) {
	ss, err := e.dialN(2)
	if err != nil {
		return nil, nil, err
	}
	caller, callee := ss[0], ss[1]
	if _, err := callee.Register(e.ctx, procRemoteEcho, func(_ context.Context, inv *client.Invocation) (*client.Result, error) {
		return &client.Result{Args: inv.Args, Kwargs: inv.Kwargs}, nil
	}, nil); err != nil {
		return nil, ss, err
	}
	var out []*latencyTarget
	for _, k := range []struct {
		key  string
		proc wamp.URI
	}{{"inproc", procEcho}, {"remote", procRemoteEcho}} {
		out = append(out, &latencyTarget{run: e.name, key: k.key, pid: e.router.pid(), op: func() error { return e.call(caller, k.proc) }})
	}
	return out, ss, nil
}

// storeLatency puts the figures of the echo target and the routers'
// targets into res.
func storeLatency(res *benchResults, echo *latencyTarget, targets []*latencyTarget) {
	echoM := metrics{}
	echoM["echo.lat.p50_us"], echoM["echo.lat.p99_us"] = percentiles(echo.samples)
	echoM["echo.lat.cpu_us"] = echo.cpuPerOp()
	for _, t := range targets {
		if res.Backends[t.run] == nil {
			res.Backends[t.run] = metrics{}
		}
		m := res.Backends[t.run]
		m["lat."+t.key+".p50_us"], m["lat."+t.key+".p99_us"] = percentiles(t.samples)
		m["lat."+t.key+".cpu_us"] = t.cpuPerOp()
		m["lat."+t.key+".calls"] = float64(len(t.samples))
		if res.EchoRuns[t.run] == nil {
			res.EchoRuns[t.run] = metrics{}
		}
		maps.Copy(res.EchoRuns[t.run], echoM)
	}
}

// cpuPerOp is the serving process's CPU per measured operation, in µs.
func (t *latencyTarget) cpuPerOp() float64 {
	return float64(t.cpu) / float64(time.Microsecond) / float64(max(1, len(t.samples)))
}

// timedOps runs op back to back for d (at least once) and returns each
// op's duration.
func timedOps(ctx context.Context, d time.Duration, op func() error) ([]time.Duration, error) {
	var out []time.Duration
	for end := time.Now().Add(d); len(out) == 0 || time.Now().Before(end); {
		t0 := time.Now()
		if err := op(); err != nil {
			return nil, err
		}
		out = append(out, time.Since(t0))
		if err := ctx.Err(); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// latencyRows are the rows of the latency phase (see benchRows).
func latencyRows(add func(key, label, unit, echo string)) {
	for _, k := range []struct{ key, name string }{{"inproc", "in-process Go procedure"}, {"remote", "remote callee"}} {
		add("lat."+k.key+".p50_us", "interleaved: RPC "+k.name+", 1 caller: p50", "µs", "echo.lat.p50_us")
		add("lat."+k.key+".p99_us", "interleaved: RPC "+k.name+", 1 caller: p99", "µs", "echo.lat.p99_us")
		add("lat."+k.key+".cpu_us", "interleaved: RPC "+k.name+", 1 caller: router CPU/call", "µs", "echo.lat.cpu_us")
	}
}
