package interop

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"

	"github.com/switchboard-wamp/switchboard/cluster"
	"github.com/switchboard-wamp/switchboard/core"
	"github.com/switchboard-wamp/switchboard/core/wamp"
	"github.com/switchboard-wamp/switchboard/internal/testwait"
	"github.com/switchboard-wamp/switchboard/tests/testrouter"
)

// TestAutobahnJSCluster is issue 15's acceptance test: two nodes and NATS;
// an autobahn-js caller on node A calls a Go procedure on node B, and a
// subscriber on node B receives a publication made on node A; killing node
// B (its NATS connection cut, no goodbye) makes the call fail cleanly
// while node A keeps serving. Every backend; the serializers on the first.
func TestAutobahnJSCluster(t *testing.T) {
	EnsureNodeDeps(t)
	for i, b := range testrouter.Backends() {
		t.Run(b.Name, func(t *testing.T) {
			ns, err := server.NewServer(&server.Options{Host: "127.0.0.1", Port: server.RANDOM_PORT, NoLog: true,
				NoSigs: true, JetStream: true, StoreDir: t.TempDir()})
			if err != nil {
				t.Fatal(err)
			}
			go ns.Start()
			if !ns.ReadyForConnections(10 * time.Second) {
				t.Fatal("NATS not ready")
			}
			t.Cleanup(func() { ns.Shutdown(); ns.WaitForShutdown() })
			node := func(name string) *testrouter.Router {
				return testrouter.Serve(t, b.New(), core.Config{Realms: []core.RealmConfig{{URI: "realm1"}},
					Cluster: &cluster.Config{URLs: []string{ns.ClientURL()}, NodeName: name,
						HeartbeatInterval: 50 * time.Millisecond, NodeTimeout: time.Second}})
			}
			a, bn := node("A"), node("B")
			register(t, bn.Realm, "com.example.cluster.hello", func(_ context.Context, inv *core.Invocation) (*core.Result, error) {
				return &core.Result{Args: wamp.List{fmt.Sprintf("hello %v from node B", inv.Args[0])}}, nil
			})
			register(t, a.Realm, "com.example.cluster.add", func(_ context.Context, inv *core.Invocation) (*core.Result, error) {
				x, _ := wamp.ToInt(inv.Args[0])
				y, _ := wamp.ToInt(inv.Args[1])
				return &core.Result{Args: wamp.List{x + y}}, nil
			})
			sers := []string{"json", "msgpack", "cbor"}
			if i > 0 {
				sers = sers[:1]
			}
			for _, ser := range sers {
				RunSpec(t, ScenarioSpec{URL: a.URL, Realm: "realm1", Scenario: "cluster-across", Serializer: ser,
					Env: []string{"INTEROP_PEER_URL=" + bn.URL}})
			}
			bn.App.Cluster().Conn().Close() // B dies: it goes silent
			testwait.Until(t, "node A to drop node B", 30*time.Second, func() bool { return len(a.App.Cluster().Nodes()) == 0 })
			RunSpec(t, ScenarioSpec{URL: a.URL, Realm: "realm1", Scenario: "cluster-gone", Serializer: "json"})
		})
	}
}

func register(t *testing.T, r *core.Realm, uri wamp.URI, h core.Handler) {
	t.Helper()
	if _, err := r.Register(context.Background(), uri, h, nil); err != nil {
		t.Fatal(err)
	}
}
