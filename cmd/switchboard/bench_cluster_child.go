package main

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"time"

	natsserver "github.com/nats-io/nats-server/v2/server"
)

// The hidden subcommands of the cluster phase (bench_cluster.go): an
// embedded NATS server, and one cluster node, each in a process of its
// own so that the bench reads each one's CPU time apart.
const (
	cmdBenchNATS = "bench-nats"
	cmdBenchNode = "bench-node"
)

// benchNATSMain is the NATS child: an embedded NATS server (JetStream on,
// for the registration claims, in a temporary directory) on a free
// loopback port, and its monitoring endpoint (the bench reads the count of
// messages from /varz). Its address line carries the NATS client URL in
// the "ws" field, the field every child fills with the URL its clients
// dial.
func benchNATSMain(args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet(cmdBenchNATS, flag.ContinueOnError)
	fs.SetOutput(stderr)
	if err := fs.Parse(args); err != nil {
		return err
	}
	dir, err := os.MkdirTemp("", "switchboard-bench-nats-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	ns, err := natsserver.NewServer(&natsserver.Options{Host: "127.0.0.1", Port: natsserver.RANDOM_PORT,
		NoLog: true, NoSigs: true, JetStream: true, StoreDir: dir,
		HTTPHost: "127.0.0.1", HTTPPort: natsserver.RANDOM_PORT})
	if err != nil {
		return fmt.Errorf("NATS: %w", err)
	}
	go ns.Start()
	defer func() { ns.Shutdown(); ns.WaitForShutdown() }()
	if !ns.ReadyForConnections(30 * time.Second) {
		return errors.New("NATS did not start within 30s")
	}
	mon := ns.MonitorAddr()
	if mon == nil {
		return errors.New("NATS monitoring did not start")
	}
	if err := json.NewEncoder(stdout).Encode(childAddrs{WS: ns.ClientURL(), Monitor: "http://" + mon.String()}); err != nil {
		return err
	}
	childLifetime()
	return nil
}

// benchNodeMain is a cluster node child: the switchboard server (as
// `switchboard -config` runs it) with realm "bench" on one loopback
// WebSocket listener, one node of the cluster on the given NATS server.
func benchNodeMain(args []string, stdout, stderr io.Writer) error {
	var backend, node, natsURL, cpuprofile string
	fs := flag.NewFlagSet(cmdBenchNode, flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&backend, "backend", "goroutine", "scheduling backend: goroutine, eventloop or pool")
	fs.StringVar(&node, "node", "a", "node name")
	fs.StringVar(&natsURL, "nats", "", "NATS client URL")
	fs.StringVar(&cpuprofile, "cpuprofile", "", "write a CPU profile of the whole run to this file")
	if err := fs.Parse(args); err != nil {
		return err
	}
	raiseNoFile()
	c := Config{Backend: backend, Realms: []RealmConfig{{URI: benchRealm}},
		Listeners: []ListenerConfig{{Type: "websocket", Address: "127.0.0.1:0"}},
		Cluster:   &ClusterConfig{Node: node, URLs: []string{natsURL}}}.withDefaults()
	if err := c.Validate(); err != nil {
		return err
	}
	log := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelWarn})).With("node", node)
	s, err := start(c, log)
	if err != nil {
		return err
	}
	stopProfile, err := startProfile(cpuprofile)
	if err != nil {
		_ = s.Shutdown(time.Second)
		return err
	}
	if err := json.NewEncoder(stdout).Encode(childAddrs{WS: s.URLs()[0]}); err != nil {
		_ = s.Shutdown(time.Second)
		return err
	}
	childLifetime()
	stopProfile()
	return s.Shutdown(2 * time.Second)
}
