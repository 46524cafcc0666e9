package tests

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"testing"

	"github.com/nats-io/nats.go"

	"github.com/switchboard-wamp/switchboard/client"
	"github.com/switchboard-wamp/switchboard/core/serialize"
	"github.com/switchboard-wamp/switchboard/core/wamp"
	"github.com/switchboard-wamp/switchboard/tests/testrouter"
)

// inbox records the events one subscription receives.
type inbox struct {
	mu     sync.Mutex
	events []*client.Event
}

func subscribeInbox(t *testing.T, s *client.Session, topic wamp.URI, match string) *inbox {
	t.Helper()
	in := &inbox{}
	_, err := s.Subscribe(guardCtx(t), topic, func(e *client.Event) {
		in.mu.Lock()
		in.events = append(in.events, e)
		in.mu.Unlock()
	}, &client.SubscribeOptions{Match: match})
	must(t, err)
	return in
}

// got returns the events received so far.
func (in *inbox) got() []*client.Event {
	in.mu.Lock()
	defer in.mu.Unlock()
	return slices.Clone(in.events)
}

// labels returns args[0] of every event received, in order.
func (in *inbox) labels() []string {
	var l []string
	for _, e := range in.got() {
		s, _ := e.Args[0].(string)
		l = append(l, s)
	}
	return l
}

// waitN waits until the inbox has received at least n events.
func (in *inbox) waitN(t *testing.T, what string, n int) {
	t.Helper()
	waitUntil(t, fmt.Sprintf("%s to receive %d events", what, n), func() bool { return len(in.got()) >= n })
}

// waitLabel waits until the inbox has received an event labelled label.
func (in *inbox) waitLabel(t *testing.T, what, label string) {
	t.Helper()
	waitUntil(t, what+" to receive "+label, func() bool { return slices.Contains(in.labels(), label) })
}

// A publication on any node reaches every matching subscriber on every
// node exactly once — exact, prefix and wildcard subscriptions, every
// transport and serializer — in its publisher's order, with the same
// publication ID everywhere and its payload intact.
func TestClusterPubSub(t *testing.T) {
	forEachBackend(t, func(t *testing.T, b backend) {
		_, nodes := startCluster(t, b, 3)
		a, bn, c := nodes[0], nodes[1], nodes[2]
		ctx := guardCtx(t)
		const topic = "com.example.feed"
		subs := map[string]*inbox{
			"A exact json/websocket":   subscribeInbox(t, dialVia(t, b, a.URL, serialize.JSON), topic, ""),
			"B exact msgpack/raw":      subscribeInbox(t, dialVia(t, b, bn.RawURL, serialize.MsgPack), topic, ""),
			"B prefix cbor/unix":       subscribeInbox(t, dialVia(t, b, bn.UnixURL, serialize.CBOR), "com.example", "prefix"),
			"C wildcard cbor/raw":      subscribeInbox(t, dialVia(t, b, c.RawURL, serialize.CBOR), "com..feed", "wildcard"),
			"C exact json/websocket":   subscribeInbox(t, dialVia(t, b, c.URL, serialize.JSON), topic, ""),
			"C exact msgpack/unix (2)": subscribeInbox(t, dialVia(t, b, c.UnixURL, serialize.MsgPack), topic, ""),
		}
		waitInterest(t, a, "B", "exact "+topic, "prefix com.example")
		waitInterest(t, a, "C", "exact "+topic, "wildcard com..feed")
		waitInterest(t, bn, "A", "exact "+topic)
		waitInterest(t, bn, "C", "exact "+topic, "wildcard com..feed")
		waitInterest(t, c, "A", "exact "+topic)
		waitInterest(t, c, "B", "exact "+topic, "prefix com.example")

		const n = 40
		args, kwargs := payload()
		var wg sync.WaitGroup
		for _, node := range []*testrouter.Router{a, bn, c} {
			pub := dialClient(t, b, node)
			name := node.App.Cluster().Name()
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := range n {
					err := pub.Publish(ctx, topic, append(wamp.List{fmt.Sprintf("%s%02d", name, i)}, args...), kwargs,
						&client.PublishOptions{Acknowledge: i == n-1})
					if err != nil {
						t.Errorf("publish from %s: %v", name, err)
						return
					}
				}
			}()
		}
		wg.Wait()
		for what, in := range subs {
			for _, name := range []string{"A", "B", "C"} {
				in.waitLabel(t, what, fmt.Sprintf("%s%02d", name, n-1))
			}
		}
		pubIDs := map[string]wamp.ID{}
		for what, in := range subs {
			events := in.got()
			if len(events) != 3*n {
				t.Fatalf("%s received %d events, want %d (each once): %q", what, len(events), 3*n, in.labels())
			}
			next := map[byte]int{}
			for _, e := range events {
				label := e.Args[0].(string)
				if want := fmt.Sprintf("%c%02d", label[0], next[label[0]]); label != want {
					t.Fatalf("%s: got %s, want %s next (publisher order): %q", what, label, want, in.labels())
				}
				next[label[0]]++
				checkPayload(t, what+" "+label, e.Args[1:], e.Kwargs)
				if id, ok := pubIDs[label]; ok && id != e.Publication {
					t.Fatalf("%s: %s has publication ID %d, another subscriber saw %d", what, label, e.Publication, id)
				}
				pubIDs[label] = e.Publication
			}
		}
		if len(pubIDs) != 3*n {
			t.Fatalf("%d distinct labels, want %d", len(pubIDs), 3*n)
		}
	})
}

