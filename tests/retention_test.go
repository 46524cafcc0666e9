package tests

import (
	"testing"

	"github.com/switchboard-wamp/switchboard/client"
	"github.com/switchboard-wamp/switchboard/core"
	"github.com/switchboard-wamp/switchboard/core/serialize"
	"github.com/switchboard-wamp/switchboard/core/wamp"
	"github.com/switchboard-wamp/switchboard/tests/testrouter"
)

// Event retention and event history end to end, on every backend: a
// retained event reaches a later subscriber asking get_retained (marked
// retained), and wamp.subscription.get_events returns a configured
// history, within its bound, found through wamp.subscription.lookup.
func TestRetentionAndHistory(t *testing.T) {
	forEachBackend(t, func(t *testing.T, b backend) {
		r := testrouter.StartRealm(t, b.New(), core.RealmConfig{URI: "realm1", RetainedTopics: 10,
			History: []core.HistoryConfig{{Topic: "com.example.hist", Match: wamp.MatchPrefix, Limit: 2}}})
		ctx := guardCtx(t)
		pub := dialVia(t, b, r.RawURL, serialize.CBOR)
		must(t, pub.Publish(ctx, "com.example.hist.temp", wamp.List{int64(20)}, nil,
			&client.PublishOptions{Acknowledge: true, Extra: wamp.Dict{"retain": true}}))
		for _, v := range []int64{21, 22} {
			must(t, pub.Publish(ctx, "com.example.hist.temp", wamp.List{v}, nil, &client.PublishOptions{Acknowledge: true}))
		}

		sub := dialVia(t, b, r.URL, serialize.MsgPack)
		q := make(eventQueue, 4)
		_, err := sub.Subscribe(ctx, "com.example.hist.temp", func(e *client.Event) { q <- e }, &client.SubscribeOptions{Extra: wamp.Dict{"get_retained": true}})
		must(t, err)
		e := q.next(t, "retained")
		if n, _ := wamp.ToInt(e.Args[0]); n != 20 || e.Details["retained"] != true {
			t.Fatalf("retained event %v %v, want [20] with details.retained", e.Args, e.Details)
		}

		id, ok := wamp.ToID(call1(t, ctx, sub, "wamp.subscription.lookup", "com.example.hist", wamp.Dict{"match": "prefix"}))
		if !ok {
			t.Fatal("lookup found no history subscription")
		}
		res, err := sub.Call(ctx, "wamp.subscription.get_events", wamp.List{id}, nil, nil)
		must(t, err)
		events, _ := res.Args[0].(wamp.List)
		if len(events) != 2 {
			t.Fatalf("get_events = %v, want the last 2 events (Limit 2)", events)
		}
		for i, want := range []int64{21, 22} {
			ev, _ := events[i].(wamp.Dict)
			args, _ := ev["args"].(wamp.List)
			if n, _ := wamp.ToInt(args[0]); n != want || ev["timestamp"] == nil {
				t.Fatalf("event %d = %v, want args [%d] and a timestamp", i, ev, want)
			}
		}
	})
}
