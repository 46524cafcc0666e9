package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"path/filepath"
	"strings"
	"time"

	"github.com/switchboard-wamp/switchboard/client"
	"github.com/switchboard-wamp/switchboard/core/serialize"
)

// The cluster phase (-phases cluster) measures the router as a cluster of
// 1, 2 and 3 nodes on this machine: an embedded NATS server and each node
// in a process of its own (the hidden subcommands bench-nats and
// bench-node, bench_cluster_child.go), on the backend under test. With one
// node every client is on node a; with more, the callers and the publisher
// stay on node a and the callees and subscribers move to the other nodes,
// so that every call and every event crosses NATS. Each figure of 2 and 3
// nodes is also given as a ratio to the single node's, measured in the
// same run right before.
//
// It is not one of the default phases: it starts four more processes per
// cluster size (NATS with JetStream, the nodes), waits for the nodes to
// learn each other's registrations and subscriptions, and compares the
// router with itself rather than with the echo floor; and a -compare
// build without the cluster (older than issue 15) cannot run it.

// optionalBenchPhases are the phases -phases accepts that do not run by
// default.
var optionalBenchPhases = []string{"cluster", sessionsILPhase}

// clusterSizes are the node counts of the cluster phase.
var clusterSizes = []int{1, 2, 3}

const (
	// clusterCallers is the number of concurrent callers of the calls/s
	// figure, one call in flight each, all on node a.
	clusterCallers = 16
	// clusterSubscribers subscribe to the events, spread over the nodes
	// other than a (on a when it is alone).
	clusterSubscribers = 8
	// clusterWindow bounds the publications in flight (published, not yet
	// delivered to every subscriber).
	clusterWindow = 16
	// clusterReadyLimit bounds the wait for the nodes to know each
	// other's registrations and subscriptions.
	clusterReadyLimit = 30 * time.Second
	procClusterEcho   = "bench.cluster.echo"
	topicCluster      = "bench.cluster.events"
)

// benchCluster is one running cluster: NATS and its nodes.
type benchCluster struct {
	nats  *child
	nodes []*child // nodes[0] is node a
}

func (bc *benchCluster) stop() {
	for _, n := range bc.nodes {
		n.stop()
	}
	if bc.nats != nil {
		bc.nats.stop()
	}
}

// nodePids are the nodes' process IDs.
func (bc *benchCluster) nodePids() []int {
	pids := make([]int, len(bc.nodes))
	for i, n := range bc.nodes {
		pids[i] = n.pid()
	}
	return pids
}

// clusterAll runs the cluster phase for every size, then adds the ratios.
func (e *loadEnv) clusterAll(m metrics) error {
	for _, n := range clusterSizes {
		if err := e.clusterRun(n, m); err != nil {
			return fmt.Errorf("%d nodes: %w", n, err)
		}
	}
	clusterRatios(m)
	return nil
}

// startCluster starts NATS and n nodes (a, b, ...) of the run's build and
// backend.
func (e *loadEnv) startCluster(n int) (*benchCluster, error) {
	exe, backend := e.cfg.routerExe(e.name)
	bc := &benchCluster{}
	var err error
	if bc.nats, err = startChild("nats", exe, []string{cmdBenchNATS}, e.stderr); err != nil {
		return nil, fmt.Errorf("%w (a build older than the cluster cannot run this phase)", err)
	}
	for i := range n {
		name := nodeName(i)
		args := []string{cmdBenchNode, "-backend", backend, "-node", name, "-nats", bc.nats.addrs.WS}
		if e.cfg.CPUProfileDir != "" {
			args = append(args, "-cpuprofile", filepath.Join(e.cfg.CPUProfileDir, fmt.Sprintf("node-%s-n%d-%s.pprof", e.name, n, name)))
		}
		ch, err := startChild("node "+name, exe, args, e.stderr)
		if err != nil {
			bc.stop()
			return nil, err
		}
		bc.nodes = append(bc.nodes, ch)
	}
	return bc, nil
}

// dialURL joins the bench realm on the router at url.
func (e *loadEnv) dialURL(url string) (*client.Session, error) {
	ctx, cancel := context.WithTimeout(e.ctx, 30*time.Second)
	defer cancel()
	return client.Dial(ctx, url, client.Config{
		Realm: benchRealm, Backend: e.as, Serializers: []serialize.Serializer{e.ser}, Logger: e.log,
	})
}

