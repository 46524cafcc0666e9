package tests

import (
	"context"
	"math"
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

// A message legal on the way in must never close its receivers on the way
// out: the router's version of it can be larger (added details, JSON's
// base64 form of binary from a msgpack sender) or hold a value the
// receiver's serializer cannot carry (NaN for JSON). The receiver stays
// connected and the sender is told, with the spec's URIs.

// deliveryLimit is the routers' maximum message size in these tests: small,
// so a payload near it is cheap.
const deliveryLimit = 64 << 10

// startLimitedRouter serves realm1 over WebSocket with every serializer
// and a MaxMessageBytes of deliveryLimit; it returns the ws:// URL.
func startLimitedRouter(t *testing.T, b backend) (string, *transport.Stats) {
	t.Helper()
	stats := new(transport.Stats)
	return startWSRouter(t, b, transport.WebSocketConfig{
		Serializers:     []serialize.Serializer{serialize.JSON, serialize.MsgPack, serialize.CBOR},
		MaxMessageBytes: deliveryLimit, Stats: stats,
	}), stats
}

// startWSRouter serves realm1 of a new application on a backend of kind b
// over a WebSocket server configured by cfg; it returns the ws:// URL.
// Everything stops when the test ends.
func startWSRouter(t *testing.T, b backend, cfg transport.WebSocketConfig) string {
	t.Helper()
	as := b.New()
	app, err := core.New(core.Config{Backend: as, Realms: []core.RealmConfig{{URI: "realm1"}}})
	if err != nil {
		as.Close()
		t.Fatal(err)
	}
	ws, err := transport.NewWebSocketServer(cfg, app)
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
	return "ws" + strings.TrimPrefix(hs.URL, "http") + "/ws"
}

// eventSink collects the first argument of every event of a subscription.
type eventSink chan any

func (c eventSink) handle(e *client.Event) {
	var v any
	if len(e.Args) > 0 {
		v = e.Args[0]
	}
	c <- v
}

func (c eventSink) next(t *testing.T) any {
	t.Helper()
	return recvWithin(t, c, "an event")
}

func TestOversizeOrUnencodableDeliveryAnswersTheSender(t *testing.T) {
	// 50,000 bytes of binary: 50 KB in msgpack and CBOR, ~67 KB as JSON's
	// base64 string, over the 64 KiB limit of a JSON receiver.
	big := make([]byte, 50_000)
	forEachBackend(t, func(t *testing.T, b backend) {
		url, stats := startLimitedRouter(t, b)
		ctx := guardCtx(t)
		pub := dialVia(t, b, url, serialize.MsgPack)
		subs := map[string]eventSink{}
		for _, ser := range []serialize.Serializer{serialize.JSON, serialize.MsgPack, serialize.CBOR} {
			s := dialVia(t, b, url, ser)
			sink := make(eventSink, 16)
			if _, err := s.Subscribe(ctx, "com.big", sink.handle, nil); err != nil {
				t.Fatal(err)
			}
			subs[ser.Name()] = sink
		}
		ack := &client.PublishOptions{Acknowledge: true}

		t.Run("publication too large for one subscriber", func(t *testing.T) {
			err := pub.Publish(ctx, "com.big", wamp.List{big}, nil, ack)
			wantErrorURI(t, err, wamp.ErrPayloadSizeExceeded)
			for _, name := range []string{"msgpack", "cbor"} {
				if v, ok := subs[name].next(t).([]byte); !ok || len(v) != len(big) {
					t.Fatalf("%s subscriber got %T, want the %d bytes", name, v, len(big))
				}
			}
		})
		t.Run("value JSON cannot carry", func(t *testing.T) {
			err := pub.Publish(ctx, "com.big", wamp.List{math.NaN()}, nil, ack)
			wantErrorURI(t, err, wamp.ErrInvalidArgument)
			for _, name := range []string{"msgpack", "cbor"} {
				if v, ok := subs[name].next(t).(float64); !ok || !math.IsNaN(v) {
					t.Fatalf("%s subscriber got %v, want NaN", name, v)
				}
			}
		})
		t.Run("every subscriber is still served", func(t *testing.T) {
			// Unacknowledged: the JSON subscriber misses it, nobody is told.
			must(t, pub.Publish(ctx, "com.big", wamp.List{big}, nil, nil))
			must(t, pub.Publish(ctx, "com.big", wamp.List{"small"}, nil, ack))
			if v := subs["json"].next(t); v != "small" {
				t.Fatalf("json subscriber got %v, want the small event (and nothing before it)", v)
			}
			for _, name := range []string{"msgpack", "cbor"} {
				if _, ok := subs[name].next(t).([]byte); !ok {
					t.Fatalf("%s subscriber missed the unacknowledged large event", name)
				}
				if v := subs[name].next(t); v != "small" {
					t.Fatalf("%s subscriber got %v, want the small event", name, v)
				}
			}
		})

		callee := dialVia(t, b, url, serialize.JSON)
		_, err := callee.Register(ctx, "com.echo.len", func(_ context.Context, inv *client.Invocation) (*client.Result, error) {
			return &client.Result{Args: wamp.List{len(inv.Args)}}, nil
		}, nil)
		must(t, err)
		bigCallee := dialVia(t, b, url, serialize.MsgPack)
		_, err = bigCallee.Register(ctx, "com.big.result", func(context.Context, *client.Invocation) (*client.Result, error) {
			return &client.Result{Args: wamp.List{big}}, nil
		}, nil)
		must(t, err)
		_, err = bigCallee.Register(ctx, "com.big.error", func(context.Context, *client.Invocation) (*client.Result, error) {
			return nil, &client.Error{URI: "com.example.error.big", Args: wamp.List{big}}
		}, nil)
		must(t, err)
		jsonCaller := dialVia(t, b, url, serialize.JSON)

		t.Run("invocation too large for the callee", func(t *testing.T) {
			_, err := pub.Call(ctx, "com.echo.len", wamp.List{big}, nil, nil)
			wantErrorURI(t, err, wamp.ErrPayloadSizeExceeded)
			_, err = pub.Call(ctx, "com.echo.len", wamp.List{math.Inf(1)}, nil, nil)
			wantErrorURI(t, err, wamp.ErrInvalidArgument)
		})
		t.Run("result too large for the caller", func(t *testing.T) {
			_, err := jsonCaller.Call(ctx, "com.big.result", nil, nil, nil)
			wantErrorURI(t, err, wamp.ErrPayloadSizeExceeded)
		})
		t.Run("callee error too large for the caller", func(t *testing.T) {
			_, err := jsonCaller.Call(ctx, "com.big.error", nil, nil, nil)
			wantErrorURI(t, err, wamp.ErrPayloadSizeExceeded)
		})
		t.Run("callees and callers are still served", func(t *testing.T) {
			res, err := jsonCaller.Call(ctx, "com.echo.len", wamp.List{1, 2}, nil, nil)
			must(t, err)
			if n, _ := wamp.ToInt(res.Args[0]); n != 2 {
				t.Fatalf("result %v", res.Args)
			}
			res, err = pub.Call(ctx, "com.big.result", nil, nil, nil)
			must(t, err)
			if v, ok := res.Args[0].([]byte); !ok || len(v) != len(big) {
				t.Fatalf("msgpack caller got %T", res.Args[0])
			}
		})
		if got := stats.SlowConsumers.Load(); got != 0 {
			t.Errorf("SlowConsumers = %d, want 0", got)
		}
		if stats.EncodeErrors.Load() == 0 {
			t.Error("EncodeErrors = 0: nothing was refused")
		}
	})
}
