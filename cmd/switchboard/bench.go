package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"maps"
	"os"
	"os/signal"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/switchboard-wamp/switchboard/core/serialize"
)

// benchPhases are the measurement phases run against each router.
var benchPhases = []string{latencyPhase, "rpc-latency", "rpc-throughput", "fanout", "sessions", "idle", "block-sessions", "block-io", "slowsub"}

// benchConfig is the bench's settings, from its flags.
type benchConfig struct {
	Backends      []string      `json:"backends"`
	Serializer    string        `json:"serializer"`
	Phase         time.Duration `json:"phase_ns"` // measured time of each phase
	Quick         bool          `json:"quick"`
	Concurrency   []int         `json:"concurrency"`
	Fanout        []int         `json:"fanout"`
	Phases        []string      `json:"phases"`
	IdleSessions  int           `json:"idle_sessions"`
	BlockSessions int           `json:"block_sessions"` // sessions of block-sessions, each with a call waiting
	BlockCallers  int           `json:"block_callers"`  // callers of block-io
	PayloadBytes  int           `json:"payload_bytes"`
	NoFile        uint64        `json:"nofile_limit"` // RLIMIT_NOFILE after raising it
	JSONPath      string        `json:"-"`
	ChartPath     string        `json:"-"`
	FromJSON      string        `json:"-"` // measure nothing: table and chart of this earlier -json file
	CPUProfileDir string        `json:"-"`
	Exe           string        `json:"-"` // the binary re-executed for children
	// CompareExe is another build of switchboard whose router children are
	// measured too, each right after this build's on the same backend:
	// its results are the backends named "<backend>@compare".
	CompareExe string `json:"compare_exe,omitempty"`
}

// compareSuffix marks the backends of the -compare build.
const compareSuffix = "@compare"

// routers lists the router runs of c, in order: each backend, followed
// by the same backend of the -compare build when there is one.
func (c benchConfig) routers() []string {
	var out []string
	for _, b := range c.Backends {
		out = append(out, b)
		if c.CompareExe != "" {
			out = append(out, b+compareSuffix)
		}
	}
	return out
}

// routerExe returns the binary and backend of a router run named by
// routers.
func (c benchConfig) routerExe(run string) (exe, backend string) {
	if b, ok := strings.CutSuffix(run, compareSuffix); ok {
		return c.CompareExe, b
	}
	return c.Exe, run
}

func parseBenchFlags(args []string, stderr io.Writer) (benchConfig, error) {
	var c benchConfig
	var backends, conc, fanout, phases string
	var idle, blockSessions int
	fs := flag.NewFlagSet("switchboard bench", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&backends, "backends", strings.Join(backendNames, ","), "comma-separated backends to measure")
	fs.StringVar(&c.Serializer, "serializer", "json", "serializer: json, msgpack or cbor")
	fs.DurationVar(&c.Phase, "duration", 0, "measured time of each phase (0 = 1s, or 200ms with -quick); about 15 phases per backend")
	fs.StringVar(&c.JSONPath, "json", "", "write all raw figures as JSON to this file")
	fs.BoolVar(&c.Quick, "quick", false, "short phases and 1,000 idle sessions: a smoke run of about 20s")
	fs.StringVar(&phases, "phases", strings.Join(benchPhases, ","), "phases to run, in this order (the echo floor always runs); also "+strings.Join(optionalBenchPhases, ",")+" (bench_cluster.go, bench_sessions_il.go)")
	fs.StringVar(&conc, "concurrency", "1,16,256", "concurrent callers of the throughput phases")
	fs.StringVar(&fanout, "fanout", "1,100,1000", "subscriber counts of the fan-out phases")
	fs.IntVar(&idle, "idle-sessions", 0, "sessions joined for the idle-memory phase (0 = 10000, or 1000 with -quick)")
	fs.IntVar(&blockSessions, "block-sessions", 0, "sessions of the block-sessions phase, each with a call waiting in a blocking handler (0 = 10000, or 1000 with -quick)")
	fs.IntVar(&c.BlockCallers, "block-callers", 256, "concurrent callers of the block-io phase (handlers blocking 2-5 ms)")
	fs.StringVar(&c.ChartPath, "chart", "", "write an SVG chart of the latency figures (p50 and p99 per phase and backend, echo floor beside them) to this file")
	fs.StringVar(&c.FromJSON, "from-json", "", "measure nothing: print the table of this earlier -json file (and write its chart with -chart)")
	fs.IntVar(&c.PayloadBytes, "payload", 64, "bytes of the string argument of every call and event")
	fs.StringVar(&c.CompareExe, "compare", "", "path of another switchboard binary (say, a build of main) whose router is measured right after each backend of this one, in the same run: columns <backend>"+compareSuffix)
	fs.StringVar(&c.CPUProfileDir, "cpuprofile-dir", "", "write CPU profiles of each router child (router-<backend>.pprof) and of the echo child here, and the router's heap with the idle sessions joined (router-<backend>.heap.pprof)")
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "Usage: switchboard bench [flags]\n\n"+
			"Measures the router on each backend, in a child process, against a raw WebSocket echo\n"+
			"server (the floor): RPC latency and throughput, pub/sub fan-out, session setup and\n"+
			"teardown, idle session memory, and handlers that block (block-sessions: goroutines\n"+
			"and memory with thousands of calls waiting; block-io: calls/s when each blocks 2-5 ms).\n\nFlags:\n")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return c, err
	}
	if fs.NArg() > 0 {
		return c, fmt.Errorf("unexpected argument %q (see bench -h)", fs.Arg(0))
	}
	c.Backends, c.Phases = splitList(backends), splitList(phases)
	var err error
	if c.Concurrency, err = parseInts(conc); err != nil {
		return c, fmt.Errorf("-concurrency: %w", err)
	}
	if c.Fanout, err = parseInts(fanout); err != nil {
		return c, fmt.Errorf("-fanout: %w", err)
	}
	c.IdleSessions, c.BlockSessions = idle, blockSessions
	c = c.withDefaults()
	return c, c.validate()
}

