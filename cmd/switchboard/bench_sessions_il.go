package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/switchboard-wamp/switchboard/adapters/goroutine"
	"github.com/switchboard-wamp/switchboard/core/serialize"
)

// The sessions-interleaved phase is the sessions phase (sessionChurn)
// measured like the latency phase: every router child runs at once, and
// the session loops alternate between them in short slices, in a rotating
// order. The sessions phase measures each router in a window of its own,
// and on a shared machine the load of other jobs moves between those
// windows by more than a build's change; here every router sees the same
// mix of quiet and busy moments. Its figures are each router's CPU during
// its own slices per session completed in them, and sessions/s.
const sessionsILPhase = "sessions-interleaved"

// sessionsILRounds is how many slices each router's measurement is cut
// into (round 0, the warm-up, comes on top).
const sessionsILRounds = 20

// runSessionsInterleaved measures the phase and stores its figures in
// res.Backends.
func runSessionsInterleaved(ctx context.Context, cfg benchConfig, res *benchResults, stderr io.Writer, progress progressFunc) error {
	ser, _ := serialize.ByName(cfg.Serializer)
	log := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelError}))
	as := goroutine.New(goroutine.Config{Logger: log})
	defer as.Close()
	type target struct {
		env      *loadEnv
		sessions int64
		cpu      time.Duration
		wall     time.Duration
	}
	var targets []*target
	defer func() {
		for _, t := range targets {
			t.env.router.stop()
		}
	}()
	for _, run := range cfg.routers() {
		exe, _ := cfg.routerExe(run)
		ch, err := startChild("router "+run, exe, childArgs(cfg, cmdBenchRouter, run), stderr)
		if err != nil {
			return fmt.Errorf("%s: %w", run, err)
		}
		targets = append(targets, &target{env: &loadEnv{ctx: ctx, name: run, progress: progress, cfg: cfg, router: ch,
			as: as, ser: ser, log: log, payload: strings.Repeat("x", cfg.PayloadBytes)}})
	}
	progress("%s: %d routers interleaved, %d rounds", sessionsILPhase, len(targets), sessionsILRounds)
	slice := max(cfg.Phase/sessionsILRounds, 50*time.Millisecond)
	for round := range sessionsILRounds + 1 {
		for i := range targets {
			t := targets[(i+round)%len(targets)]
			meter := startCPU(t.env.router.pid())
			t0 := time.Now()
			n, err := t.env.churnFor(slice)
			wall := time.Since(t0)
			if err != nil {
				return fmt.Errorf("%s: %w", t.env.name, err)
			}
			used, err := meter.used()
			if err != nil {
				return fmt.Errorf("%s: %w", t.env.name, err)
			}
			if round > 0 {
				t.sessions += n
				t.cpu += used
				t.wall += wall
			}
		}
	}
	for _, t := range targets {
		if res.Backends[t.env.name] == nil {
			res.Backends[t.env.name] = metrics{}
		}
		m := res.Backends[t.env.name]
		m["isessions.c8.per_s"] = float64(t.sessions) / t.wall.Seconds()
		m["isessions.c8.cpu_us"] = float64(t.cpu) / float64(time.Microsecond) / float64(max(1, t.sessions))
	}
	return nil
}

// churnFor runs sessionWorkers connect + join + leave loops for d and
// returns how many sessions they completed; it returns once every loop's
// last session has left.
func (e *loadEnv) churnFor(d time.Duration) (int64, error) {
	ctx, cancel := context.WithTimeout(e.ctx, d)
	defer cancel()
	var done atomic.Int64
	errs := make(chan error, sessionWorkers)
	var wg sync.WaitGroup
	for range sessionWorkers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for ctx.Err() == nil {
				if err := e.oneSession(); err != nil {
					errs <- err
					return
				}
				done.Add(1)
			}
		}()
	}
	wg.Wait()
	select {
	case err := <-errs:
		return 0, fmt.Errorf("session loop: %w", err)
	default:
	}
	return done.Load(), e.ctx.Err()
}