// clusterRun measures a cluster of n nodes.
func (e *loadEnv) clusterRun(n int, m metrics) error {
	bc, err := e.startCluster(n)
	if err != nil {
		return err
	}
	defer bc.stop()
	key := fmt.Sprintf("cluster.n%d.", n)
	if err := e.clusterCalls(bc, key, m); err != nil {
		return fmt.Errorf("calls: %w", err)
	}
	if err := e.clusterEvents(bc, key, m); err != nil {
		return fmt.Errorf("events: %w", err)
	}
	return nil
}

// remoteNodes are the nodes the callees and subscribers of a cluster of n
// go to: every node but a, or a alone.
func remoteNodes(n int) []int {
	if n == 1 {
		return []int{0}
	}
	out := make([]int, 0, n-1)
	for i := 1; i < n; i++ {
		out = append(out, i)
	}
	return out
}

// clusterMeter measures the CPU time of the nodes and of NATS, and the
// messages NATS received, over one measured window.
type clusterMeter struct {
	nodes   []*cpuMeter
	nats    *cpuMeter
	monitor string
	msgs0   int64
}

func startClusterMeter(ctx context.Context, bc *benchCluster) (*clusterMeter, error) {
	cm := &clusterMeter{nats: startCPU(bc.nats.pid()), monitor: bc.nats.addrs.Monitor}
	for _, pid := range bc.nodePids() {
		cm.nodes = append(cm.nodes, startCPU(pid))
	}
	var err error
	cm.msgs0, err = natsInMsgs(ctx, cm.monitor)
	return cm, err
}

// windowFigures are one measured window of a cluster: operations/s, and
// per operation the CPU of all the nodes together and of NATS (µs) and
// the messages NATS received.
type windowFigures struct {
	perSec, nodeCPU, natsCPU, natsMsgs float64
}

// figures ends the window of ops operations lasting elapsed.
func (cm *clusterMeter) figures(ctx context.Context, ops int64, elapsed time.Duration) (windowFigures, error) {
	f := windowFigures{perSec: float64(ops) / elapsed.Seconds()}
	for _, nm := range cm.nodes {
		v, err := nm.perOp(ops)
		if err != nil {
			return f, err
		}
		f.nodeCPU += v
	}
	var err error
	if f.natsCPU, err = cm.nats.perOp(ops); err != nil {
		return f, err
	}
	msgs, err := natsInMsgs(ctx, cm.monitor)
	f.natsMsgs = float64(msgs-cm.msgs0) / float64(ops)
	return f, err
}

