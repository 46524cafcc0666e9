package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"text/tabwriter"
	"time"

	"github.com/switchboard-wamp/switchboard/adapters/goroutine"
	"github.com/switchboard-wamp/switchboard/client"
	"github.com/switchboard-wamp/switchboard/core/serialize"
	"github.com/switchboard-wamp/switchboard/core/wamp"
)

// The soak command: churn and sustained mixed load against a router child
// on each backend, then a check that the router's goroutines and heap
// came back to where they started. It reuses the bench's router child
// (bench_child.go) and load environment (bench_rpc.go).

// soakConfig is the soak's settings, from its flags.
type soakConfig struct {
	Backends []string
	Cycles   int           // connect/join/leave cycles
	Workers  int           // cycles run this many at a time
	Sessions int           // sessions of the mixed phase
	Duration time.Duration // length of the mixed phase
	Exe      string        // the binary re-executed for the router child
}

// Topics and procedures of the mixed phase.
const (
	soakTopic  = "soak.topic"
	soakRemote = "soak.remote.echo"
)

func parseSoakFlags(args []string, stderr io.Writer) (soakConfig, error) {
	var c soakConfig
	var backends string
	fs := flag.NewFlagSet("switchboard soak", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&backends, "backends", strings.Join(backendNames, ","), "comma-separated backends to soak")
	fs.IntVar(&c.Cycles, "cycles", 100000, "connect/join/leave cycles per backend")
	fs.IntVar(&c.Workers, "workers", 16, "cycles run concurrently")
	fs.IntVar(&c.Sessions, "sessions", 50, "sessions doing mixed RPC and pub/sub")
	fs.DurationVar(&c.Duration, "duration", 30*time.Second, "length of the mixed RPC and pub/sub phase")
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "Usage: switchboard soak [flags]\n\n"+
			"Soaks the router on each backend, in a child process: connect/join/leave cycles, then\n"+
			"sessions doing mixed RPC (in-process and remote callee) and acknowledged pub/sub for a\n"+
			"set time; then checks that the router's goroutines and heap (after GC) came back to\n"+
			"their baseline, and prints a table. Exits 1 if they did not.\n\nFlags:\n")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return c, err
	}
	if fs.NArg() > 0 {
		return c, fmt.Errorf("unexpected argument %q (see soak -h)", fs.Arg(0))
	}
	c.Backends = splitList(backends)
	for _, b := range c.Backends {
		if !slices.Contains(backendNames, b) {
			return c, fmt.Errorf("-backends: unknown backend %q (want %v)", b, backendNames)
		}
	}
	switch {
	case len(c.Backends) == 0:
		return c, errors.New("-backends: none given")
	case c.Cycles < 0 || c.Workers < 1 || c.Sessions < 2 || c.Duration < 0:
		return c, errors.New("want -cycles >= 0, -workers >= 1, -sessions >= 2 and -duration >= 0")
	}
	return c, nil
}

// soakResult is one backend's row of the table.
type soakResult struct {
	backend          string
	cycles, messages int64
	peakRSS          int64
	before, after    memProbe
}

// flat reports whether the router came back to its baseline: at most a
// few goroutines more (timers and pools warm up), and a heap at most
// 1 MiB or 50 % above the baseline, whichever is larger.
func (r soakResult) flat() bool {
	return r.after.goroutines <= r.before.goroutines+4 &&
		r.after.heap <= max(r.before.heap+(1<<20), r.before.heap*1.5)
}

func soakMain(args []string, stdout, stderr io.Writer) error {
	cfg, err := parseSoakFlags(args, stderr)
	if err != nil {
		return err
	}
	if cfg.Exe == "" {
		if cfg.Exe, err = os.Executable(); err != nil {
			return err
		}
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	defer killChildren()
	raiseNoFile()
	stderr = &lockedWriter{w: stderr}
	var rows []soakResult
	for _, b := range cfg.Backends {
		fmt.Fprintf(stderr, "soak: %s: %d cycles, then %d sessions for %v\n", b, cfg.Cycles, cfg.Sessions, cfg.Duration)
		r, err := soakBackend(ctx, cfg, b, stderr)
		if err != nil {
			return fmt.Errorf("%s: %w", b, err)
		}
		rows = append(rows, r)
	}
	return printSoak(stdout, rows)
}

// printSoak prints the table, and returns errReported when a backend did
// not come back to its baseline.
func printSoak(w io.Writer, rows []soakResult) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "backend\tcycles\tmessages\tpeak RSS\tgoroutines before/after\theap before/after\tresult")
	grew := false
	for _, r := range rows {
		verdict := "flat"
		if !r.flat() {
			verdict, grew = "GREW", true
		}
		fmt.Fprintf(tw, "%s\t%d\t%d\t%.1f MiB\t%.0f / %.0f\t%.2f / %.2f MiB\t%s\n", r.backend, r.cycles, r.messages,
			float64(r.peakRSS)/(1<<20), r.before.goroutines, r.after.goroutines, r.before.heap/(1<<20), r.after.heap/(1<<20), verdict)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	if grew {
		fmt.Fprintln(w, "soak: the router's goroutines or heap did not come back to the baseline")
		return errReported
	}
	return nil
}

