package tests

import (
	"bufio"
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/switchboard-wamp/switchboard/client"
	"github.com/switchboard-wamp/switchboard/core/serialize"
	"github.com/switchboard-wamp/switchboard/core/wamp"
	"github.com/switchboard-wamp/switchboard/transport"
)

// The probe of a subscriber that stops reading while a publisher sends
// large acknowledged publications: the subscriber is closed as a slow
// consumer, the router holds at most its byte budgets meanwhile, the
// publisher gets an answer for every publication and stays joined, and a
// subscriber that reads gets every event.
func TestStalledSubscriberIsClosedPublisherUnharmed(t *testing.T) {
	forEachBackend(t, func(t *testing.T, b backend) {
		url, stats, budget := startBudgetRouter(t, b)
		// A guard only: the publications wait for the stalled subscriber's
		// close (StallTimeout) and run under the race detector.
		ctx, cancel := context.WithTimeout(context.Background(), guard)
		defer cancel()
		const topic = "com.example.big"
		dialStalledSubscriber(t, url, topic)

		reader := make(eventSink, 1000)
		sub := dialVia(t, b, url, serialize.JSON)
		_, err := sub.Subscribe(ctx, topic, reader.handle, nil)
		must(t, err)
		pub := dialVia(t, b, url, serialize.JSON)

		// 40 x 256 KiB: more than a socket's send buffer (at most 4 MiB on
		// Linux by default) and the byte soft limit (256 KiB here) together.
		const n = 40
		payload := strings.Repeat("x", 256<<10)
		refused := 0
		for i := range n {
			err := pub.Publish(ctx, topic, wamp.List{i, payload}, nil, &client.PublishOptions{Acknowledge: true})
			var ce *client.Error
			switch {
			case err == nil:
			case errors.As(err, &ce):
				refused++ // the stalled subscriber could not take this one (closed)
			default:
				t.Fatalf("publication %d: %v", i, err)
			}
		}
		for i := range n {
			if got := reader.next(t); got != int64(i) && got != uint64(i) && got != float64(i) && got != i {
				t.Fatalf("reading subscriber: event %v, want %d", got, i)
			}
		}
		waitUntil(t, "the stalled subscriber to be closed as a slow consumer", func() bool {
			return stats.SlowConsumers.Load() == 1
		})
		if err := pub.Publish(ctx, topic, wamp.List{"after"}, nil, &client.PublishOptions{Acknowledge: true}); err != nil {
			t.Fatalf("publisher after the slow consumer left: %v", err)
		}
		reader.next(t)
		// How many publications were routed between the subscriber's close
		// and its detach (each answered with ERROR) is the scheduler's choice.
		t.Logf("%d of %d publications answered with ERROR", refused, n)
		waitUntil(t, "the outbound budget to be empty", func() bool { return budget.Used() == 0 })
	})
}

// startBudgetRouter serves realm1 over WebSocket (json) with a short
// StallTimeout, a 1 MiB message limit (so a 2 MiB byte budget per peer)
// and a shared OutboundBudget it returns.
func startBudgetRouter(t *testing.T, b backend) (string, *transport.Stats, *transport.OutboundBudget) {
	t.Helper()
	return startBudgetRouterPing(t, b, 0)
}

// startBudgetRouterPing is startBudgetRouter with a keep-alive ping
// interval (0 = the default, 30 s). The stall timeout (3 s) leaves the
// reading subscriber, starved of CPU on a loaded machine under the race
// detector, a wide margin: a 500 ms one closed it too in a CI run beside
// other jobs. For the same reason the event stall timeout is 1 s, not the
// default 100 ms: a reader starved that long would let the publisher go
// and then overflow its 2 MiB budget (transport's
// TestStalledSubscriberLetsPublisherGo tests the release itself).
func startBudgetRouterPing(t *testing.T, b backend, ping time.Duration) (string, *transport.Stats, *transport.OutboundBudget) {
	t.Helper()
	stats, budget := new(transport.Stats), transport.NewOutboundBudget(64<<20)
	url := startWSRouter(t, b, transport.WebSocketConfig{
		Serializers: []serialize.Serializer{serialize.JSON}, Stats: stats, MaxMessageBytes: 1 << 20,
		OutboundBudget: budget, StallTimeout: 3 * time.Second, EventStallTimeout: time.Second, PingInterval: ping,
		PongTimeout: pongTimeout(ping),
	})
	return url, stats, budget
}

