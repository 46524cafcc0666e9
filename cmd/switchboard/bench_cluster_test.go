package main

import (
	"bytes"
	"context"
	"io"
	"math"
	"slices"
	"strings"
	"testing"
)

// -phases takes cluster, which the default phases leave out.
func TestParseBenchFlagsCluster(t *testing.T) {
	c, err := parseBenchFlags(nil, io.Discard)
	if err != nil || slices.Contains(c.Phases, "cluster") {
		t.Fatalf("default phases %v, %v: want no cluster", c.Phases, err)
	}
	c, err = parseBenchFlags([]string{"-phases", "rpc-latency,cluster"}, io.Discard)
	if err != nil || !slices.Equal(c.Phases, []string{"rpc-latency", "cluster"}) {
		t.Fatalf("-phases rpc-latency,cluster: %v, %v", c.Phases, err)
	}
}

// The cluster phase runs NATS and 1, 2 and 3 nodes as child processes
// (this test binary) and reports every figure and ratio, in the table
// too. Magnitudes are not checked: this is not a performance test. The
// NATS figures (zero with one node) and the CPU each cross-node message
// adds (a difference of two measurements, which a short noisy phase can
// make negative) are only checked to be there.
func TestBenchCluster(t *testing.T) {
	cfg := tinyBench(t, "goroutine")
	cfg.Phases = []string{"cluster"}
	var log bytes.Buffer
	res, err := runBench(context.Background(), cfg, &log)
	if err != nil {
		t.Fatalf("bench: %v\n%s", err, log.String())
	}
	var table bytes.Buffer
	res.printTable(&table)
	m := res.Backends["goroutine"]
	rows := clusterRows()
	if len(rows) != 9*3+7*2 || len(res.Rows) != len(rows) {
		t.Fatalf("%d cluster rows, %d in the results", len(rows), len(res.Rows))
	}
	for _, row := range rows {
		if strings.Contains(row.key, ".nats_") || strings.Contains(row.key, "added_cpu") {
			if v, ok := m[row.key]; !ok || math.IsNaN(v) || math.IsInf(v, 0) {
				t.Errorf("%s = %v (present %v), want a finite number", row.key, v, ok)
			}
		} else {
			wantPositive(t, row.key, m, row.key)
		}
		if line := tableLine(table.String(), row.label); line == "" || strings.Contains(line, " - ") {
			t.Errorf("table row %q missing or incomplete: %q", row.label, line)
		}
	}
	wantNoChildren(t)
}
