package client

import (
	"context"
	"errors"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/switchboard-wamp/switchboard/adapters/goroutine"
	"github.com/switchboard-wamp/switchboard/core"
	"github.com/switchboard-wamp/switchboard/core/serialize"
	"github.com/switchboard-wamp/switchboard/core/wamp"
	"github.com/switchboard-wamp/switchboard/transport"
)

// wsRouter serves a core.Application on a loopback WebSocket and returns
// its ws:// URL.
func wsRouter(t *testing.T) (string, Config) {
	b := goroutine.New(goroutine.Config{})
	app, err := core.New(core.Config{Backend: b, Realms: []core.RealmConfig{{URI: "realm1"}}})
	must(t, err)
	srv, err := transport.NewWebSocketServer(transport.WebSocketConfig{
		Serializers: []serialize.Serializer{serialize.JSON},
	}, app)
	must(t, err)
	hs := httptest.NewServer(srv)
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), guard)
		defer cancel()
		_ = app.Close(ctx)
		srv.Close()
		hs.Close()
		_ = b.Close()
	})
	return "ws" + strings.TrimPrefix(hs.URL, "http"), Config{Realm: "realm1", Backend: b}
}

func TestDialWebSocket(t *testing.T) {
	url, cfg := wsRouter(t)
	ctx := context.Background()
	callee, err := Dial(ctx, url, cfg)
	must(t, err)
	caller, err := Dial(ctx, url, cfg)
	must(t, err)
	_, err = callee.Register(ctx, "com.add", func(_ context.Context, inv *Invocation) (*Result, error) {
		a, _ := wamp.ToInt(inv.Args[0])
		b, _ := wamp.ToInt(inv.Args[1])
		return &Result{Args: wamp.List{a + b}}, nil
	}, nil)
	must(t, err)
	res, err := caller.Call(ctx, "com.add", wamp.List{20, 22}, nil, nil)
	must(t, err)
	if n, _ := wamp.ToInt(res.Args[0]); n != 42 {
		t.Fatalf("com.add = %v", res.Args)
	}
	must(t, caller.Leave(ctx, ""))
	must(t, callee.Leave(ctx, ""))
}

func TestDialErrors(t *testing.T) {
	url, cfg := wsRouter(t)
	ctx := context.Background()
	bad := cfg
	bad.Realm = "nowhere"
	_, err := Dial(ctx, url, bad)
	var ce *CloseError
	if !errors.As(err, &ce) || ce.Reason != wamp.ErrNoSuchRealm {
		t.Fatalf("unknown realm: %v", err)
	}
	noBackend := cfg
	noBackend.Backend = nil
	if _, err := Dial(ctx, url, noBackend); !errors.Is(err, ErrConfig) {
		t.Fatalf("nil backend: %v", err)
	}
	if _, err := Dial(ctx, "ws://127.0.0.1:1/nothing", cfg); err == nil {
		t.Fatal("dial to a closed port succeeded")
	}
}
