package tests

import (
	"context"
	"fmt"
	"net"
	"slices"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"

	"github.com/switchboard-wamp/switchboard/cluster"
	"github.com/switchboard-wamp/switchboard/core"
	"github.com/switchboard-wamp/switchboard/tests/testrouter"
)

// Cluster tests: nodes (each an Application with its own backend and
// listeners) and an embedded NATS server in the test process.

// Heartbeats and the node timeout of test clusters: short, so that a dead
// node is noticed quickly; the timeout leaves room for a loaded machine.
const (
	testHeartbeat   = 50 * time.Millisecond
	testNodeTimeout = 1500 * time.Millisecond
)

// natsServer is an embedded NATS server (with JetStream) that a test can
// stop and start again on the same port.
type natsServer struct {
	t    testing.TB
	dir  string
	port int
	ns   *server.Server
}

// startNATS starts a NATS server on a free loopback port, shut down at
// cleanup.
func startNATS(t testing.TB) *natsServer {
	t.Helper()
	s := &natsServer{t: t, dir: t.TempDir(), port: server.RANDOM_PORT}
	s.start()
	t.Cleanup(s.stop)
	return s
}

func (s *natsServer) start() {
	s.t.Helper()
	ns, err := server.NewServer(&server.Options{Host: "127.0.0.1", Port: s.port, NoLog: true, NoSigs: true,
		JetStream: true, StoreDir: s.dir})
	if err != nil {
		s.t.Fatal(err)
	}
	go ns.Start()
	if !ns.ReadyForConnections(10 * time.Second) {
		s.t.Fatal("NATS server not ready")
	}
	s.ns = ns
	s.port = ns.Addr().(*net.TCPAddr).Port
}

// stop shuts the server down (idempotent): clients see their connection
// drop and reconnect once it is started again.
func (s *natsServer) stop() {
	if s.ns != nil {
		s.ns.Shutdown()
		s.ns.WaitForShutdown()
		s.ns = nil
	}
}

func (s *natsServer) url() string { return fmt.Sprintf("nats://127.0.0.1:%d", s.port) }

// startNode starts a router on b that is node name of the cluster on ns,
// serving realm1 with the test procedures' realm config.
func startNode(t testing.TB, b backend, ns *natsServer, name string) *testrouter.Router {
	t.Helper()
	return testrouter.Serve(t, b.New(), core.Config{
		Realms: []core.RealmConfig{{URI: "realm1"}},
		Cluster: &cluster.Config{URLs: []string{ns.url()}, NodeName: name,
			HeartbeatInterval: testHeartbeat, NodeTimeout: testNodeTimeout},
	})
}

// startCluster starts NATS and n nodes named A, B, C, ... and waits until
// each knows every other alive.
func startCluster(t *testing.T, b backend, n int) (*natsServer, []*testrouter.Router) {
	t.Helper()
	ns := startNATS(t)
	nodes := make([]*testrouter.Router, n)
	for i := range nodes {
		nodes[i] = startNode(t, b, ns, string(rune('A'+i)))
	}
	for i, r := range nodes {
		waitUntil(t, fmt.Sprintf("node %c knows the %d others", 'A'+i, n-1), func() bool {
			return len(r.App.Cluster().Nodes()) == n-1
		})
	}
	return ns, nodes
}

// interest returns what node r forwards to node peer in realm1: the
// subscription interests ("match topic") of peer's node session.
func interest(t *testing.T, r *testrouter.Router, peer string) []string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), guard)
	defer cancel()
	m, err := r.Realm.Cluster().Interest(ctx)
	must(t, err)
	return m[peer]
}

// waitInterest waits until node r forwards exactly want to node peer.
func waitInterest(t *testing.T, r *testrouter.Router, peer string, want ...string) {
	t.Helper()
	slices.Sort(want)
	waitUntil(t, fmt.Sprintf("node %s to forward %q to %s", r.App.Cluster().Name(), want, peer), func() bool {
		got := interest(t, r, peer)
		return slices.Equal(got, want) || len(got) == 0 && len(want) == 0
	})
}