func (c benchConfig) withDefaults() benchConfig {
	if c.Phase == 0 {
		c.Phase = time.Second
		if c.Quick {
			c.Phase = 200 * time.Millisecond
		}
	}
	if c.IdleSessions == 0 {
		c.IdleSessions = 10000
		if c.Quick {
			c.IdleSessions = 1000
		}
	}
	if c.BlockSessions == 0 {
		c.BlockSessions = 10000
		if c.Quick {
			c.BlockSessions = 1000
		}
	}
	return c
}

func (c benchConfig) validate() error {
	if len(c.Backends) == 0 {
		return errors.New("-backends: none given")
	}
	for _, b := range c.Backends {
		if !slices.Contains(backendNames, b) {
			return fmt.Errorf("-backends: unknown backend %q (want %v)", b, backendNames)
		}
	}
	if len(c.Phases) == 0 {
		return errors.New("-phases: none given")
	}
	for _, p := range c.Phases {
		if !slices.Contains(benchPhases, p) && !slices.Contains(optionalBenchPhases, p) {
			return fmt.Errorf("-phases: unknown phase %q (want %v, or %v)", p, benchPhases, optionalBenchPhases)
		}
	}
	if _, ok := serialize.ByName(c.Serializer); !ok {
		return fmt.Errorf("-serializer: unknown %q", c.Serializer)
	}
	switch {
	case c.Phase < 0:
		return errors.New("-duration: negative")
	case c.IdleSessions < 1:
		return errors.New("-idle-sessions: want at least 1")
	case c.BlockSessions < 1:
		return errors.New("-block-sessions: want at least 1")
	case c.BlockCallers < 1:
		return errors.New("-block-callers: want at least 1")
	case c.PayloadBytes < 0:
		return errors.New("-payload: negative")
	}
	return nil
}

func parseInts(s string) ([]int, error) {
	var out []int
	for _, f := range splitList(s) {
		n, err := strconv.Atoi(f)
		if err != nil || n < 1 {
			return nil, fmt.Errorf("%q is not a positive integer", f)
		}
		out = append(out, n)
	}
	return out, nil
}

// splitList splits a comma-separated flag value, dropping spaces and
// empty items.
func splitList(s string) []string {
	var out []string
	for _, f := range strings.Split(s, ",") {
		if f = strings.TrimSpace(f); f != "" {
			out = append(out, f)
		}
	}
	return out
}