// natsInMsgs reads the count of messages NATS has received from its
// monitoring endpoint.
func natsInMsgs(ctx context.Context, monitor string) (int64, error) {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, monitor+"/varz", nil)
	if err != nil {
		return 0, err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, fmt.Errorf("NATS monitoring: %w", err)
	}
	defer resp.Body.Close()
	var v struct {
		InMsgs int64 `json:"in_msgs"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&v); err != nil {
		return 0, fmt.Errorf("NATS monitoring: /varz: %w", err)
	}
	return v.InMsgs, nil
}

// measureWindow measures a load that is already running: a warm-up, then
// e.cfg.Phase during which count's growth is the number of operations.
func (e *loadEnv) measureWindow(ctx context.Context, bc *benchCluster, count func() int64) (windowFigures, error) {
	if !sleepCtx(ctx, e.cfg.Phase/5) {
		return windowFigures{}, ctx.Err()
	}
	meter, err := startClusterMeter(ctx, bc)
	if err != nil {
		return windowFigures{}, err
	}
	c0 := count()
	t0 := time.Now()
	ok := sleepCtx(ctx, e.cfg.Phase) && untilOne(ctx, func() int64 { return count() - c0 }, oneOpLimit)
	ops := count() - c0
	elapsed := time.Since(t0)
	if !ok {
		return windowFigures{}, ctx.Err()
	}
	return meter.figures(ctx, ops, elapsed)
}

// clusterRow is one row of the cluster phase's table.
type clusterRow struct{ key, label, unit string }

// clusterRows lists the cluster phase's rows: each size's figures, then
// the ratios of 2 and 3 nodes to 1.
func clusterRows() []clusterRow {
	var rows []clusterRow
	for _, n := range clusterSizes {
		k, where := fmt.Sprintf("cluster.n%d.", n), clusterWhere(n)
		rows = append(rows,
			clusterRow{k + "rpc.p50_us", fmt.Sprintf("%s: call p50, 1 caller", where), "µs"},
			clusterRow{k + "rpc.per_s", fmt.Sprintf("%s: calls/s, %d callers", where, clusterCallers), "1/s"},
			clusterRow{k + "rpc.cpu_us", fmt.Sprintf("%s: routers' CPU/call", where), "µs"},
			clusterRow{k + "rpc.nats_cpu_us", fmt.Sprintf("%s: NATS CPU/call", where), "µs"},
			clusterRow{k + "rpc.nats_msgs", fmt.Sprintf("%s: NATS messages/call", where), ""},
			clusterRow{k + "events.per_s", fmt.Sprintf("%s: events delivered/s, %d subscribers", where, clusterSubscribers), "1/s"},
			clusterRow{k + "events.cpu_us", fmt.Sprintf("%s: routers' CPU/delivered event", where), "µs"},
			clusterRow{k + "events.nats_cpu_us", fmt.Sprintf("%s: NATS CPU/delivered event", where), "µs"},
			clusterRow{k + "events.nats_msgs", fmt.Sprintf("%s: NATS messages/publication", where), ""},
		)
	}
	for _, n := range clusterSizes[1:] {
		k, nn := fmt.Sprintf("cluster.n%d.", n), fmt.Sprintf("%d nodes", n)
		rows = append(rows,
			clusterRow{k + "rpc.p50_x", nn + " ÷ 1 node: call p50", "×"},
			clusterRow{k + "rpc.per_s_x", nn + " ÷ 1 node: calls/s", "×"},
			clusterRow{k + "rpc.cpu_x", nn + " ÷ 1 node: routers' CPU/call", "×"},
			clusterRow{k + "events.per_s_x", nn + " ÷ 1 node: events delivered/s", "×"},
			clusterRow{k + "events.cpu_x", nn + " ÷ 1 node: routers' CPU/delivered event", "×"},
			clusterRow{k + "rpc.added_cpu_us_per_msg", nn + ": added routers' CPU per cross-node message, calls", "µs"},
			clusterRow{k + "events.added_cpu_us_per_msg", nn + ": added routers' CPU per cross-node message, events", "µs"},
		)
	}
	return rows
}

// clusterWhere names where the clients of a cluster of n nodes are.
func clusterWhere(n int) string {
	if n == 1 {
		return "1 node, all on a"
	}
	others := make([]string, 0, n-1)
	for _, i := range remoteNodes(n) {
		others = append(others, nodeName(i))
	}
	return fmt.Sprintf("%d nodes, a → %s", n, strings.Join(others, "+"))
}

// clusterRatios adds the ratios of each size to the single node's, and
// the routers' CPU each cross-node message adds: the growth of the CPU
// per call (per publication) over the single node's, divided by the NATS
// messages of a call (a publication), counted by NATS. A call to another
// node is two (the call there, its result back); a publication is one per
// other node with subscribers, whatever their number.
func clusterRatios(m metrics) {
	one := func(k string) float64 { return m["cluster.n1."+k] }
	for _, n := range clusterSizes[1:] {
		k := fmt.Sprintf("cluster.n%d.", n)
		for _, f := range []string{"rpc.p50_us", "rpc.per_s", "rpc.cpu_us", "events.per_s", "events.cpu_us"} {
			if base := one(f); base > 0 {
				m[k+strings.TrimSuffix(f, "_us")+"_x"] = m[k+f] / base
			}
		}
		if msgs := m[k+"rpc.nats_msgs"]; msgs > 0 {
			m[k+"rpc.added_cpu_us_per_msg"] = (m[k+"rpc.cpu_us"] - one("rpc.cpu_us")) / msgs
		}
		if msgs := m[k+"events.nats_msgs"]; msgs > 0 {
			m[k+"events.added_cpu_us_per_msg"] = (m[k+"events.cpu_us"] - one("events.cpu_us")) * clusterSubscribers / msgs
		}
	}
}