// The publisher's filters hold across nodes: exclude_me, exclude and
// eligible by session, authid and authrole, and publisher disclosure.
func TestClusterPublishFilters(t *testing.T) {
	forEachBackend(t, func(t *testing.T, b backend) {
		_, nodes := startCluster(t, b, 3)
		a, bn, c := nodes[0], nodes[1], nodes[2]
		ctx := guardCtx(t)
		const topic = "com.example.filtered"
		pub := dialClient(t, b, a)
		s1, s2, s3 := dialClient(t, b, bn), dialVia(t, b, bn.RawURL, serialize.CBOR), dialClient(t, b, c)
		in := map[string]*inbox{
			"pub": subscribeInbox(t, pub, topic, ""),
			"s1":  subscribeInbox(t, s1, topic, ""),
			"s2":  subscribeInbox(t, s2, topic, ""),
			"s3":  subscribeInbox(t, s3, topic, ""),
		}
		waitInterest(t, a, "B", "exact "+topic)
		waitInterest(t, a, "C", "exact "+topic)
		authid := func(s *client.Session) string { return s.Details()["authid"].(string) }
		no := false
		for _, p := range []struct {
			label string
			opts  client.PublishOptions
		}{
			{"all-but-me", client.PublishOptions{}},
			{"exclude-s1", client.PublishOptions{Exclude: []wamp.ID{s1.ID()}}},
			{"eligible-s3-pub", client.PublishOptions{Eligible: []wamp.ID{s3.ID(), pub.ID()}, ExcludeMe: &no}},
			{"exclude-authid-s2", client.PublishOptions{ExcludeAuthID: []string{authid(s2)}}},
			{"eligible-authid-s1", client.PublishOptions{EligibleAuthID: []string{authid(s1)}}},
			{"exclude-role", client.PublishOptions{ExcludeAuthRole: []string{"anonymous"}, ExcludeMe: &no}},
			{"disclosed", client.PublishOptions{DiscloseMe: true, ExcludeMe: &no}},
		} {
			p.opts.Acknowledge = true
			must(t, pub.Publish(ctx, topic, wamp.List{p.label}, nil, &p.opts))
		}
		for _, name := range []string{"pub", "s1", "s2", "s3"} {
			in[name].waitLabel(t, name, "disclosed")
		}
		want := map[string][]string{
			"pub": {"eligible-s3-pub", "disclosed"},
			"s1":  {"all-but-me", "exclude-authid-s2", "eligible-authid-s1", "disclosed"},
			"s2":  {"all-but-me", "exclude-s1", "disclosed"},
			"s3":  {"all-but-me", "exclude-s1", "eligible-s3-pub", "exclude-authid-s2", "disclosed"},
		}
		for name, labels := range want {
			if got := in[name].labels(); !slices.Equal(got, labels) {
				t.Errorf("%s received %q, want %q", name, got, labels)
			}
			for _, e := range in[name].got() {
				publisher, disclosed := e.Details["publisher"]
				if e.Args[0] != "disclosed" {
					if disclosed {
						t.Errorf("%s: %s discloses its publisher", name, e.Args[0])
					}
					continue
				}
				if id, _ := wamp.ToID(publisher); id != pub.ID() || e.Details["publisher_authid"] != authid(pub) ||
					e.Details["publisher_authrole"] != "anonymous" {
					t.Errorf("%s: disclosed publisher %v", name, e.Details)
				}
			}
		}
	})
}

// natsMonitor counts the messages between nodes, per subject, on a NATS
// connection of its own.
type natsMonitor struct {
	mu     sync.Mutex
	counts map[string]int
}

