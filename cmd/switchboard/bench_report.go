package main

import (
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"math"
	"os"
	"runtime"
	"slices"
	"strings"
	"text/tabwriter"
	"time"
)

// metrics are one server's figures by key (see benchRows for the keys).
type metrics map[string]float64

// benchRow is one line of the table: a router figure and the echo figure
// it is compared with ("" when there is none).
type benchRow struct {
	Phase string `json:"phase"`
	Key   string `json:"key"`
	Label string `json:"label"`
	Unit  string `json:"unit"`
	Echo  string `json:"echo,omitempty"`
}

// benchHost describes where the figures were taken.
type benchHost struct {
	GoVersion  string `json:"go_version"`
	NumCPU     int    `json:"num_cpu"`
	GOMAXPROCS int    `json:"gomaxprocs"`
	CPUSource  string `json:"cpu_source"`
}

// benchResults is everything the bench measured; it is what -json writes.
type benchResults struct {
	Config benchConfig `json:"config"`
	Host   benchHost   `json:"host"`
	Rows   []benchRow  `json:"rows"`
	// EchoRuns are the echo floor's figures, measured right before each
	// backend (by backend name); Echo is their mean, the table's column.
	EchoRuns map[string]metrics `json:"echo_runs"`
	Echo     metrics            `json:"echo"`
	Backends map[string]metrics `json:"backends"`
	// Ratios are each backend's figures divided by the echo figure of
	// their row (Rows[i].Echo) in the echo run that preceded the backend.
	Ratios  map[string]metrics `json:"ratios"`
	Elapsed float64            `json:"elapsed_s"`
}

func newBenchResults(cfg benchConfig) *benchResults {
	src := "/proc/<pid>/task/*/schedstat (ns)"
	if _, err := os.Stat("/proc/self/task"); err != nil {
		src = "unavailable"
	}
	return &benchResults{
		Config:   cfg,
		Host:     benchHost{GoVersion: runtime.Version(), NumCPU: runtime.NumCPU(), GOMAXPROCS: runtime.GOMAXPROCS(0), CPUSource: src},
		Rows:     benchRows(cfg),
		EchoRuns: map[string]metrics{},
		Echo:     metrics{},
		Backends: map[string]metrics{},
		Ratios:   map[string]metrics{},
	}
}

// cpuRefConcurrency is the echo run whose CPU per message is the reference
// of the fan-out rows: 16 connections when measured, else the largest.
func cpuRefConcurrency(cfg benchConfig) int {
	if slices.Contains(cfg.Concurrency, 16) {
		return 16
	}
	return slices.Max(cfg.Concurrency)
}

// benchRows lists the table's rows for cfg.
func benchRows(cfg benchConfig) []benchRow {
	var rows []benchRow
	phase := ""
	add := func(key, label, unit, echo string) {
		if slices.Contains(cfg.Phases, phase) {
			rows = append(rows, benchRow{phase, key, label, unit, echo})
		}
	}
	phase = latencyPhase
	latencyRows(add)
	kinds := []struct{ key, name string }{{"inproc", "in-process Go procedure"}, {"remote", "remote callee"}}
	phase = "rpc-latency"
	for _, k := range kinds {
		add("rpc."+k.key+".p50_us", "RPC "+k.name+", 1 caller: p50", "µs", "echo.p50_us")
		add("rpc."+k.key+".p99_us", "RPC "+k.name+", 1 caller: p99", "µs", "echo.p99_us")
		add("rpc."+k.key+".cpu_us", "RPC "+k.name+", 1 caller: router CPU/call", "µs", "echo.cpu_us")
	}
	phase = "rpc-throughput"
	for _, k := range kinds {
		for _, c := range cfg.Concurrency {
			add(fmt.Sprintf("rpc.%s.c%d.per_s", k.key, c), fmt.Sprintf("RPC %s, %d callers: calls/s", k.name, c), "1/s", fmt.Sprintf("echo.c%d.per_s", c))
			add(fmt.Sprintf("rpc.%s.c%d.cpu_us", k.key, c), fmt.Sprintf("RPC %s, %d callers: router CPU/call", k.name, c), "µs", fmt.Sprintf("echo.c%d.cpu_us", c))
		}
	}
	ref := cpuRefConcurrency(cfg)
	refMax := slices.Max(cfg.Concurrency)
	phase = "fanout"
	for _, n := range cfg.Fanout {
		add(fmt.Sprintf("fanout.s%d.per_s", n), fmt.Sprintf("fan-out to %d: events delivered/s", n), "1/s", fmt.Sprintf("echo.c%d.per_s", refMax))
		add(fmt.Sprintf("fanout.s%d.p50_us", n), fmt.Sprintf("fan-out to %d: publish-to-deliver p50", n), "µs", "echo.p50_us")
		add(fmt.Sprintf("fanout.s%d.p99_us", n), fmt.Sprintf("fan-out to %d: publish-to-deliver p99", n), "µs", "echo.p99_us")
		add(fmt.Sprintf("fanout.s%d.cpu_us", n), fmt.Sprintf("fan-out to %d: router CPU/delivered event", n), "µs", fmt.Sprintf("echo.c%d.cpu_us", ref))
	}
	phase = "sessions"
	add("sessions.c8.per_s", fmt.Sprintf("connect + join + leave, %d in parallel: sessions/s", sessionWorkers), "1/s", "")
	add("sessions.c8.cpu_us", fmt.Sprintf("connect + join + leave, %d in parallel: router CPU/session", sessionWorkers), "µs", "")
	phase = sessionsILPhase
	add("isessions.c8.per_s", fmt.Sprintf("interleaved: connect + join + leave, %d in parallel: sessions/s", sessionWorkers), "1/s", "")
	add("isessions.c8.cpu_us", fmt.Sprintf("interleaved: connect + join + leave, %d in parallel: router CPU/session", sessionWorkers), "µs", "")
	phase = "idle"
	add("idle.rss_per_session_b", fmt.Sprintf("idle session (%d joined): RSS", cfg.IdleSessions), "B", "")
	add("idle.heap_per_session_b", "idle session: Go heap in use", "B", "")
	add("idle.stack_per_session_b", "idle session: goroutine stacks in use", "B", "")
	add("idle.goroutines_per_session", "idle session: goroutines", "", "")
	blockRows(cfg, func(p, key, label, unit string) { phase = p; add(key, label, unit, "") })
	phase = "cluster"
	for _, r := range clusterRows() {
		add(r.key, r.label, r.unit, "")
	}
	return append(rows, slowSubRows(cfg)...)
}

