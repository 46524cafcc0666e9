package tests

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/switchboard-wamp/switchboard/client"
	"github.com/switchboard-wamp/switchboard/core"
	"github.com/switchboard-wamp/switchboard/core/serialize"
	"github.com/switchboard-wamp/switchboard/core/wamp"
	"github.com/switchboard-wamp/switchboard/scheduler/schedtest"
	"github.com/switchboard-wamp/switchboard/transport"
)

// With the shared outbound budget and its overdraft exhausted (none at
// all here, and a budget smaller than one message), a peer with nothing
// queued still gets its message: each event and each call's RESULT is
// queued past the budget, counted, and held in the inbound budget until
// written, while its sender is held (transport's TestOutboundOverdraft
// checks the hold itself). Nothing acknowledged is lost, nobody is closed
// as a slow consumer, and every budget is whole afterwards. (Each round
// waits for its deliveries: a peer that still has a backlog when the
// shared budget is exhausted is a slow consumer, as before.)
func TestOverdraftExhaustedStillDelivers(t *testing.T) {
	forEachBackend(t, func(t *testing.T, b backend) {
		stats := new(transport.Stats)
		budget := transport.NewOutboundBudgetOverdraft(64<<10, -1)
		inbound := transport.NewInboundBudget(0)
		url := startWSRouter(t, b, transport.WebSocketConfig{
			Serializers: []serialize.Serializer{serialize.JSON}, Stats: stats, MaxMessageBytes: 1 << 20,
			OutboundBudget: budget, InboundBudget: inbound,
			// Generous: a reader starved of CPU on a loaded machine must
			// not be taken for a stalled one.
			StallTimeout: 30 * time.Second, EventStallTimeout: 30 * time.Second,
		})
		ctx, cancel := context.WithTimeout(context.Background(), guard)
		defer cancel()
		const topic = "com.example.big"
		payload := strings.Repeat("x", 100<<10) // over the whole budget
		sinks := []eventSink{make(eventSink, 1), make(eventSink, 1)}
		for _, sink := range sinks {
			s := dialVia(t, b, url, serialize.JSON)
			_, err := s.Subscribe(ctx, topic, sink.handle, nil)
			must(t, err)
		}
		callee := dialVia(t, b, url, serialize.JSON)
		_, err := callee.Register(ctx, "com.example.big", func(context.Context, *client.Invocation) (*client.Result, error) {
			return &client.Result{Args: wamp.List{payload}}, nil
		}, nil)
		must(t, err)
		pub := dialVia(t, b, url, serialize.JSON)
		const n = 10
		for i := range n {
			err := pub.Publish(ctx, topic, wamp.List{i, payload}, nil, &client.PublishOptions{Acknowledge: true})
			if err != nil {
				t.Fatalf("publication %d: %v", i, err)
			}
			for _, sink := range sinks {
				if got := sink.next(t); got != int64(i) && got != uint64(i) && got != float64(i) && got != i {
					t.Fatalf("event %v, want %d", got, i)
				}
			}
			res, err := pub.Call(ctx, "com.example.big", nil, nil, nil)
			if err != nil || len(res.Args) != 1 || res.Args[0] != payload {
				t.Fatalf("call %d: %v", i, err)
			}
		}
		if got := stats.OverdraftHolds.Load(); got < 3*n {
			t.Errorf("OverdraftHolds = %d, want at least %d (every event and result went past the budget)", got, 3*n)
		}
		if got := stats.SlowConsumers.Load(); got != 0 {
			t.Errorf("SlowConsumers = %d, want 0", got)
		}
		waitUntil(t, "every budget to be whole", func() bool {
			return budget.Used() == 0 && budget.OverdraftUsed() == 0 && inbound.Used() == 0
		})
	})
}

// flowPeer is a transport.Peer with flow control that records what the
// engine asks of it.
type flowPeer struct {
	sent   []wamp.Message
	paused int
	held   int64 // HoldInbound minus ReleaseInbound
}

func (p *flowPeer) Send(m wamp.Message) bool     { p.sent = append(p.sent, m); return true }
func (p *flowPeer) Close()                       {}
func (p *flowPeer) Info() transport.Info         { return transport.Info{Transport: "test", PeerAddr: "test"} }
func (p *flowPeer) Congested() bool              { return false }
func (p *flowPeer) Throttle(transport.Peer)      {}
func (p *flowPeer) ThrottleEvent(transport.Peer) {}
func (p *flowPeer) Pause()                       { p.paused++ }
func (p *flowPeer) Resume()                      { p.paused-- }
func (p *flowPeer) Check(wamp.Message) error     { return nil }
func (p *flowPeer) ReleaseInbound(n int64)       { p.held -= n }
func (p *flowPeer) HoldInbound(n int64)          { p.held += n }
func (p *flowPeer) wantLast(t *testing.T, typ wamp.Type) {
	t.Helper()
	if len(p.sent) == 0 || p.sent[len(p.sent)-1].Type() != typ {
		t.Fatalf("last message sent %v, want %v", p.sent, typ)
	}
}

// The part of a message past its session's in-flight bound is counted in
// the shared inbound budget (HoldInbound) from the moment the connection
// hands it to the realm until the realm routed it, and the reader is
// paused meanwhile. On the Virtual scheduler nothing is routed until the
// test runs it, so the hold is observed exactly.
func TestInflightPastBoundHeldInInboundBudget(t *testing.T) {
	v := schedtest.NewVirtual(1, time.Unix(1_700_000_000, 0))
	defer v.Close()
	app, err := core.New(core.Config{Backend: v, Realms: []core.RealmConfig{{URI: "realm1"}},
		InflightBytesPerSession: 16 << 10, Logger: diffQuiet()})
	must(t, err)
	d := &diffDriver{name: "virtual", as: v, v: v}
	defer func() {
		if err := d.waitTicking(t, time.Second, func() error { return app.Close(context.Background()) }); err != nil {
			t.Errorf("app.Close: %v", err)
		}
	}()
	p := new(flowPeer)
	h := app.Accept(p)
	h.Message(&wamp.Hello{Realm: "realm1", Details: wamp.Dict{"roles": wamp.Dict{"publisher": wamp.Dict{}}}})
	v.RunUntilIdle()
	p.wantLast(t, wamp.WELCOME)

	small := &wamp.Publish{Request: 1, Options: wamp.Dict{"acknowledge": true}, Topic: "com.example.t", Args: wamp.List{"x"}}
	h.Message(small)
	if p.held != 0 || p.paused != 0 {
		t.Fatalf("a small message: held %d, paused %d; want neither", p.held, p.paused)
	}
	big := &wamp.Publish{Request: 2, Options: wamp.Dict{"acknowledge": true}, Topic: "com.example.t",
		Args: wamp.List{strings.Repeat("x", 100<<10)}}
	h.Message(big)
	if p.held <= 80<<10 || p.paused != 1 {
		t.Fatalf("a message past the bound, not routed yet: held %d (want its part past 16 KiB), paused %d", p.held, p.paused)
	}
	v.RunUntilIdle()
	if p.held != 0 || p.paused != 0 {
		t.Fatalf("after routing: held %d, paused %d; want both back to 0", p.held, p.paused)
	}
	p.wantLast(t, wamp.PUBLISHED)
}
