package tests

import (
	"context"
	"errors"
	"testing"

	"github.com/switchboard-wamp/switchboard/client"
	"github.com/switchboard-wamp/switchboard/core"
	"github.com/switchboard-wamp/switchboard/core/serialize"
	"github.com/switchboard-wamp/switchboard/core/wamp"
	"github.com/switchboard-wamp/switchboard/tests/testrouter"
)

// eventQueue collects one subscription's events for a test to take in
// order, each with a deadline.
type eventQueue chan *client.Event

func subscribeQueue(t *testing.T, ctx context.Context, s *client.Session, topic wamp.URI) eventQueue {
	t.Helper()
	q := make(eventQueue, 64)
	_, err := s.Subscribe(ctx, topic, func(e *client.Event) { q <- e }, nil)
	must(t, err)
	return q
}

// next returns the next event, failing the test after guard without one.
func (q eventQueue) next(t *testing.T, what string) *client.Event {
	t.Helper()
	return recvWithin(t, q, what+" event")
}

// call1 calls procedure and returns its one positional result.
func call1(t *testing.T, ctx context.Context, s *client.Session, procedure wamp.URI, args ...any) any {
	t.Helper()
	res, err := s.Call(ctx, procedure, args, nil, nil)
	must(t, err)
	if len(res.Args) != 1 {
		t.Fatalf("%s answered %v, want one result", procedure, res.Args)
	}
	return res.Args[0]
}

func wantID(t *testing.T, what string, v any, id wamp.ID) {
	t.Helper()
	if got, ok := wamp.ToID(v); !ok || got != id {
		t.Fatalf("%s = %#v, want %d", what, v, id)
	}
}

// The session meta API end to end, on every backend: on_join with the
// identity and transport of sessions over different transports and
// serializers, count/list/get (the application's own session is not
// listed), kill with a reason and message, on_leave.
func TestMetaSessions(t *testing.T) {
	forEachBackend(t, func(t *testing.T, b backend) {
		r := testrouter.StartRealm(t, b.New(), core.RealmConfig{URI: "realm1", SessionKill: true})
		ctx := guardCtx(t)
		watcher := dialClient(t, b, r)
		joins := subscribeQueue(t, ctx, watcher, "wamp.session.on_join")
		leaves := subscribeQueue(t, ctx, watcher, "wamp.session.on_leave")

		a := dialVia(t, b, r.RawURL, serialize.CBOR)
		e := joins.next(t, "on_join")
		d, _ := e.Args[0].(wamp.Dict)
		wantID(t, "on_join session", d["session"], a.ID())
		tr, _ := d["transport"].(wamp.Dict)
		if d["authrole"] != "anonymous" || d["authmethod"] != "anonymous" || tr["type"] != "rawsocket" || tr["serializer"] != "cbor" {
			t.Fatalf("on_join details %v", d)
		}
		b2 := dialVia(t, b, r.URL, serialize.MsgPack)
		wantID(t, "second on_join", joins.next(t, "on_join").Args[0].(wamp.Dict)["session"], b2.ID())

		if n, _ := wamp.ToInt(call1(t, ctx, watcher, "wamp.session.count")); n != 3 {
			t.Fatalf("wamp.session.count = %d, want 3 (the application's own session is not counted)", n)
		}
		if n, _ := wamp.ToInt(call1(t, ctx, watcher, "wamp.session.count", wamp.List{"nobody"})); n != 0 {
			t.Fatalf("count filtered by an unused role = %d", n)
		}
		if l, _ := call1(t, ctx, watcher, "wamp.session.list").(wamp.List); len(l) != 3 {
			t.Fatalf("wamp.session.list = %v, want 3 sessions", l)
		}
		got, _ := call1(t, ctx, b2, "wamp.session.get", a.ID()).(wamp.Dict)
		wantID(t, "get session", got["session"], a.ID())
		if got["authid"] != a.Details()["authid"] {
			t.Fatalf("get %v, want authid %v", got, a.Details()["authid"])
		}
		_, err := watcher.Call(ctx, "wamp.session.get", wamp.List{int64(1)}, nil, nil)
		wantErrorURI(t, err, wamp.ErrNoSuchSession)

		_, err = watcher.Call(ctx, "wamp.session.kill", wamp.List{a.ID()}, wamp.Dict{"reason": "com.example.kicked", "message": "bye"}, nil)
		must(t, err)
		select {
		case <-a.Done():
		case <-ctx.Done():
			t.Fatal("the killed session did not end")
		}
		var ce *client.CloseError
		if !errors.As(a.Err(), &ce) || ce.Reason != "com.example.kicked" || ce.Message != "bye" || !ce.Remote {
			t.Fatalf("killed session ended with %v, want GOODBYE com.example.kicked \"bye\"", a.Err())
		}
		l := leaves.next(t, "on_leave")
		wantID(t, "on_leave session", l.Args[0], a.ID())
		if len(l.Args) != 3 || l.Args[2] != "anonymous" {
			t.Fatalf("on_leave args %v, want [session, authid, authrole]", l.Args)
		}
	})
}