// computeRatios fills Echo (the mean of the echo runs) and Ratios.
func (r *benchResults) computeRatios() {
	sum, n := metrics{}, map[string]int{}
	// Summed in a fixed order of runs: a float sum in map order differs
	// in its last bits from run to run (a chart redrawn from the JSON
	// must be the run's own).
	for _, run := range slices.Sorted(maps.Keys(r.EchoRuns)) {
		em := r.EchoRuns[run]
		for k, v := range em {
			sum[k] += v
			n[k]++
		}
	}
	for k, v := range sum {
		r.Echo[k] = v / float64(n[k])
	}
	for b, m := range r.Backends {
		rm := metrics{}
		for _, row := range r.Rows {
			v, ok1 := m[row.Key]
			e, ok2 := r.EchoRuns[b][row.Echo]
			if ok1 && ok2 && e > 0 {
				rm[row.Key] = v / e
			}
		}
		r.Ratios[b] = rm
	}
}

// printTable writes one row per metric: each backend's figure with its
// ratio to the echo floor, then the echo figure.
func (r *benchResults) printTable(w io.Writer) {
	r.computeRatios()
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	head := []string{"metric", "unit"}
	for _, b := range r.Config.routers() {
		head = append(head, b+" (×echo)")
	}
	head = append(head, "echo floor (mean)")
	fmt.Fprintln(tw, strings.Join(head, "\t")+"\t")
	for _, row := range r.Rows {
		cells := []string{row.Label, row.Unit}
		for _, b := range r.Config.routers() {
			v, ok := r.Backends[b][row.Key]
			cell := "-"
			if ok {
				cell = fmtFigure(v)
				if ratio, ok := r.Ratios[b][row.Key]; ok {
					cell += fmt.Sprintf(" (%.2f×)", ratio)
				}
			}
			cells = append(cells, cell)
		}
		e := "-"
		if v, ok := r.Echo[row.Echo]; ok {
			e = fmtFigure(v)
		}
		cells = append(cells, e)
		fmt.Fprintln(tw, strings.Join(cells, "\t")+"\t")
	}
	tw.Flush()
	fmt.Fprintf(w, "\n%s, %d CPUs (GOMAXPROCS %d), serializer %s, %v per phase, %.0fs in all. CPU is the child process's (%s).\n"+
		"Ratios divide by the echo floor measured just before each backend; the echo column is the mean of those runs.\n",
		r.Host.GoVersion, r.Host.NumCPU, r.Host.GOMAXPROCS, r.Config.Serializer, r.Config.Phase, r.Elapsed, r.Host.CPUSource)
}

func fmtFigure(v float64) string {
	switch a := math.Abs(v); {
	case a >= 1000:
		return fmt.Sprintf("%.0f", v)
	case a >= 10:
		return fmt.Sprintf("%.1f", v)
	default:
		return fmt.Sprintf("%.2f", v)
	}
}

// writeJSON writes r, indented, to path.
func (r *benchResults) writeJSON(path string) error {
	r.computeRatios()
	b, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(path, append(b, '\n'), 0o644)
}

// percentiles returns the p50 and p99 of samples in µs (samples are
// sorted in place).
func percentiles(samples []time.Duration) (p50, p99 float64) {
	if len(samples) == 0 {
		return 0, 0
	}
	slices.Sort(samples)
	at := func(p float64) float64 {
		i := int(math.Ceil(p*float64(len(samples)))) - 1
		i = min(max(i, 0), len(samples)-1)
		return float64(samples[i]) / float64(time.Microsecond)
	}
	return at(0.50), at(0.99)
}
