package tests

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/switchboard-wamp/switchboard/client"
	"github.com/switchboard-wamp/switchboard/core"
	"github.com/switchboard-wamp/switchboard/core/wamp"
	"github.com/switchboard-wamp/switchboard/tests/testrouter"
)

// A subscription on one node becomes the interest of its node session on
// every other node, once per (topic, match) whatever the number of
// subscribers, and goes when its last subscriber goes.
func TestClusterInterestFollowsSubscriptions(t *testing.T) {
	forEachBackend(t, func(t *testing.T, b backend) {
		_, nodes := startCluster(t, b, 3)
		a, bn, c := nodes[0], nodes[1], nodes[2]
		ctx := guardCtx(t)
		s1 := dialClient(t, b, bn)
		s2 := dialClient(t, b, bn)
		sub1, err := s1.Subscribe(ctx, "com.example.news", func(*client.Event) {}, nil)
		must(t, err)
		_, err = s2.Subscribe(ctx, "com.example.news", func(*client.Event) {}, nil)
		must(t, err)
		_, err = s2.Subscribe(ctx, "com.example", func(*client.Event) {}, &client.SubscribeOptions{Match: "prefix"})
		must(t, err)
		for _, r := range []*testrouter.Router{a, c} {
			waitInterest(t, r, "B", "exact com.example.news", "prefix com.example")
		}
		if got := interest(t, a, "C"); len(got) != 0 {
			t.Fatalf("A forwards %q to C, which subscribed to nothing", got)
		}
		must(t, sub1.Unsubscribe(ctx))
		waitInterest(t, a, "B", "exact com.example.news", "prefix com.example")
		must(t, s2.Leave(ctx, ""))
		for _, r := range []*testrouter.Router{a, c} {
			waitInterest(t, r, "B")
		}
	})
}

// A node that dies without a word (its NATS connection cut) is dropped by
// the others once NodeTimeout passes: its node sessions leave, so what it
// subscribed to is no longer forwarded to it.
func TestClusterDeadNodeDropped(t *testing.T) {
	forEachBackend(t, func(t *testing.T, b backend) {
		_, nodes := startCluster(t, b, 3)
		a, bn, c := nodes[0], nodes[1], nodes[2]
		ctx := guardCtx(t)
		_, err := dialClient(t, b, bn).Subscribe(ctx, "com.example.news", func(*client.Event) {}, nil)
		must(t, err)
		waitInterest(t, a, "B", "exact com.example.news")
		waitInterest(t, c, "B", "exact com.example.news")
		killed := time.Now()
		bn.App.Cluster().Conn().Close() // no goodbye: B just goes silent
		for _, r := range []*testrouter.Router{a, c} {
			waitUntil(t, "B dropped", func() bool {
				m, err := r.Realm.Cluster().Interest(ctx)
				must(t, err)
				_, known := m["B"]
				return !known && !slices.Contains(r.App.Cluster().Nodes(), "B")
			})
		}
		// Detection takes NodeTimeout plus up to a heartbeat interval of
		// the loop's tick; the rest of the bound is room for a loaded
		// machine.
		if d := time.Since(killed); d > testNodeTimeout+2*time.Second {
			t.Fatalf("B dropped after %v, NodeTimeout is %v", d, testNodeTimeout)
		}
		if got := a.App.Cluster().Nodes(); !slices.Equal(got, []string{"C"}) {
			t.Fatalf("A knows %q alive, want [C]", got)
		}
	})
}

// A node that closes tells the others, which drop it at once (well
// before NodeTimeout would).
func TestClusterNodeLeaves(t *testing.T) {
	forEachBackend(t, func(t *testing.T, b backend) {
		_, nodes := startCluster(t, b, 2)
		a, bn := nodes[0], nodes[1]
		ctx := guardCtx(t)
		_, err := dialClient(t, b, bn).Subscribe(ctx, "com.example.news", func(*client.Event) {}, nil)
		must(t, err)
		waitInterest(t, a, "B", "exact com.example.news")
		bn.App.Cluster().Close()
		waitUntil(t, "B dropped by A", func() bool {
			m, err := a.Realm.Cluster().Interest(ctx)
			must(t, err)
			_, known := m["B"]
			return !known && len(a.App.Cluster().Nodes()) == 0
		})
	})
}