// pongTimeout is how long past a ping the test routers wait for the
// answer: 3 s, so that a peer that reads is never evicted because the
// machine starved its reader (the caller of TestStalledCalleeFailsItsCalls
// was, once, with the default of one PingInterval, 200 ms); 0 keeps the
// transport's default when pings are off or at their default.
func pongTimeout(ping time.Duration) time.Duration {
	if ping <= 0 {
		return 0
	}
	return 3 * time.Second
}

// A callee that stops reading (and so stops answering pings) never makes
// its callers hang: keep-alive evicts it, and the call it held fails with
// an ERROR; the caller stays joined.
func TestStalledCalleeFailsItsCalls(t *testing.T) {
	forEachBackend(t, func(t *testing.T, b backend) {
		url, stats, _ := startBudgetRouterPing(t, b, 200*time.Millisecond)
		dialStalled(t, url, `[64,1,{},"com.example.stuck"]`, int(wamp.REGISTERED))
		caller := dialVia(t, b, url, serialize.JSON)
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
		defer cancel()
		_, err := caller.Call(ctx, "com.example.stuck", wamp.List{1}, nil, nil) // no call timeout
		var ce *client.Error
		if !errors.As(err, &ce) {
			t.Fatalf("call to a stalled callee: %v, want an ERROR from the router", err)
		}
		t.Logf("the caller got %v", err)
		if got := stats.KeepaliveTimeouts.Load(); got < 1 {
			t.Errorf("KeepaliveTimeouts = %d, want the stalled callee evicted by keep-alive", got)
		}
		if _, err := caller.Call(ctx, "com.example.stuck", nil, nil, nil); !errors.As(err, &ce) || ce.URI != wamp.ErrNoSuchProcedure {
			t.Errorf("after the eviction: %v, want %s", err, wamp.ErrNoSuchProcedure)
		}
	})
}

// dialStalledSubscriber joins realm1 over a raw WebSocket with a small
// receive buffer, subscribes to topic, and then never reads again.
func dialStalledSubscriber(t *testing.T, wsURL string, topic wamp.URI) {
	t.Helper()
	dialStalled(t, wsURL, `[32,1,{},"`+string(topic)+`"]`, int(wamp.SUBSCRIBED))
}

// dialStalled joins realm1 over a raw WebSocket with a small receive
// buffer, sends req, reads the reply of type want, and then never reads
// (nor writes) again.
func dialStalled(t *testing.T, wsURL, req string, want int) {
	t.Helper()
	host := strings.TrimPrefix(strings.TrimSuffix(wsURL, "/ws"), "ws://")
	nc, err := net.Dial("tcp", host)
	must(t, err)
	t.Cleanup(func() { nc.Close() })
	must(t, nc.(*net.TCPConn).SetReadBuffer(4096))
	upgrade := "GET /ws HTTP/1.1\r\nHost: " + host + "\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
		"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n" +
		"Sec-WebSocket-Protocol: wamp.2.json\r\n\r\n"
	_, err = io.WriteString(nc, upgrade)
	must(t, err)
	c := &burstConn{nc: nc, br: bufio.NewReader(nc)}
	resp, err := http.ReadResponse(c.br, nil)
	if err != nil || resp.StatusCode != http.StatusSwitchingProtocols {
		t.Fatalf("upgrade: %v %v", resp, err)
	}
	c.write(t, `[1,"realm1",{"roles":{"subscriber":{},"callee":{}}}]`)
	if typ := c.readType(t); typ != int(wamp.WELCOME) {
		t.Fatalf("got message type %d, want WELCOME", typ)
	}
	c.write(t, req)
	for {
		typ := c.readType(t)
		if typ == want {
			return
		}
		if typ != 0 { // 0: a control frame (a ping)
			t.Fatalf("got message type %d, want %d", typ, want)
		}
	}
}