// soakBackend runs both phases against a fresh router child on backend.
func soakBackend(ctx context.Context, cfg soakConfig, backend string, stderr io.Writer) (soakResult, error) {
	r := soakResult{backend: backend}
	bc := benchConfig{Serializer: "json"}
	ch, err := startChild("router "+backend, cfg.Exe, childArgs(bc, cmdBenchRouter, backend), stderr)
	if err != nil {
		return r, err
	}
	defer ch.stop()
	log := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelError}))
	as := goroutine.New(goroutine.Config{Logger: log})
	defer as.Close()
	e := &loadEnv{ctx: ctx, cfg: bc, router: ch, as: as, ser: serialize.JSON, log: log}
	ctl, err := e.dial()
	if err != nil {
		return r, err
	}
	defer ctl.Leave(ctx, "")
	if r.before, err = e.settledMem(ctl); err != nil {
		return r, err
	}
	if r.cycles, err = e.churn(cfg.Cycles, cfg.Workers); err != nil {
		return r, fmt.Errorf("churn: %w", err)
	}
	if r.messages, err = e.mixed(cfg.Sessions, cfg.Duration); err != nil {
		return r, fmt.Errorf("mixed load: %w", err)
	}
	if err := e.waitSessions(ctl, 1); err != nil {
		return r, err
	}
	if r.after, err = e.settledMem(ctl); err != nil {
		return r, err
	}
	r.peakRSS, err = procStatusBytes(ch.pid(), "VmHWM:")
	return r, err
}

// churn runs n connect/join/leave cycles, workers at a time, and returns
// how many completed.
func (e *loadEnv) churn(n, workers int) (int64, error) {
	var next, done atomic.Int64
	var wg sync.WaitGroup
	errs := make([]error, workers)
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for next.Add(1) <= int64(n) && e.ctx.Err() == nil {
				s, err := e.dial()
				if err == nil {
					err = s.Leave(e.ctx, "")
				}
				if err != nil {
					errs[w] = err
					return
				}
				done.Add(1)
			}
		}()
	}
	wg.Wait()
	return done.Load(), errors.Join(append(errs, e.ctx.Err())...)
}

// mixed runs n sessions for d: one of them is a remote callee; each calls
// the in-process echo and the remote echo in turn and publishes an
// acknowledged event that every other session receives. It returns the
// messages routed: calls, publications and events received.
func (e *loadEnv) mixed(n int, d time.Duration) (int64, error) {
	ss, err := e.dialN(n)
	if err != nil {
		return 0, err
	}
	defer leaveAll(ss)
	var msgs atomic.Int64
	echo := func(_ context.Context, inv *client.Invocation) (*client.Result, error) {
		return &client.Result{Args: inv.Args}, nil
	}
	if _, err := ss[0].Register(e.ctx, soakRemote, echo, nil); err != nil {
		return 0, err
	}
	for _, s := range ss {
		if _, err := s.Subscribe(e.ctx, soakTopic, func(*client.Event) { msgs.Add(1) }, nil); err != nil {
			return 0, err
		}
	}
	ctx, cancel := context.WithTimeout(e.ctx, d)
	defer cancel()
	var wg sync.WaitGroup
	errs := make([]error, n)
	args := wamp.List{"soak"}
	for i, s := range ss {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for k := 0; ctx.Err() == nil; k++ {
				proc := wamp.URI(procEcho)
				if k%2 == 1 {
					proc = soakRemote
				}
				_, err := s.Call(ctx, proc, args, nil, nil)
				if err == nil {
					err = s.Publish(ctx, soakTopic, args, nil, &client.PublishOptions{Acknowledge: true})
				}
				if err != nil {
					if ctx.Err() == nil {
						errs[i] = err
					}
					return
				}
				msgs.Add(2)
			}
		}()
	}
	wg.Wait()
	return msgs.Load(), errors.Join(errs...)
}

// waitSessions waits (up to 30s) until the router's realm holds want
// sessions: the cycles' and the mixed phase's sessions are gone.
func (e *loadEnv) waitSessions(ctl *client.Session, want int64) error {
	var n int64
	for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); {
		res, err := ctl.Call(e.ctx, "wamp.session.count", nil, nil, nil)
		if err != nil {
			return err
		}
		if len(res.Args) == 1 {
			if n, _ = wamp.ToInt(res.Args[0]); n == want {
				return nil
			}
		}
		if !sleepCtx(e.ctx, 50*time.Millisecond) {
			return e.ctx.Err()
		}
	}
	return fmt.Errorf("the router still holds %d sessions 30s after the load ended, want %d", n, want)
}