// benchMain runs the whole bench: the echo floor, then each backend, then
// prints the table and writes the JSON. Children are stopped on every exit
// path, SIGINT and SIGTERM included.
func benchMain(args []string, stdout, stderr io.Writer) error {
	cfg, err := parseBenchFlags(args, stderr)
	if err != nil {
		return err
	}
	if cfg.FromJSON != "" {
		return replotBench(cfg, stdout)
	}
	if cfg.Exe == "" {
		if cfg.Exe, err = os.Executable(); err != nil {
			return err
		}
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	defer killChildren()
	res, err := runBench(ctx, cfg, stderr)
	if err != nil {
		return err
	}
	res.printTable(stdout)
	if cfg.ChartPath != "" {
		if err := res.writeChart(cfg.ChartPath); err != nil {
			return err
		}
	}
	if cfg.JSONPath != "" {
		return res.writeJSON(cfg.JSONPath)
	}
	return nil
}

// replotBench prints the table of an earlier -json file and writes its
// chart when -chart is given.
func replotBench(cfg benchConfig, stdout io.Writer) error {
	b, err := os.ReadFile(cfg.FromJSON)
	if err != nil {
		return err
	}
	var res benchResults
	if err := json.Unmarshal(b, &res); err != nil {
		return fmt.Errorf("-from-json %s: %w", cfg.FromJSON, err)
	}
	if len(res.Backends) == 0 || len(res.Rows) == 0 {
		return fmt.Errorf("-from-json %s: no bench results in it", cfg.FromJSON)
	}
	for _, m := range []*map[string]metrics{&res.EchoRuns, &res.Backends, &res.Ratios} {
		if *m == nil {
			*m = map[string]metrics{}
		}
	}
	if res.Echo == nil {
		res.Echo = metrics{}
	}
	res.printTable(stdout)
	if cfg.ChartPath != "" {
		return res.writeChart(cfg.ChartPath)
	}
	return nil
}

// runBench measures every backend, each right after a measurement of the
// echo floor. stderr receives the progress lines and the children's own
// stderr.
func runBench(ctx context.Context, cfg benchConfig, stderr io.Writer) (*benchResults, error) {
	stderr = &lockedWriter{w: stderr} // children's stderr is copied by exec's goroutines
	cfg.NoFile = raiseNoFile()
	res := newBenchResults(cfg)
	start := time.Now()
	progress := func(format string, a ...any) {
		fmt.Fprintf(stderr, "bench %6.1fs: %s\n", time.Since(start).Seconds(), fmt.Sprintf(format, a...))
	}
	echo, err := startEchoFloor(cfg, stderr)
	if err != nil {
		return nil, fmt.Errorf("echo floor: %w", err)
	}
	defer echo.stop()
	if slices.Contains(cfg.Phases, latencyPhase) {
		if err := runLatency(ctx, cfg, echo, res, stderr, progress); err != nil {
			return nil, fmt.Errorf("%s: %w", latencyPhase, err)
		}
	}
	if slices.Contains(cfg.Phases, sessionsILPhase) {
		if err := runSessionsInterleaved(ctx, cfg, res, stderr, progress); err != nil {
			return nil, fmt.Errorf("%s: %w", sessionsILPhase, err)
		}
	}
	// The other phases measure one backend at a time.
	each := cfg
	each.Phases = slices.DeleteFunc(slices.Clone(cfg.Phases), func(p string) bool { return p == latencyPhase || p == sessionsILPhase })
	for _, b := range cfg.routers() {
		if len(each.Phases) == 0 {
			break
		}
		em, err := echo.measure(ctx, progress)
		if err != nil {
			return nil, fmt.Errorf("echo floor: %w", err)
		}
		if res.EchoRuns[b] != nil { // the latency phase's echo figures
			maps.Copy(em, res.EchoRuns[b])
		}
		res.EchoRuns[b] = em
		m, err := runRouterBench(ctx, each, b, stderr, progress)
		if err != nil {
			return nil, fmt.Errorf("backend %s: %w", b, err)
		}
		if res.Backends[b] != nil {
			maps.Copy(m, res.Backends[b])
		}
		res.Backends[b] = m
	}
	res.Elapsed = time.Since(start).Seconds()
	return res, nil
}

// lockedWriter serialises writes from several goroutines.
type lockedWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (l *lockedWriter) Write(b []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(b)
}

// childArgs returns the hidden subcommand's arguments, with a CPU profile
// path when profiles were asked for.
func childArgs(cfg benchConfig, sub, run string) []string {
	args := []string{sub, "-addr", "127.0.0.1:0", "-serializer", cfg.Serializer}
	if run != "" {
		_, backend := cfg.routerExe(run)
		args = append(args, "-backend", backend)
	}
	if cfg.CPUProfileDir != "" {
		name := "echo.pprof"
		if run != "" {
			name = "router-" + run + ".pprof"
			args = append(args, "-memprofile", filepath.Join(cfg.CPUProfileDir, "router-"+run+".heap.pprof"))
		}
		args = append(args, "-cpuprofile", filepath.Join(cfg.CPUProfileDir, name))
	}
	return args
}
