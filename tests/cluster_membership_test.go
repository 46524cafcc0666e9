package tests

import (
	"testing"

	"github.com/switchboard-wamp/switchboard/client"
	"github.com/switchboard-wamp/switchboard/tests/testrouter"
)

// A subscription on one node becomes the interest of its node session on
// every other node, once per (topic, match) whatever the number of
// subscribers, and goes when its last subscriber goes.
func TestClusterInterestFollowsSubscriptions(t *testing.T) {
	forEachBackend(t, func(t *testing.T, b backend) {
		_, nodes := startCluster(t, b, 3)
		a, bn, c := nodes[0], nodes[1], nodes[2]
		ctx := ctx10s(t)
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
