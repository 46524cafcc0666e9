// Package tests holds Switchboard's cross-package tests: every end-to-end
// scenario runs as subtests over the backend matrix (forEachBackend), against
// a real router on a loopback WebSocket.
package tests

import (
	"context"
	"errors"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/switchboard-wamp/switchboard/adapters/goroutine"
	"github.com/switchboard-wamp/switchboard/core"
	"github.com/switchboard-wamp/switchboard/core/serialize"
	"github.com/switchboard-wamp/switchboard/core/wamp"
	"github.com/switchboard-wamp/switchboard/scheduler"
	"github.com/switchboard-wamp/switchboard/transport"
)

// backend is one scheduling backend of the matrix.
type backend struct {
	name string
	new  func() scheduler.AsyncSupport
}

func backends() []backend {
	return []backend{
		{"goroutine", func() scheduler.AsyncSupport { return goroutine.New(goroutine.Config{}) }},
	}
}

// forEachBackend runs f as a subtest on every backend, checking for leaked
// goroutines after each.
func forEachBackend(t *testing.T, f func(t *testing.T, b backend)) {
	for _, b := range backends() {
		t.Run(b.name, func(t *testing.T) {
			// Registered first, so it runs after every other cleanup.
			ignore := goleak.IgnoreCurrent()
			t.Cleanup(func() { goleak.VerifyNone(t, ignore) })
			f(t, b)
		})
	}
}

// testRouter is a router serving realm "realm1" on a loopback WebSocket, with
// the application procedures the interop scenarios call.
type testRouter struct {
	backend scheduler.AsyncSupport
	app     *core.Application
	realm   *core.Realm
	url     string
}

func startRouter(t *testing.T, b backend) *testRouter {
	t.Helper()
	as := b.new()
	app, err := core.New(core.Config{Backend: as, Realms: []core.RealmConfig{{URI: "realm1"}}})
	if err != nil {
		t.Fatal(err)
	}
	ws, err := transport.NewWebSocketServer(transport.WebSocketConfig{
		Serializers: []serialize.Serializer{serialize.JSON},
	}, app)
	if err != nil {
		t.Fatal(err)
	}
	hs := httptest.NewServer(ws)
	realm, _ := app.Realm("realm1")
	tr := &testRouter{backend: as, app: app, realm: realm, url: "ws" + strings.TrimPrefix(hs.URL, "http") + "/ws"}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := app.Close(ctx); err != nil {
			t.Errorf("app.Close: %v", err)
		}
		ws.Close()
		hs.Close()
		if err := as.Close(); err != nil {
			t.Errorf("backend.Close: %v", err)
		}
	})
	registerGoProcedures(t, realm)
	return tr
}

// registerGoProcedures adds the application procedures every scenario (and
// the autobahn-js interop scripts) may call.
func registerGoProcedures(t *testing.T, realm *core.Realm) {
	t.Helper()
	ctx := context.Background()
	procs := map[wamp.URI]core.Handler{
		"com.example.go.add": func(_ context.Context, inv *core.Invocation) (*core.Result, error) {
			if len(inv.Args) != 2 {
				return nil, &core.Error{URI: wamp.ErrInvalidArgument, Args: wamp.List{"add takes two numbers"}}
			}
			a, okA := wamp.ToInt(inv.Args[0])
			b, okB := wamp.ToInt(inv.Args[1])
			if !okA || !okB {
				return nil, &core.Error{URI: wamp.ErrInvalidArgument, Args: wamp.List{"add takes two integers"}}
			}
			return &core.Result{Args: wamp.List{a + b}}, nil
		},
		"com.example.go.echo": func(_ context.Context, inv *core.Invocation) (*core.Result, error) {
			return &core.Result{Args: inv.Args, Kwargs: inv.Kwargs}, nil
		},
		"com.example.go.publish": func(ctx context.Context, inv *core.Invocation) (*core.Result, error) {
			if len(inv.Args) != 2 {
				return nil, &core.Error{URI: wamp.ErrInvalidArgument, Args: wamp.List{"publish takes [topic, value]"}}
			}
			topic, _ := inv.Args[0].(string)
			err := realm.Publish(ctx, wamp.URI(topic), wamp.List{inv.Args[1]}, nil, &core.PublishOptions{Acknowledge: true})
			return &core.Result{}, err
		},
		"com.example.go.fail": func(context.Context, *core.Invocation) (*core.Result, error) {
			return nil, errors.New("secret internal detail")
		},
		"com.example.go.panic": func(context.Context, *core.Invocation) (*core.Result, error) {
			panic("boom")
		},
	}
	for uri, h := range procs {
		if _, err := realm.Register(ctx, uri, h, nil); err != nil {
			t.Fatalf("register %s: %v", uri, err)
		}
	}
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

