package cluster

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/switchboard-wamp/switchboard/core/router"
	"github.com/switchboard-wamp/switchboard/core/wamp"
)

// claimBucket starts an embedded NATS server with JetStream and returns
// one claims bucket handle per node, each on its own connection.
func claimBucket(t *testing.T, nodes int) []jetstream.KeyValue {
	t.Helper()
	ns, err := server.NewServer(&server.Options{Host: "127.0.0.1", Port: server.RANDOM_PORT, NoLog: true, NoSigs: true,
		JetStream: true, StoreDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	go ns.Start()
	if !ns.ReadyForConnections(10 * time.Second) {
		t.Fatal("NATS server not ready")
	}
	t.Cleanup(func() { ns.Shutdown(); ns.WaitForShutdown() })
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	kvs := make([]jetstream.KeyValue, nodes)
	for i := range kvs {
		nc, err := nats.Connect(ns.ClientURL())
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(nc.Close)
		js, err := jetstream.New(nc)
		if err != nil {
			t.Fatal(err)
		}
		if kvs[i], err = js.CreateOrUpdateKeyValue(ctx, jetstream.KeyValueConfig{Bucket: "test_claims", History: 1}); err != nil {
			t.Fatal(err)
		}
	}
	return kvs
}

// Two nodes claiming the same procedures at the same time, each on its
// own connection: every procedure has exactly one winner; the loser's
// refusal names the winner. Shared registrations with the same policy
// are held by both; a released claim can be taken by the other node.
func TestClaimRaceOneWinner(t *testing.T) {
	kvs := claimBucket(t, 2)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	names := []string{"A", "B"}
	const procs = 20
	var wg sync.WaitGroup
	won := make([][procs]bool, 2)
	for i := range 2 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for p := range procs {
				op := router.ClaimOp{Procedure: wamp.URI("com.example.p" + string(rune('a'+p))), Match: "exact", Invoke: "single"}
				refusal, msg := claim(ctx, kvs[i], claimKey("realm1", op), op, names[i])
				switch refusal {
				case "":
					won[i][p] = true
				case wamp.ErrProcedureAlreadyExists:
					if msg == "" {
						t.Errorf("empty refusal message")
					}
				default:
					t.Errorf("node %s, procedure %d: %s %s", names[i], p, refusal, msg)
				}
			}
		}()
	}
	wg.Wait()
	for p := range procs {
		if won[0][p] == won[1][p] {
			t.Fatalf("procedure %d: A won %v, B won %v: want exactly one winner", p, won[0][p], won[1][p])
		}
	}
	// Claiming again what one holds is idempotent for the holder.
	op := router.ClaimOp{Procedure: "com.example.pa", Match: "exact", Invoke: "single"}
	holder := 0
	if won[1][0] {
		holder = 1
	}
	if refusal, _ := claim(ctx, kvs[holder], claimKey("realm1", op), op, names[holder]); refusal != "" {
		t.Fatalf("the holder's second claim: %s", refusal)
	}
	// Released, the other node takes it.
	if err := releaseClaim(ctx, kvs[holder], claimKey("realm1", op), names[holder]); err != nil {
		t.Fatal(err)
	}
	if refusal, msg := claim(ctx, kvs[1-holder], claimKey("realm1", op), op, names[1-holder]); refusal != "" {
		t.Fatalf("after release: %s %s", refusal, msg)
	}
	// Shared with the same policy: both hold it; another policy is refused.
	shared := router.ClaimOp{Procedure: "com.example.shared", Match: "exact", Invoke: "roundrobin"}
	for i := range 2 {
		if refusal, msg := claim(ctx, kvs[i], claimKey("realm1", shared), shared, names[i]); refusal != "" {
			t.Fatalf("shared claim by %s: %s %s", names[i], refusal, msg)
		}
	}
	other := shared
	other.Invoke = "random"
	if refusal, _ := claim(ctx, kvs[0], claimKey("realm1", other), other, "C"); refusal != wamp.ErrProcedureAlreadyExists {
		t.Fatalf("another policy: %q", refusal)
	}
	// A node's sweep (it died) leaves the other holder alone.
	if err := sweepClaims(ctx, kvs[0], escapeRealm("realm1"), "A"); err != nil {
		t.Fatal(err)
	}
	e, err := kvs[0].Get(ctx, claimKey("realm1", shared))
	if err != nil {
		t.Fatal(err)
	}
	if got := string(e.Value()); got != `{"procedure":"com.example.shared","match":"exact","invoke":"roundrobin","nodes":["B"]}` {
		t.Fatalf("after sweeping A: %s", got)
	}
}
