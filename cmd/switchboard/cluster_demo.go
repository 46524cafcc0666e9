package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"os/signal"
	"strconv"
	"syscall"
	"time"

	natsserver "github.com/nats-io/nats-server/v2/server"

	"github.com/switchboard-wamp/switchboard/core"
	"github.com/switchboard-wamp/switchboard/core/wamp"
)

const clusterDemoUsage = `Usage: switchboard cluster-demo [flags]

Starts an embedded NATS server and -nodes Switchboard nodes (a, b, ...)
in this process, each serving realm "realm1" over WebSocket and sharing it
with the others through NATS; prints their addresses and runs until
SIGINT or SIGTERM. Each node registers the Go procedure demo.<node>.hello,
which answers "hello from node <node>".

A client on node a reaches every procedure and subscriber of node b:

  switchboard cluster-demo                       # NATS, node a on :8080, node b on :8081
  # autobahn-js on ws://127.0.0.1:8080/ws calls demo.b.hello, subscribes,
  # publishes; subscribers on ws://127.0.0.1:8081/ws receive its events

To run the nodes as processes of their own (and kill one), start NATS
alone and each node from a configuration file with a cluster section:

  switchboard cluster-demo -nodes 0 -nats-port 4222
  switchboard -config node-a.yaml      # cluster: {node: a, urls: [nats://127.0.0.1:4222]}
  switchboard -config node-b.yaml      # cluster: {node: b, urls: [nats://127.0.0.1:4222]}

Flags:
`

// demoOptions are cluster-demo's flags.
type demoOptions struct {
	nodes    int
	addr     string // the first node's WebSocket address; the next nodes take the next ports
	natsPort int
	backend  string
}

func clusterDemoMain(args []string, stdout, stderr io.Writer) error {
	var o demoOptions
	fs := flag.NewFlagSet("switchboard cluster-demo", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.IntVar(&o.nodes, "nodes", 2, "number of nodes (0: NATS alone)")
	fs.StringVar(&o.addr, "addr", "127.0.0.1:8080", "WebSocket address of node a; node b takes the next port, and so on (port 0: any free port)")
	fs.IntVar(&o.natsPort, "nats-port", 0, "NATS client port (0: any free port)")
	fs.StringVar(&o.backend, "backend", "goroutine", "backend of the nodes: goroutine, eventloop or pool")
	fs.Usage = func() {
		fmt.Fprint(stderr, clusterDemoUsage)
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("cluster-demo: unexpected argument %q", fs.Arg(0))
	}
	sigs := make(chan os.Signal, 2)
	signal.Notify(sigs, syscall.SIGINT, syscall.SIGTERM)
	defer signal.Stop(sigs)
	log := newLogger(stderr, "text", slog.LevelInfo)
	return runClusterDemo(o, stdout, log, sigs, nil)
}

// demo is a running cluster demo.
type demo struct {
	nats  *natsserver.Server
	nodes []*server
	dir   string
}

// runClusterDemo runs the demo until a signal arrives on sigs; started,
// when set, gets the running demo (tests).
func runClusterDemo(o demoOptions, stdout io.Writer, log *slog.Logger, sigs <-chan os.Signal, started func(*demo)) error {
	if o.nodes < 0 || o.nodes > 26 {
		return fmt.Errorf("cluster-demo: -nodes %d: want 0 to 26", o.nodes)
	}
	d, err := startDemo(o, log)
	if err != nil {
		return err
	}
	defer d.stop()
	fmt.Fprintf(stdout, "NATS:   %s\n", d.nats.ClientURL())
	for i, n := range d.nodes {
		name := nodeName(i)
		fmt.Fprintf(stdout, "node %s: %s  (realm realm1; Go procedure demo.%s.hello)\n", name, n.URLs()[0], name)
	}
	if started != nil {
		started(d)
	}
	<-sigs
	return nil
}

func nodeName(i int) string { return string(rune('a' + i)) }

// startDemo starts NATS (with JetStream, in a temporary directory) and
// the nodes.
func startDemo(o demoOptions, log *slog.Logger) (*demo, error) {
	dir, err := os.MkdirTemp("", "switchboard-cluster-demo-")
	if err != nil {
		return nil, err
	}
	d := &demo{dir: dir}
	port := o.natsPort
	if port == 0 {
		port = natsserver.RANDOM_PORT
	}
	ns, err := natsserver.NewServer(&natsserver.Options{Host: "127.0.0.1", Port: port, NoLog: true, NoSigs: true,
		JetStream: true, StoreDir: dir})
	if err != nil {
		os.RemoveAll(dir)
		return nil, fmt.Errorf("cluster-demo: NATS: %w", err)
	}
	go ns.Start()
	d.nats = ns
	if !ns.ReadyForConnections(10 * time.Second) {
		d.stop()
		return nil, errors.New("cluster-demo: NATS did not start")
	}
	host, firstPort, err := net.SplitHostPort(o.addr)
	if err != nil {
		d.stop()
		return nil, fmt.Errorf("cluster-demo: -addr: %w", err)
	}
	p0, _ := strconv.Atoi(firstPort)
	for i := range o.nodes {
		addr := net.JoinHostPort(host, "0")
		if p0 != 0 {
			addr = net.JoinHostPort(host, strconv.Itoa(p0+i))
		}
		n, err := startDemoNode(nodeName(i), addr, o.backend, ns.ClientURL(), log)
		if err != nil {
			d.stop()
			return nil, err
		}
		d.nodes = append(d.nodes, n)
	}
	return d, nil
}

// startDemoNode starts node name, its WebSocket on addr, and registers
// its demo procedure.
func startDemoNode(name, addr, backend, natsURL string, log *slog.Logger) (*server, error) {
	c := Config{Backend: backend, Realms: []RealmConfig{{URI: "realm1"}},
		Listeners: []ListenerConfig{{Type: "websocket", Address: addr}},
		Cluster:   &ClusterConfig{Node: name, URLs: []string{natsURL}}}.withDefaults()
	if err := c.Validate(); err != nil {
		return nil, fmt.Errorf("cluster-demo: node %s: %w", name, err)
	}
	s, err := start(c, log.With("router", name))
	if err != nil {
		return nil, fmt.Errorf("cluster-demo: node %s: %w", name, err)
	}
	realm, _ := s.app.Realm("realm1")
	hello := func(context.Context, *core.Invocation) (*core.Result, error) {
		return &core.Result{Args: wamp.List{"hello from node " + name}, Kwargs: wamp.Dict{"node": name}}, nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if _, err := realm.Register(ctx, wamp.URI("demo."+name+".hello"), hello, nil); err != nil {
		s.Shutdown(time.Second)
		return nil, fmt.Errorf("cluster-demo: node %s: registering its procedure: %w", name, err)
	}
	return s, nil
}

// stop shuts the nodes down, then NATS.
func (d *demo) stop() {
	for _, n := range d.nodes {
		n.Shutdown(5 * time.Second)
	}
	if d.nats != nil {
		d.nats.Shutdown()
		d.nats.WaitForShutdown()
	}
	os.RemoveAll(d.dir)
}
