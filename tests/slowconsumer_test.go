package tests

import (
	"bufio"
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/switchboard-wamp/switchboard/client"
	"github.com/switchboard-wamp/switchboard/core"
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
// StallTimeout (2s: a reading subscriber on a loaded machine under the
// race detector must never look stalled; 500ms was not enough), a 1 MiB message limit (so a 2 MiB byte budget per peer)
// and a shared OutboundBudget it returns.
func startBudgetRouter(t *testing.T, b backend) (string, *transport.Stats, *transport.OutboundBudget) {
	t.Helper()
	as := b.New()
	app, err := core.New(core.Config{Backend: as, Realms: []core.RealmConfig{{URI: "realm1"}}})
	if err != nil {
		as.Close()
		t.Fatal(err)
	}
	stats, budget := new(transport.Stats), transport.NewOutboundBudget(64<<20)
	ws, err := transport.NewWebSocketServer(transport.WebSocketConfig{
		Serializers: []serialize.Serializer{serialize.JSON}, Stats: stats, MaxMessageBytes: 1 << 20,
		OutboundBudget: budget, StallTimeout: 2 * time.Second,
	}, app)
	if err != nil {
		t.Fatal(err)
	}
	hs := httptest.NewServer(ws)
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := app.Close(ctx); err != nil {
			t.Errorf("app.Close: %v", err)
		}
		ws.Close()
		hs.Close()
		as.Close()
	})
	return "ws" + strings.TrimPrefix(hs.URL, "http") + "/ws", stats, budget
}

// dialStalledSubscriber joins realm1 over a raw WebSocket with a small
// receive buffer, subscribes to topic, and then never reads again.
func dialStalledSubscriber(t *testing.T, wsURL string, topic wamp.URI) {
	t.Helper()
	host := strings.TrimPrefix(strings.TrimSuffix(wsURL, "/ws"), "ws://")
	nc, err := net.Dial("tcp", host)
	must(t, err)
	t.Cleanup(func() { nc.Close() })
	must(t, nc.(*net.TCPConn).SetReadBuffer(4096))
	req := "GET /ws HTTP/1.1\r\nHost: " + host + "\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
		"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n" +
		"Sec-WebSocket-Protocol: wamp.2.json\r\n\r\n"
	_, err = io.WriteString(nc, req)
	must(t, err)
	c := &burstConn{nc: nc, br: bufio.NewReader(nc)}
	resp, err := http.ReadResponse(c.br, nil)
	if err != nil || resp.StatusCode != http.StatusSwitchingProtocols {
		t.Fatalf("upgrade: %v %v", resp, err)
	}
	c.write(t, `[1,"realm1",{"roles":{"subscriber":{}}}]`)
	if typ := c.readType(t); typ != int(wamp.WELCOME) {
		t.Fatalf("got message type %d, want WELCOME", typ)
	}
	c.write(t, `[32,1,{},"`+string(topic)+`"]`)
	if typ := c.readType(t); typ != int(wamp.SUBSCRIBED) {
		t.Fatalf("got message type %d, want SUBSCRIBED", typ)
	}
}