// The registration and subscription meta API end to end, on every
// backend: lookup (null when nothing is registered), match, get,
// list_callees, count_callees, count_subscribers, and the lifecycle
// events through a pattern subscription.
func TestMetaRegistrationsSubscriptions(t *testing.T) {
	forEachBackend(t, func(t *testing.T, b backend) {
		r := startRouter(t, b)
		ctx := guardCtx(t)
		watcher := dialClient(t, b, r)
		regEvents := subscribeQueue(t, ctx, watcher, "wamp.registration.on_create")
		callee := dialVia(t, b, r.URL, serialize.CBOR)

		if v := call1(t, ctx, watcher, "wamp.registration.lookup", "com.example.meta.proc"); v != nil {
			t.Fatalf("lookup of an unregistered procedure = %#v, want null", v)
		}
		reg, err := callee.Register(ctx, "com.example.meta.proc", func(context.Context, *client.Invocation) (*client.Result, error) {
			return &client.Result{}, nil
		}, nil)
		must(t, err)
		e := regEvents.next(t, "registration on_create")
		wantID(t, "on_create session", e.Args[0], callee.ID())
		if d, _ := e.Args[1].(wamp.Dict); d["uri"] != "com.example.meta.proc" || d["match"] != "exact" || d["invoke"] != "single" {
			t.Fatalf("on_create details %v", e.Args[1])
		}
		wantID(t, "lookup", call1(t, ctx, watcher, "wamp.registration.lookup", "com.example.meta.proc"), reg.ID())
		wantID(t, "match", call1(t, ctx, watcher, "wamp.registration.match", "com.example.meta.proc"), reg.ID())
		if d, _ := call1(t, ctx, watcher, "wamp.registration.get", reg.ID()).(wamp.Dict); d["uri"] != "com.example.meta.proc" {
			t.Fatalf("get = %v", d)
		}
		if l, _ := call1(t, ctx, watcher, "wamp.registration.list_callees", reg.ID()).(wamp.List); len(l) != 1 {
			t.Fatalf("list_callees = %v", l)
		} else {
			wantID(t, "callee", l[0], callee.ID())
		}
		if n, _ := wamp.ToInt(call1(t, ctx, watcher, "wamp.registration.count_callees", reg.ID())); n != 1 {
			t.Fatalf("count_callees = %d", n)
		}

		subEvents := make(eventQueue, 16)
		_, err = watcher.Subscribe(ctx, "wamp.subscription.on_", func(e *client.Event) { subEvents <- e }, &client.SubscribeOptions{Match: wamp.MatchPrefix})
		must(t, err)
		sub, err := callee.Subscribe(ctx, "com.example.meta.news", func(*client.Event) {}, nil)
		must(t, err)
		// The watcher hears of its own subscription first.
		for _, who := range []*client.Session{watcher, callee} {
			for _, topic := range []wamp.URI{"wamp.subscription.on_create", "wamp.subscription.on_subscribe"} {
				e := subEvents.next(t, string(topic))
				if e.Topic != topic {
					t.Fatalf("event on %s, want %s", e.Topic, topic)
				}
				wantID(t, string(topic)+" session", e.Args[0], who.ID())
			}
		}
		if n, _ := wamp.ToInt(call1(t, ctx, watcher, "wamp.subscription.count_subscribers", sub.ID())); n != 1 {
			t.Fatalf("count_subscribers = %d", n)
		}
		_, err = watcher.Call(ctx, "wamp.subscription.count_subscribers", wamp.List{int64(1)}, nil, nil)
		wantErrorURI(t, err, wamp.ErrNoSuchSubscription)
		_, err = callee.Register(ctx, "wamp.session.count", func(context.Context, *client.Invocation) (*client.Result, error) {
			return &client.Result{}, nil
		}, nil)
		wantErrorURI(t, err, wamp.ErrInvalidURI)
	})
}

// Testaments end to end, on every backend: published when the session
// leaves with GOODBYE and when its connection drops; flush_testaments
// drops a scope.
func TestMetaTestaments(t *testing.T) {
	forEachBackend(t, func(t *testing.T, b backend) {
		r := startRouter(t, b)
		ctx := guardCtx(t)
		watcher := dialClient(t, b, r)
		gone := subscribeQueue(t, ctx, watcher, "com.example.meta.gone")

		a := dialVia(t, b, r.URL, serialize.MsgPack)
		for _, tc := range []struct {
			value string
			scope string
		}{{"destroyed", "destroyed"}, {"detached", "detached"}, {"flushed", "destroyed"}} {
			_, err := a.Call(ctx, "wamp.session.add_testament", wamp.List{"com.example.meta.gone", wamp.List{tc.value}, wamp.Dict{}},
				wamp.Dict{"scope": tc.scope}, nil)
			must(t, err)
			if tc.value == "destroyed" {
				_, err = a.Call(ctx, "wamp.session.flush_testaments", nil, wamp.Dict{"scope": "destroyed"}, nil)
				must(t, err)
			}
		}
		must(t, a.Leave(ctx, ""))
		for _, want := range []string{"detached", "flushed"} {
			if e := gone.next(t, "testament"); e.Args[0] != want {
				t.Fatalf("testament %v, want %q (detached scope first, then destroyed)", e.Args, want)
			}
		}

		// A session whose connection drops without GOODBYE: its testament
		// still goes out.
		p := dialWire(t, r.URL, "wamp.2.json")
		p.join("realm1")
		p.send(`[48,1,{},"wamp.session.add_testament",["com.example.meta.gone",["dropped"]]]`)
		p.want(50, int64(1), map[string]any{})
		must(t, p.conn.NetConn().Close())
		if e := gone.next(t, "testament of a dropped session"); e.Args[0] != "dropped" {
			t.Fatalf("testament %v, want dropped", e.Args)
		}
	})
}
