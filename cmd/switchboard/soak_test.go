package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"io"
	"os"
	"strings"
	"testing"
	"time"
)

func TestParseSoakFlags(t *testing.T) {
	c, err := parseSoakFlags(nil, io.Discard)
	if err != nil || len(c.Backends) != 3 || c.Cycles != 100000 || c.Sessions != 50 || c.Duration != 30*time.Second {
		t.Fatalf("defaults: %+v %v", c, err)
	}
	for _, bad := range [][]string{{"-backends", "threads"}, {"-backends", ""}, {"-cycles", "-1"},
		{"-sessions", "1"}, {"-workers", "0"}, {"-duration", "-1s"}, {"extra"}} {
		if _, err := parseSoakFlags(bad, io.Discard); err == nil {
			t.Errorf("%v: no error", bad)
		}
	}
	if _, err := parseSoakFlags([]string{"-h"}, io.Discard); !errors.Is(err, flag.ErrHelp) {
		t.Fatalf("-h: %v", err)
	}
}

// A tiny soak against a real router child (this test binary): every cycle
// completes, messages flow, and the table has the row. The flat/GREW
// verdict is not asserted: a test under the race detector on a loaded
// machine is no place to judge memory; that is the command's own job.
func TestSoakSmoke(t *testing.T) {
	t.Setenv(benchChildEnv, "1")
	cfg, err := parseSoakFlags([]string{"-backends", "eventloop", "-cycles", "30", "-workers", "3",
		"-sessions", "3", "-duration", "100ms"}, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	cfg.Exe = os.Args[0]
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	defer killChildren()
	r, err := soakBackend(ctx, cfg, "eventloop", io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if r.cycles != 30 || r.messages == 0 || r.peakRSS <= 0 || r.before.goroutines <= 0 || r.after.heap <= 0 {
		t.Fatalf("result: %+v", r)
	}
	var out bytes.Buffer
	_ = printSoak(&out, []soakResult{r})
	if !strings.Contains(out.String(), "eventloop  30 ") {
		t.Fatalf("table:\n%s", out.String())
	}
}

func TestPrintSoakVerdict(t *testing.T) {
	ok := soakResult{backend: "pool", before: memProbe{goroutines: 10, heap: 1 << 20}, after: memProbe{goroutines: 11, heap: 1.5 * (1 << 20)}}
	grew := ok
	grew.after.goroutines = 200
	var out bytes.Buffer
	if err := printSoak(&out, []soakResult{ok}); err != nil || !strings.Contains(out.String(), "flat") {
		t.Fatalf("flat row: %v\n%s", err, out.String())
	}
	out.Reset()
	if err := printSoak(&out, []soakResult{ok, grew}); !errors.Is(err, errReported) || !strings.Contains(out.String(), "GREW") {
		t.Fatalf("grown row: %v\n%s", err, out.String())
	}
}