// NATS restarts mid-stream: the nodes reconnect and re-announce
// everything, and what each holds for the others is replaced, not added
// to: changes made while NATS was away arrive, nothing is held twice, and
// the stream goes on in order without duplicates (events published while
// NATS was away may be lost: core NATS is at most once). Short outage
// (the nodes keep each other) and long outage (they drop each other, then
// meet again).
func TestClusterNATSRestart(t *testing.T) {
	for _, long := range []bool{false, true} {
		name := "short"
		if long {
			name = "long"
		}
		t.Run(name, func(t *testing.T) {
			forEachBackend(t, func(t *testing.T, b backend) {
				ns, nodes := startCluster(t, b, 3)
				a, bn, c := nodes[0], nodes[1], nodes[2]
				ctx := guardCtx(t)
				s := dialClient(t, b, bn)
				news, err := s.Subscribe(ctx, "com.example.news", func(*client.Event) {}, nil)
				must(t, err)
				kept := subscribeInbox(t, s, "com.example.kept", "")
				waitInterest(t, a, "B", "exact com.example.news", "exact com.example.kept")
				waitInterest(t, c, "B", "exact com.example.news", "exact com.example.kept")
				pubA, pubC := dialClient(t, b, a), dialClient(t, b, c)
				publish := func(from int, to int) {
					for i := from; i < to; i++ {
						for name, p := range map[string]*client.Session{"A": pubA, "C": pubC} {
							must(t, p.Publish(ctx, "com.example.kept", wamp.List{fmt.Sprintf("%s%02d", name, i)}, nil,
								&client.PublishOptions{Acknowledge: true}))
						}
					}
				}
				publish(0, 10)
				kept.waitN(t, "B", 20)
				ns.stop()
				if long {
					waitUntil(t, "A to drop B", func() bool { return len(a.App.Cluster().Nodes()) == 0 })
				}
				publish(10, 20) // while NATS is away: lost or late, never twice
				must(t, news.Unsubscribe(ctx))
				_, err = s.Subscribe(ctx, "com.example", func(*client.Event) {}, &client.SubscribeOptions{Match: "wildcard"})
				must(t, err)
				ns.start()
				for _, r := range []*testrouter.Router{a, c} {
					waitInterest(t, r, "B", "exact com.example.kept", "wildcard com.example")
				}
				for _, r := range nodes {
					waitUntil(t, "every node to know the others again", func() bool { return len(r.App.Cluster().Nodes()) == 2 })
				}
				publish(20, 30)
				kept.waitLabel(t, "B", "A29")
				kept.waitLabel(t, "B", "C29")
				// Per publisher: in order, each at most once, and all of
				// those published while NATS was up.
				last := map[byte]int{'A': -1, 'C': -1}
				seen := map[string]bool{}
				for _, l := range kept.labels() {
					var i int
					fmt.Sscanf(l[1:], "%d", &i)
					if i <= last[l[0]] {
						t.Fatalf("%s after %c%02d: out of order or twice: %q", l, l[0], last[l[0]], kept.labels())
					}
					last[l[0]] = i
					seen[l] = true
				}
				for i := range 30 {
					for _, p := range "AC" {
						if l := fmt.Sprintf("%c%02d", p, i); !seen[l] && (i < 10 || i >= 20) {
							t.Fatalf("%s, published while NATS was up, never arrived: %q", l, kept.labels())
						}
					}
				}
			})
		})
	}
}

// A realm removed from one node (a reload) leaves the cluster on that
// node only: the others detach its node session there; added back, it
// joins again.
func TestClusterRealmRemoved(t *testing.T) {
	forEachBackend(t, func(t *testing.T, b backend) {
		_, nodes := startCluster(t, b, 2)
		a, bn := nodes[0], nodes[1]
		ctx := guardCtx(t)
		waitUntil(t, "A to hold B's node session", func() bool {
			m, err := a.Realm.Cluster().Interest(ctx)
			must(t, err)
			_, ok := m["B"]
			return ok
		})
		must(t, bn.App.RemoveRealm(ctx, "realm1"))
		waitUntil(t, "A to detach B's node session", func() bool {
			m, err := a.Realm.Cluster().Interest(ctx)
			must(t, err)
			_, ok := m["B"]
			return !ok
		})
		if got := a.App.Cluster().Nodes(); !slices.Equal(got, []string{"B"}) {
			t.Fatalf("A knows %q alive, want [B]: B still lives", got)
		}
		r, err := bn.App.AddRealm(core.RealmConfig{URI: "realm1"})
		must(t, err)
		_, err = dialClient(t, b, a).Subscribe(ctx, "com.example.back", func(*client.Event) {}, nil)
		must(t, err)
		waitUntil(t, "B to forward A's interest again", func() bool {
			m, err := r.Cluster().Interest(ctx)
			must(t, err)
			return slices.Equal(m["A"], []string{"exact com.example.back"})
		})
		// The realm added back claims procedures in NATS again: a
		// registration there is answered once its claim is made (and the
		// test does not end while the claims' bucket is being set up,
		// which NATS's shutdown would leave running).
		_, err = dialClient(t, b, bn).Register(ctx, "com.example.back.proc", func(context.Context, *client.Invocation) (*client.Result, error) {
			return &client.Result{}, nil
		}, nil)
		must(t, err)
	})
}

// A node that joins a running cluster learns what the others announced
// before it came, and they learn its own.
func TestClusterLateJoiner(t *testing.T) {
	forEachBackend(t, func(t *testing.T, b backend) {
		ns := startNATS(t)
		bn := startNode(t, b, ns, "B")
		ctx := guardCtx(t)
		_, err := dialClient(t, b, bn).Subscribe(ctx, "com.example.early", func(*client.Event) {}, nil)
		must(t, err)
		a := startNode(t, b, ns, "A")
		waitInterest(t, a, "B", "exact com.example.early")
		in := subscribeInbox(t, dialClient(t, b, a), "com.example.late", "")
		waitInterest(t, bn, "A", "exact com.example.late")
		must(t, dialClient(t, b, bn).Publish(ctx, "com.example.late", wamp.List{"hi"}, nil, &client.PublishOptions{Acknowledge: true}))
		in.waitLabel(t, "A's subscriber", "hi")
	})
}