func monitorNATS(t *testing.T, ns *natsServer, subject string) *natsMonitor {
	t.Helper()
	nc, err := nats.Connect(ns.url())
	must(t, err)
	t.Cleanup(nc.Close)
	m := &natsMonitor{counts: map[string]int{}}
	_, err = nc.Subscribe(subject, func(msg *nats.Msg) {
		m.mu.Lock()
		m.counts[msg.Subject]++
		m.mu.Unlock()
	})
	must(t, err)
	must(t, nc.Flush())
	return m
}

func (m *natsMonitor) count(subject string) int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.counts[subject]
}

// An event crosses NATS once per node that has matching subscribers, not
// once per subscriber or per matching subscription, and not at all to a
// node without any.
func TestClusterEventCrossesOncePerNode(t *testing.T) {
	forEachBackend(t, func(t *testing.T, b backend) {
		ns, nodes := startCluster(t, b, 3)
		a, bn, c := nodes[0], nodes[1], nodes[2]
		ctx := guardCtx(t)
		// B: four subscribers, three subscriptions matching the topic.
		hot := []*inbox{
			subscribeInbox(t, dialClient(t, b, bn), "com.example.hot", ""),
			subscribeInbox(t, dialVia(t, b, bn.RawURL, serialize.MsgPack), "com.example.hot", ""),
			subscribeInbox(t, dialClient(t, b, bn), "com.example.h", "prefix"),
			subscribeInbox(t, dialVia(t, b, bn.UnixURL, serialize.CBOR), "com..hot", "wildcard"),
		}
		// C: only the fence.
		fence := subscribeInbox(t, dialClient(t, b, c), "com.example.fence", "")
		waitInterest(t, a, "B", "exact com.example.hot", "prefix com.example.h", "wildcard com..hot")
		waitInterest(t, a, "C", "exact com.example.fence")
		mon := monitorNATS(t, ns, "switchboard.m.realm1.>")
		pub := dialClient(t, b, a)
		must(t, pub.Publish(ctx, "com.example.hot", wamp.List{"hot"}, nil, &client.PublishOptions{Acknowledge: true}))
		must(t, pub.Publish(ctx, "com.example.fence", wamp.List{"fence"}, nil, &client.PublishOptions{Acknowledge: true}))
		for i, in := range hot {
			in.waitLabel(t, fmt.Sprintf("B subscriber %d", i), "hot")
		}
		fence.waitLabel(t, "C", "fence")
		// A sends to B and C on one connection, in order: once the monitor
		// saw the fence for C, it saw everything A sent before it.
		waitUntil(t, "the monitor to see the fence", func() bool { return mon.count("switchboard.m.realm1.C.A") == 1 })
		if n := mon.count("switchboard.m.realm1.B.A"); n != 1 {
			t.Fatalf("the event crossed to B %d times, want once", n)
		}
		for i, in := range hot {
			if l := in.labels(); !slices.Equal(l, []string{"hot"}) {
				t.Fatalf("B subscriber %d received %q", i, l)
			}
		}
	})
}

// A flood across nodes is paced by the receiving node, not dropped on its
// subscriber: the inbox of a realm waits while a subscriber it congested
// drains (as a publisher's connection would be throttled on one node), so
// the subscriber is not closed as a slow consumer and gets every event,
// in order.
func TestClusterFloodPacedByReceiver(t *testing.T) {
	forEachBackend(t, func(t *testing.T, b backend) {
		_, nodes := startCluster(t, b, 2)
		a, bn := nodes[0], nodes[1]
		ctx, cancel := context.WithTimeout(context.Background(), guard)
		defer cancel()
		in := subscribeInbox(t, dialVia(t, b, bn.RawURL, serialize.JSON), "com.example.flood", "")
		waitInterest(t, a, "B", "exact com.example.flood")
		pub := dialClient(t, b, a)
		const n = 5000
		for i := range n {
			// At most 64 in flight from the publisher (the Go client closes
			// a session whose own outbound queue overflows).
			must(t, pub.Publish(ctx, "com.example.flood", wamp.List{fmt.Sprintf("%05d", i)}, nil,
				&client.PublishOptions{Acknowledge: i%64 == 63 || i == n-1}))
		}
		in.waitLabel(t, "B's subscriber", fmt.Sprintf("%05d", n-1))
		labels := in.labels()
		if len(labels) != n {
			t.Fatalf("%d events of %d", len(labels), n)
		}
		for i, l := range labels {
			if l != fmt.Sprintf("%05d", i) {
				t.Fatalf("event %d is %s", i, l)
			}
		}
	})
}
