package tests

import (
	"context"
	"sync/atomic"
	"testing"

	"github.com/switchboard-wamp/switchboard/client"
	"github.com/switchboard-wamp/switchboard/core/wamp"
	"github.com/switchboard-wamp/switchboard/tests/testrouter"
)

// BenchmarkClusterEvent: events from a publisher on one node to a
// subscriber on another through NATS (cross-node), beside the same on one
// node (local), on the goroutine backend; events/s is what the subscriber
// received.
//
//	go test -run '^$' -bench ClusterEvent ./tests
func BenchmarkClusterEvent(b *testing.B) {
	be := backends()[0]
	for _, across := range []bool{false, true} {
		name := "local"
		if across {
			name = "cross-node"
		}
		b.Run(name, func(b *testing.B) {
			ns := startNATS(b)
			pubNode := startNode(b, be, ns, "A")
			subNode := pubNode
			if across {
				subNode = startNode(b, be, ns, "B")
			}
			ctx := b.Context()
			pub, sub := benchDial(b, be, pubNode), benchDial(b, be, subNode)
			var got atomic.Int64
			if _, err := sub.Subscribe(ctx, "com.example.bench", func(*client.Event) { got.Add(1) }, nil); err != nil {
				b.Fatal(err)
			}
			// Acknowledged publications until one arrives: the subscription
			// is known on the publisher's node from then on.
			waitUntil(b, "the subscription to reach the publisher's node", func() bool {
				err := pub.Publish(ctx, "com.example.bench", wamp.List{"warm-up"}, nil, &client.PublishOptions{Acknowledge: true})
				return err == nil && got.Load() > 0
			})
			base := got.Load()
			b.ResetTimer()
			// Every 64th publication is acknowledged: the publisher keeps at
			// most 64 in flight (the Go client closes a session whose own
			// outbound queue overflows).
			for i := range b.N {
				opts := &client.PublishOptions{Acknowledge: i%64 == 63}
				if err := pub.Publish(ctx, "com.example.bench", wamp.List{i, "payload of a typical event"}, nil, opts); err != nil {
					b.Fatal(err)
				}
			}
			waitUntil(b, "every event", func() bool { return got.Load() >= base+int64(b.N) })
			b.StopTimer()
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "events/s")
		})
	}
}

// benchDial joins realm1 at r's WebSocket with the JSON serializer.
func benchDial(b *testing.B, be backend, r *testrouter.Router) *client.Session {
	as := be.New()
	ctx, cancel := context.WithTimeout(context.Background(), guard)
	defer cancel()
	s, err := client.Dial(ctx, r.URL, client.Config{Realm: "realm1", Backend: as})
	if err != nil {
		as.Close()
		b.Fatal(err)
	}
	b.Cleanup(func() { s.Leave(context.Background(), ""); as.Close() })
	return s
}
