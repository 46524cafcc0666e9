package interop

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/switchboard-wamp/switchboard/client"
	"github.com/switchboard-wamp/switchboard/core/serialize"
	"github.com/switchboard-wamp/switchboard/core/wamp"
	"github.com/switchboard-wamp/switchboard/scheduler"
	"github.com/switchboard-wamp/switchboard/tests/testrouter"
)

// TestAutobahnJSWithGoComponent runs a Go client.Component next to an
// autobahn-js peer through the router, on every backend and serializer
// (the component speaks the same serializer as the JS peer): JS calls the
// component's declared procedure, whose handler calls the JS callee.
func TestAutobahnJSWithGoComponent(t *testing.T) {
	EnsureNodeDeps(t)
	sers := map[string]serialize.Serializer{"json": serialize.JSON, "msgpack": serialize.MsgPack, "cbor": serialize.CBOR}
	for _, b := range testrouter.Backends() {
		t.Run(b.Name, func(t *testing.T) {
			r := testrouter.Start(t, b.New())
			for _, ser := range serializers {
				t.Run(ser, func(t *testing.T) {
					cb := b.New()
					t.Cleanup(func() { _ = cb.Close() })
					startGoComponent(t, r.URL, sers[ser], cb)
					got := RunScenario(t, r.URL, "realm1", "go-component", ser)
					wantJSON(t, got, "triple_square", `48`)
				})
			}
		})
	}
}

// startGoComponent starts a component declaring
// com.example.gocomp.triple_square (3 × com.example.js.square(n)) and
// returns once it is ready; it is stopped at cleanup (before the
// backend is closed: cleanups run last-registered first).
func startGoComponent(t *testing.T, url string, ser serialize.Serializer, as scheduler.AsyncSupport) *client.Component {
	t.Helper()
	ready := make(chan struct{}, 1)
	c, err := client.NewComponent(client.ComponentConfig{
		Transports: []client.TransportConfig{{URL: url, Serializers: []serialize.Serializer{ser}}},
		Backend:    as,
		Hooks:      client.Hooks{OnReady: func(context.Context, *client.Session) { ready <- struct{}{} }},
	})
	if err != nil {
		t.Fatal(err)
	}
	err = c.Register("com.example.gocomp.triple_square", func(ctx context.Context, inv *client.Invocation) (*client.Result, error) {
		res, err := c.Call(ctx, "com.example.js.square", inv.Args, nil, nil)
		if err != nil {
			return nil, err
		}
		n, _ := wamp.ToInt(res.Args[0])
		return &client.Result{Args: wamp.List{3 * n}}, nil
	}, &client.RegisterOptions{Blocking: true}) // it waits for a call: off the event loop
	if err != nil {
		t.Fatal(err)
	}
	go func() { _ = c.Start(context.Background()) }()
	t.Cleanup(func() {
		c.Stop()
		select {
		case <-c.Done():
		case <-time.After(ScenarioTimeout):
			t.Error("component did not stop")
		}
	})
	select {
	case <-ready:
	case <-time.After(ScenarioTimeout):
		t.Fatal("component not ready")
	}
	return c
}

// The go-component scenario ends by itself when nothing listens.
func TestGoComponentScenarioDeadRouter(t *testing.T) {
	msg := execFailing(t, ScenarioSpec{URL: closedPortURL(t), Realm: "realm1", Scenario: "go-component", Serializer: "json"})
	if !strings.Contains(msg, "connection unreachable") {
		t.Errorf("error = %q, want it to contain %q", msg, "connection unreachable")
	}
}
