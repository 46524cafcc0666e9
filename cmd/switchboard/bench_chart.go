package main

import (
	"bytes"
	"fmt"
	"html"
	"io"
	"os"
	"strings"
)

// The latency chart (-chart): one panel per latency figure of the table
// (each row pair "…: p50" / "…: p99"), one group per backend plus the echo
// floor, each group a p50 bar and a lighter p99 bar, every bar labelled
// with its value and its ratio to the echo floor. The SVG is written by
// hand: a bar chart needs no plotting library. Each bar is a
// <rect class="bar"> with data-phase, data-backend and data-stat
// attributes, so the chart can be checked (and restyled) mechanically.

// chartPanel is one latency figure: its label and the keys of its p50 and
// p99 rows and of the echo figures beside them.
type chartPanel struct {
	phase, title     string
	p50, p99         string
	echoP50, echoP99 string // "" when the figure has no echo floor
}

// chartPanels lists the latency figures of rows, in table order.
func chartPanels(rows []benchRow) []chartPanel {
	byKey := map[string]benchRow{}
	for _, r := range rows {
		byKey[r.Key] = r
	}
	var out []chartPanel
	for _, r := range rows {
		base, ok := strings.CutSuffix(r.Key, ".p50_us")
		if !ok {
			continue
		}
		title := strings.TrimRight(strings.TrimSuffix(r.Label, "p50"), " :")
		p := chartPanel{phase: base, title: title, p50: r.Key, echoP50: r.Echo}
		if r99, ok := byKey[base+".p99_us"]; ok {
			p.p99, p.echoP99 = r99.Key, r99.Echo
		}
		out = append(out, p)
	}
	return out
}

// chartColors are the bar colours of the backends, then of the echo floor.
var chartColors = map[string]string{"goroutine": "#4e79a7", "eventloop": "#e15759", "pool": "#59a14f", "echo": "#8c8c8c"}

const (
	chartWidth  = 860
	chartLabelW = 170 // the group labels' column
	chartBarsW  = 520 // the longest bar
	chartBarH   = 13
	chartGap    = 9 // between groups
)

// writeChart writes the latency chart of r to path.
func (r *benchResults) writeChart(path string) error {
	r.computeRatios()
	var b bytes.Buffer
	r.chartSVG(&b)
	return os.WriteFile(path, b.Bytes(), 0o644)
}

// chartSVG writes the chart as an SVG document.
func (r *benchResults) chartSVG(w io.Writer) {
	var body strings.Builder
	y := 64
	for _, p := range chartPanels(r.Rows) {
		groups := r.Config.routers()
		if p.echoP50 != "" {
			groups = append(groups, "echo")
		}
		r.chartPanel(&body, p, groups, y)
		y += 26 + len(groups)*(2*chartBarH+chartGap)
	}
	height := y + 24
	fmt.Fprintf(w, `<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" viewBox="0 0 %d %d" font-family="sans-serif" font-size="12">`+"\n",
		chartWidth, height, chartWidth, height)
	fmt.Fprintf(w, `<rect width="100%%" height="100%%" fill="#ffffff"/>`+"\n")
	fmt.Fprintf(w, `<text x="10" y="22" font-size="16" font-weight="bold">%s</text>`+"\n",
		esc("switchboard bench: round-trip latency per backend (µs; p50 solid, p99 light; ratio to the echo floor)"))
	fmt.Fprintf(w, `<text x="10" y="42" fill="#555555">%s</text>`+"\n", esc(fmt.Sprintf(
		"%s, %d CPUs, serializer %s, %d-byte payload, %v per phase; echo floor: raw gws WebSocket echo, mean of its runs in the same bench",
		r.Host.GoVersion, r.Host.NumCPU, r.Config.Serializer, r.Config.PayloadBytes, r.Config.Phase)))
	io.WriteString(w, body.String())
	fmt.Fprintf(w, `<text x="10" y="%d" fill="#555555">%s</text>`+"\n", height-10,
		esc("go run ./cmd/switchboard bench -chart PATH; a ratio divides by the echo floor of the same run (interleaved rows: the echo slices between them)"))
	io.WriteString(w, "</svg>\n")
}

// chartPanel writes one panel at height y.
func (r *benchResults) chartPanel(w *strings.Builder, p chartPanel, groups []string, y int) {
	fmt.Fprintf(w, `<g class="panel" data-phase="%s">`+"\n", esc(p.phase))
	fmt.Fprintf(w, `<text x="10" y="%d" font-weight="bold">%s</text>`+"\n", y+14, esc(p.title))
	// The panel's scale: its largest figure fills chartBarsW.
	scale := 0.0
	for _, g := range groups {
		for _, k := range r.chartKeys(p, g) {
			scale = max(scale, r.chartValue(g, k))
		}
	}
	gy := y + 24
	for _, g := range groups {
		fmt.Fprintf(w, `<text x="%d" y="%d" text-anchor="end">%s</text>`+"\n", chartLabelW-8, gy+chartBarH+4, esc(chartGroupName(g)))
		for i, stat := range []string{"p50", "p99"} {
			keys := r.chartKeys(p, g)
			if i >= len(keys) || keys[i] == "" {
				continue
			}
			v := r.chartValue(g, keys[i])
			if v <= 0 {
				continue
			}
			bw := 1.0
			if scale > 0 {
				bw = max(1, v/scale*chartBarsW)
			}
			by := gy + i*chartBarH
			opacity := "1"
			if stat == "p99" {
				opacity = "0.45"
			}
			label := fmt.Sprintf("%s %s", stat, fmtFigure(v))
			if ratio, ok := r.Ratios[g][keys[i]]; ok {
				label += fmt.Sprintf(" (%.2f×)", ratio)
			}
			fmt.Fprintf(w, `<rect class="bar" data-phase="%s" data-backend="%s" data-stat="%s" data-value="%g" x="%d" y="%d" width="%.1f" height="%d" fill="%s" fill-opacity="%s"><title>%s</title></rect>`+"\n",
				esc(p.phase), esc(g), stat, v, chartLabelW, by, bw, chartBarH-1, chartColor(g), opacity, esc(chartGroupName(g)+" "+label+" µs"))
			fmt.Fprintf(w, `<text x="%.1f" y="%d" font-size="11">%s</text>`+"\n", float64(chartLabelW)+bw+4, by+chartBarH-3, esc(label))
		}
		gy += 2*chartBarH + chartGap
	}
	w.WriteString("</g>\n")
}

// chartKeys returns the keys of a group's p50 and p99 figures in a panel
// ("" where there is none).
func (r *benchResults) chartKeys(p chartPanel, group string) []string {
	if group == "echo" {
		return []string{p.echoP50, p.echoP99}
	}
	return []string{p.p50, p.p99}
}

// chartValue returns a group's figure (0 when missing).
func (r *benchResults) chartValue(group, key string) float64 {
	if key == "" {
		return 0
	}
	if group == "echo" {
		return r.Echo[key]
	}
	return r.Backends[group][key]
}

func chartGroupName(g string) string {
	if g == "echo" {
		return "echo floor"
	}
	return g
}

// chartColor is a group's colour; a -compare run takes its backend's.
func chartColor(g string) string {
	if c, ok := chartColors[strings.TrimSuffix(g, compareSuffix)]; ok {
		return c
	}
	return "#777777"
}

func esc(s string) string { return html.EscapeString(s) }
