package main

import (
	"context"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/switchboard-wamp/switchboard/adapters/goroutine"
	"github.com/switchboard-wamp/switchboard/client"
	"github.com/switchboard-wamp/switchboard/core/serialize"
	"github.com/switchboard-wamp/switchboard/core/wamp"
)

// The operator endpoint of the real router (start), on every backend:
// /healthz and /readyz answer, and the metrics move as a scenario runs —
// sessions by realm, transport and serializer; messages by type and their
// bytes; the call latency histogram; an authentication failure by method;
// a handshake timeout; the backend's own figures. Sessions that leave
// leave the gauge.
func TestMetricsScenario(t *testing.T) {
	for _, backend := range backends {
		t.Run(backend, func(t *testing.T) { testMetricsScenario(t, backend) })
	}
}

func testMetricsScenario(t *testing.T, backend string) {
	c := Config{
		Backend:          backend,
		Realms:           []RealmConfig{{URI: "realm1"}},
		Listeners:        []ListenerConfig{{Type: "websocket", Address: "127.0.0.1:0"}, {Type: "rawsocket", Address: "127.0.0.1:0"}},
		HandshakeTimeout: 300 * time.Millisecond,
		Metrics:          MetricsConfig{Address: "127.0.0.1:0"},
	}.withDefaults()
	if err := c.Validate(); err != nil {
		t.Fatal(err)
	}
	srv, err := start(c, quietLog())
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Shutdown(5 * time.Second)
	ops := srv.OpsURL()
	for _, p := range []string{"/healthz", "/readyz"} {
		if code, body := httpGet(t, ops+p); code != http.StatusOK {
			t.Fatalf("%s: %d %s", p, code, body)
		}
	}
	before := scrapeMetrics(t, ops)

	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	be := goroutine.New(goroutine.Config{})
	defer be.Close()
	dial := func(url string, ser serialize.Serializer, methods ...string) (*client.Session, error) {
		return client.Dial(ctx, url, client.Config{Realm: "realm1", Backend: be, Serializers: []serialize.Serializer{ser},
			AuthMethods: methods, Logger: quietLog()})
	}
	callee, err := dial(srv.URLs()[0], serialize.JSON)
	if err != nil {
		t.Fatal(err)
	}
	caller, err := dial(srv.URLs()[1], serialize.MsgPack)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := callee.Register(ctx, "com.example.count", func(_ context.Context, inv *client.Invocation) (*client.Result, error) {
		for i := range 3 {
			if err := inv.Progress(wamp.List{int64(i)}, nil); err != nil {
				return nil, err
			}
		}
		return &client.Result{Args: wamp.List{"done"}}, nil
	}, nil); err != nil {
		t.Fatal(err)
	}
	progress := 0
	res, err := caller.Call(ctx, "com.example.count", nil, nil, &client.CallOptions{Progress: func(*client.Result) { progress++ }})
	if err != nil || res.Args[0] != "done" {
		t.Fatalf("call: %v %v", res, err)
	}
	if _, err := dial(srv.URLs()[0], serialize.JSON, "ticket"); err == nil {
		t.Fatal("a ticket HELLO joined an anonymous realm")
	}
	noHello(t, srv.URLs()[1])

	// The refused and the silent connections close on the router's own
	// goroutines: when they are gone is the scheduler's choice, so wait.
	waitUntil(t, "the handshake timeout to be counted and the refused connections closed", func() bool {
		m := scrapeMetrics(t, ops)
		return m["switchboard_handshake_timeouts_total"] >= 1 && m["switchboard_connections"] == 2
	})
	after := scrapeMetrics(t, ops)
	grew := func(series string, by float64) {
		t.Helper()
		if d := after.get(t, series) - before[series]; d < by {
			t.Errorf("%s grew by %v, want at least %v", series, d, by)
		}
	}
	if v := after.get(t, `switchboard_sessions{realm="realm1",serializer="json",transport="websocket"}`); v != 1 {
		t.Errorf("json websocket sessions = %v, want 1", v)
	}
	if v := after.get(t, `switchboard_sessions{realm="realm1",serializer="msgpack",transport="rawsocket"}`); v != 1 {
		t.Errorf("msgpack rawsocket sessions = %v, want 1", v)
	}
	grew(`switchboard_messages_received_total{type="CALL"}`, 1)
	grew(`switchboard_messages_received_total{type="YIELD"}`, 4) // three progressive, one final
	grew(`switchboard_messages_sent_total{type="INVOCATION"}`, 1)
	grew(`switchboard_messages_sent_total{type="RESULT"}`, 4)
	grew(`switchboard_messages_received_total{type="HELLO"}`, 3)
	grew(`switchboard_messages_sent_total{type="ABORT"}`, 1)
	grew(`switchboard_received_bytes_total`, 10)
	grew(`switchboard_sent_bytes_total`, 10)
	grew(`switchboard_call_duration_seconds_count{realm="realm1"}`, 1)
	grew(`switchboard_auth_failures_total{method="ticket"}`, 1)
	grew(`switchboard_handshake_timeouts_total`, 1)
	grew(`switchboard_transport_events_total{event="accepted"}`, 4)
	after.get(t, `switchboard_outbound_queue_messages`)
	after.get(t, `switchboard_outbound_queue_bytes`)
	if got := after.get(t, `switchboard_outbound_budget_bytes`); got != 1<<30 {
		t.Errorf("switchboard_outbound_budget_bytes = %v, want the 1 GiB default", got)
	}
	if got := after.get(t, `switchboard_outbound_overdraft_budget_bytes`); got != 256<<20 {
		t.Errorf("switchboard_outbound_overdraft_budget_bytes = %v, want the 256 MiB default", got)
	}
	after.get(t, `switchboard_outbound_overdraft_bytes`)
	after.get(t, `switchboard_transport_events_total{event="overdraft_holds"}`)
	after.get(t, `switchboard_transport_events_total{event="inflate_refusals"}`)
	after.get(t, `switchboard_slow_consumer_disconnects_total`)
	if v := after.get(t, `switchboard_connections`); v != 2 {
		t.Errorf("connections = %v, want 2", v)
	}
	switch backend {
	case "eventloop":
		after.get(t, `switchboard_eventloop_stalls_total`)
		after.get(t, `switchboard_eventloop_longest_stall_seconds`)
	case "pool":
		after.get(t, `switchboard_pool_queue_depth`)
		after.get(t, `switchboard_pool_refusals_total`)
	}
	if progress != 3 {
		t.Errorf("%d progressive results, want 3", progress)
	}

	callee.Leave(ctx, "")
	caller.Leave(ctx, "")
	waitUntil(t, "the sessions to leave the gauge", func() bool {
		for k := range scrapeMetrics(t, ops) {
			if strings.HasPrefix(k, "switchboard_sessions{") {
				return false
			}
		}
		return true
	})
}

// noHello opens a RawSocket connection, completes the transport
// handshake (JSON) and sends nothing: the router closes it at its
// handshake timeout.
func noHello(t *testing.T, url string) {
	t.Helper()
	nc, err := net.Dial("tcp", strings.TrimPrefix(url, "rs://"))
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	if _, err := nc.Write([]byte{0x7F, 0xF1, 0, 0}); err != nil {
		t.Fatal(err)
	}
	_ = nc.SetReadDeadline(time.Now().Add(20 * time.Second))
	reply := make([]byte, 4)
	if _, err := io.ReadFull(nc, reply); err != nil || reply[0] != 0x7F {
		t.Fatalf("rawsocket handshake reply %x, %v", reply, err)
	}
	if _, err := io.ReadAll(nc); err != nil {
		t.Fatalf("waiting for the router to close a connection without HELLO: %v", err)
	}
}
