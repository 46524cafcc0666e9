package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// benchChildEnv makes the test binary act as the switchboard binary: the
// bench re-executes os.Args[0] for its children, which here is the test
// binary, so init runs the hidden subcommand instead of the tests.
const benchChildEnv = "SWITCHBOARD_BENCH_TEST_CHILD"

func init() {
	if os.Getenv(benchChildEnv) != "1" {
		return
	}
	if err := runSubcommand(os.Args[1:], os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "bench child:", err)
		os.Exit(1)
	}
	os.Exit(0)
}

func TestParseBenchFlags(t *testing.T) {
	c, err := parseBenchFlags(nil, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if len(c.Backends) != 3 || c.Phase != time.Second || c.IdleSessions != 10000 || fmt.Sprint(c.Concurrency) != "[1 16 256]" ||
		c.BlockSessions != 10000 || c.BlockCallers != 256 || c.ChartPath != "" || len(c.Phases) != len(benchPhases) {
		t.Fatalf("defaults: %+v", c)
	}
	c, err = parseBenchFlags([]string{"-quick", "-backends", "pool", "-fanout", "2, 5", "-chart", "c.svg"}, io.Discard)
	if err != nil || c.Phase != 200*time.Millisecond || c.IdleSessions != 1000 || fmt.Sprint(c.Fanout) != "[2 5]" ||
		c.BlockSessions != 1000 || c.ChartPath != "c.svg" {
		t.Fatalf("-quick: %+v, %v", c, err)
	}
	for _, bad := range [][]string{
		{"-backends", "threads"}, {"-backends", ""}, {"-serializer", "xml"}, {"-concurrency", "0"},
		{"-fanout", "a"}, {"-duration", "-1s"}, {"-payload", "-1"}, {"extra"},
		{"-phases", "latency,nap"}, {"-block-sessions", "-1"}, {"-block-callers", "0"},
	} {
		if _, err := parseBenchFlags(bad, io.Discard); err == nil {
			t.Errorf("%v: no error", bad)
		}
	}
	if _, err := parseBenchFlags([]string{"-h"}, io.Discard); !errors.Is(err, flag.ErrHelp) {
		t.Fatalf("-h: %v", err)
	}
}

// tinyBench is a bench config small enough for a test: one backend, short
// phases, few sessions, real child processes (this test binary).
func tinyBench(t *testing.T, backend string) benchConfig {
	t.Helper()
	t.Setenv(benchChildEnv, "1")
	cfg, err := parseBenchFlags([]string{"-quick", "-backends", backend, "-duration", "30ms",
		"-concurrency", "1,3", "-fanout", "1,4", "-idle-sessions", "300",
		"-block-sessions", "200", "-block-callers", "3"}, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	cfg.Exe = os.Args[0]
	return cfg
}

// The bench runs end to end against child processes and reports every
// figure, positive and finite, in the table and in the JSON. Magnitudes
// are not checked: this is not a performance test.
func TestBenchQuick(t *testing.T) {
	cfg := tinyBench(t, "eventloop")
	cfg.JSONPath = filepath.Join(t.TempDir(), "bench.json")
	var log bytes.Buffer
	res, err := runBench(context.Background(), cfg, &log)
	if err != nil {
		t.Fatalf("bench: %v\n%s", err, log.String())
	}
	var table bytes.Buffer
	res.printTable(&table)
	if err := res.writeJSON(cfg.JSONPath); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(cfg.JSONPath)
	if err != nil {
		t.Fatal(err)
	}
	var got benchResults
	if err := json.Unmarshal(b, &got); err != nil {
		t.Fatalf("JSON output does not decode: %v", err)
	}
	m := got.Backends["eventloop"]
	for _, row := range got.Rows {
		if mayBeZero[row.Key] {
			wantFinite(t, "eventloop "+row.Key, m, row.Key)
		} else {
			wantPositive(t, "eventloop "+row.Key, m, row.Key)
		}
		if row.Echo != "" {
			wantPositive(t, "echo "+row.Echo, got.Echo, row.Echo)
			wantPositive(t, "echo run "+row.Echo, got.EchoRuns["eventloop"], row.Echo)
			wantPositive(t, "ratio "+row.Key, got.Ratios["eventloop"], row.Key)
		}
		line := tableLine(table.String(), row.Label)
		if line == "" || strings.Contains(line, " - ") {
			t.Errorf("table row %q missing or incomplete: %q", row.Label, line)
		}
	}
	if len(got.Rows) != len(benchRows(cfg)) || got.Config.IdleSessions != 300 {
		t.Fatalf("JSON has %d rows and config %+v", len(got.Rows), got.Config)
	}
	wantNoChildren(t)
}

// mayBeZero are the figures that are differences of two probes: a
// backend may add nothing (the pool's goroutines; an idle RawSocket
// session on Linux holds no goroutine, so none of its stack), and memory
// returned to the OS in between can make one negative.
var mayBeZero = map[string]bool{
	"blocksess.goroutines_added": true, "blocksess.rss_added_per_call_b": true,
	"blocksess.heap_added_per_call_b": true, "blocksess.stack_added_per_call_b": true,
	"idle.goroutines_per_session": true, "idle.stack_per_session_b": true,
}

func wantFinite(t *testing.T, what string, m metrics, key string) {
	t.Helper()
	v, ok := m[key]
	if !ok || math.IsNaN(v) || math.IsInf(v, 0) {
		t.Errorf("%s = %v (present %v), want a finite number", what, v, ok)
	}
}

func wantPositive(t *testing.T, what string, m metrics, key string) {
	t.Helper()
	v, ok := m[key]
	if !ok || !(v > 0) || math.IsInf(v, 0) {
		t.Errorf("%s = %v (present %v), want a positive finite number", what, v, ok)
	}
}

func tableLine(table, label string) string {
	for _, l := range strings.Split(table, "\n") {
		if strings.Contains(l, label+"  ") {
			return l
		}
	}
	return ""
}

func wantNoChildren(t *testing.T) {
	t.Helper()
	children.mu.Lock()
	defer children.mu.Unlock()
	if len(children.live) != 0 {
		t.Fatalf("%d child processes still running", len(children.live))
	}
}

// An interrupted bench (SIGINT cancels the context) stops its children and
// reports the interruption.
func TestBenchInterrupted(t *testing.T) {
	cfg := tinyBench(t, "goroutine")
	cfg.Phase = time.Minute
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() {
		// Cancel once the echo child is up and measuring.
		for ctx.Err() == nil {
			children.mu.Lock()
			n := len(children.live)
			children.mu.Unlock()
			if n > 0 {
				time.Sleep(100 * time.Millisecond)
				cancel()
				return
			}
			time.Sleep(5 * time.Millisecond)
		}
	}()
	_, err := runBench(ctx, cfg, io.Discard)
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("interrupted bench: err %v, want context.Canceled", err)
	}
	wantNoChildren(t)
}

// With -compare, every backend is measured on a second binary too, right
// after this one's, and reported as "<backend>@compare" (here the second
// binary is this one again).
func TestBenchCompare(t *testing.T) {
	cfg := tinyBench(t, "goroutine")
	cfg.Phases = []string{"sessions"}
	cfg.CompareExe = cfg.Exe
	var log bytes.Buffer
	res, err := runBench(context.Background(), cfg, &log)
	if err != nil {
		t.Fatalf("bench: %v\n%s", err, log.String())
	}
	if got := fmt.Sprint(cfg.routers()); got != "[goroutine goroutine@compare]" {
		t.Fatalf("router runs %s", got)
	}
	for _, run := range cfg.routers() {
		wantPositive(t, run+" sessions/s", res.Backends[run], "sessions.c8.per_s")
		wantPositive(t, run+" CPU/session", res.Backends[run], "sessions.c8.cpu_us")
	}
	var table bytes.Buffer
	res.printTable(&table)
	if !strings.Contains(table.String(), "goroutine@compare (×echo)") {
		t.Fatalf("no column of the compared build:\n%s", table.String())
	}
	wantNoChildren(t)
}

// The interleaved sessions phase runs every router at once (here a build
// and its -compare, the same binary) and reports each one's sessions/s and
// CPU per session; no per-backend phase runs after it.
func TestBenchSessionsInterleaved(t *testing.T) {
	cfg := tinyBench(t, "eventloop")
	cfg.Phases = []string{sessionsILPhase}
	cfg.CompareExe = cfg.Exe
	var log bytes.Buffer
	res, err := runBench(context.Background(), cfg, &log)
	if err != nil {
		t.Fatalf("bench: %v\n%s", err, log.String())
	}
	for _, run := range cfg.routers() {
		wantPositive(t, run+" sessions/s", res.Backends[run], "isessions.c8.per_s")
		wantPositive(t, run+" CPU/session", res.Backends[run], "isessions.c8.cpu_us")
		if _, ok := res.Backends[run]["sessions.c8.per_s"]; ok {
			t.Errorf("%s: the per-backend sessions phase ran too", run)
		}
	}
	var table bytes.Buffer
	res.printTable(&table)
	if !strings.Contains(table.String(), "interleaved: connect + join + leave") {
		t.Fatalf("no row of the phase:\n%s", table.String())
	}
	wantNoChildren(t)
}

// The phases that show what each backend is for run on every backend in
// one bench: the interleaved latency phase (all routers at once), the
// sessions waiting in blocking handlers and the blocking throughput. The
// goroutine counts are structure, not timing: every waiting handler is a
// goroutine of its own on the goroutine backend, while the pool's workers
// and the event loop's offload helpers (64) are bounded.
func TestBenchBlockingPhases(t *testing.T) {
	cfg := tinyBench(t, "goroutine")
	cfg.Backends = backendNames
	cfg.Phases = []string{latencyPhase, "block-sessions", "block-io"}
	cfg.ChartPath = filepath.Join(t.TempDir(), "latency.svg")
	var log bytes.Buffer
	res, err := runBench(context.Background(), cfg, &log)
	if err != nil {
		t.Fatalf("bench: %v\n%s", err, log.String())
	}
	var table bytes.Buffer
	res.printTable(&table)
	for _, b := range backendNames {
		for _, row := range res.Rows {
			if mayBeZero[row.Key] {
				wantFinite(t, b+" "+row.Key, res.Backends[b], row.Key)
			} else {
				wantPositive(t, b+" "+row.Key, res.Backends[b], row.Key)
			}
			if row.Echo != "" {
				wantPositive(t, b+" ratio "+row.Key, res.Ratios[b], row.Key)
			}
		}
	}
	n := float64(cfg.BlockSessions)
	if g := res.Backends["goroutine"]["blocksess.goroutines_added"]; g < n {
		t.Errorf("goroutine backend: %v goroutines added by %v waiting calls, want one each", g, n)
	}
	for _, b := range []string{"eventloop", "pool"} {
		if g := res.Backends[b]["blocksess.goroutines_added"]; g > n/2 {
			t.Errorf("%s: %v goroutines added by %v waiting calls, want a bounded number", b, g, n)
		}
	}
	if err := res.writeChart(cfg.ChartPath); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(cfg.ChartPath); err != nil {
		t.Fatal(err)
	}
	wantNoChildren(t)
}
