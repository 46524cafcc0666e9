package main

import (
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// chartBar is what the test reads of one bar.
type chartBar struct{ phase, backend, stat string }

// parseChart decodes an SVG document and returns its bars (rect
// class="bar") with their data-value, failing on malformed XML or a root
// that is not <svg>.
func parseChart(t *testing.T, svg []byte) map[chartBar]float64 {
	t.Helper()
	d := xml.NewDecoder(bytes.NewReader(svg))
	bars := map[chartBar]float64{}
	root := ""
	for {
		tok, err := d.Token()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatalf("chart is not well-formed XML: %v\n%s", err, svg)
		}
		se, ok := tok.(xml.StartElement)
		if !ok {
			continue
		}
		if root == "" {
			root = se.Name.Local
		}
		attr := map[string]string{}
		for _, a := range se.Attr {
			attr[a.Name.Local] = a.Value
		}
		if se.Name.Local != "rect" || attr["class"] != "bar" {
			continue
		}
		b := chartBar{attr["data-phase"], attr["data-backend"], attr["data-stat"]}
		if _, dup := bars[b]; dup {
			t.Errorf("two bars for %+v", b)
		}
		v, err := strconv.ParseFloat(attr["data-value"], 64)
		if err != nil {
			t.Errorf("bar %+v: data-value %q", b, attr["data-value"])
		}
		if w, err := strconv.ParseFloat(attr["width"], 64); err != nil || w <= 0 {
			t.Errorf("bar %+v: width %q", b, attr["width"])
		}
		bars[b] = v
	}
	if root != "svg" {
		t.Fatalf("root element %q, want svg", root)
	}
	return bars
}

// fakeResults are results of every phase on every backend, with made-up
// figures (each one distinct), as a bench run would leave them.
func fakeResults(t *testing.T) *benchResults {
	t.Helper()
	cfg, err := parseBenchFlags([]string{"-quick"}, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	res := newBenchResults(cfg)
	i := 0.0
	for _, b := range cfg.routers() {
		res.Backends[b], res.EchoRuns[b] = metrics{}, metrics{}
		for _, row := range res.Rows {
			i++
			res.Backends[b][row.Key] = 10 + i
			if row.Echo != "" {
				res.EchoRuns[b][row.Echo] = 5 + i/10
			}
		}
	}
	return res
}

// The chart has one p50 and one p99 bar per latency figure and backend,
// and the echo floor's beside them where the figure has one; the bars
// carry the figures.
func TestChartBars(t *testing.T) {
	res := fakeResults(t)
	var svg bytes.Buffer
	res.computeRatios()
	res.chartSVG(&svg)
	bars := parseChart(t, svg.Bytes())
	panels := chartPanels(res.Rows)
	// The latency figures of every phase that has any: the interleaved
	// calls, the per-backend calls, the fan-outs, the blocking handlers.
	var phases []string
	for _, p := range panels {
		phases = append(phases, p.phase)
	}
	want := "[lat.inproc lat.remote rpc.inproc rpc.remote fanout.s1 fanout.s100 fanout.s1000 blockio.2_5ms blockio.20_50ms]"
	if got := fmt.Sprint(phases); got != want {
		t.Fatalf("chart panels %s, want %s", got, want)
	}
	n := 0
	for _, p := range panels {
		for _, stat := range []string{"p50", "p99"} {
			key := map[string]string{"p50": p.p50, "p99": p.p99}[stat]
			for _, b := range res.Config.routers() {
				v, ok := bars[chartBar{p.phase, b, stat}]
				if !ok || v != res.Backends[b][key] {
					t.Errorf("%s %s %s: bar %v (present %v), want %v", p.phase, b, stat, v, ok, res.Backends[b][key])
				}
				n++
			}
			echoKey := map[string]string{"p50": p.echoP50, "p99": p.echoP99}[stat]
			_, ok := bars[chartBar{p.phase, "echo", stat}]
			if ok != (echoKey != "") {
				t.Errorf("%s echo %s: bar present %v, echo figure %q", p.phase, stat, ok, echoKey)
			}
			if ok {
				n++
			}
		}
	}
	if len(bars) != n {
		t.Errorf("%d bars, want %d", len(bars), n)
	}
}

// A figure a run did not measure (a phase skipped on a -compare build)
// has no bar; the others are drawn, and labels are escaped.
func TestChartMissingFigure(t *testing.T) {
	res := fakeResults(t)
	delete(res.Backends["pool"], "lat.remote.p99_us")
	res.Config.Serializer = `json<&>"`
	var svg bytes.Buffer
	res.computeRatios()
	res.chartSVG(&svg)
	bars := parseChart(t, svg.Bytes())
	if _, ok := bars[chartBar{"lat.remote", "pool", "p99"}]; ok {
		t.Error("a bar for a figure that was not measured")
	}
	if _, ok := bars[chartBar{"lat.remote", "pool", "p50"}]; !ok {
		t.Error("the measured p50 beside the missing p99 has no bar")
	}
	if !strings.Contains(svg.String(), "json&lt;&amp;&gt;") {
		t.Error("text is not escaped")
	}
}

// -from-json measures nothing: it prints the table of an earlier run's
// JSON and draws its chart, the same one the run would have drawn.
func TestBenchFromJSON(t *testing.T) {
	dir := t.TempDir()
	res := fakeResults(t)
	in := filepath.Join(dir, "run.json")
	if err := res.writeJSON(in); err != nil {
		t.Fatal(err)
	}
	var want bytes.Buffer
	res.chartSVG(&want)
	chart := filepath.Join(dir, "chart.svg")
	var out bytes.Buffer
	if err := benchMain([]string{"-from-json", in, "-chart", chart}, &out, io.Discard); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "interleaved: RPC in-process Go procedure, 1 caller: p50") {
		t.Fatalf("no table:\n%s", out.String())
	}
	got, err := os.ReadFile(chart)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want.Bytes()) {
		t.Fatal("the chart of the JSON differs from the run's own")
	}
	if err := os.WriteFile(in, []byte(`{"rows":[]}`), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := benchMain([]string{"-from-json", in}, io.Discard, io.Discard); err == nil {
		t.Fatal("a JSON file without results: no error")
	}
}
