package testrouter

import (
	"context"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/switchboard-wamp/switchboard/core"
	"github.com/switchboard-wamp/switchboard/core/serialize"
	"github.com/switchboard-wamp/switchboard/scheduler"
	"github.com/switchboard-wamp/switchboard/transport"
)

// Serve starts a router for the Application built from cfg on as (which it
// closes at cleanup; cfg.Backend is set to as), over a loopback WebSocket
// with wamp.2.json, and registers nothing: the test configures the
// application (realms, default realm, authenticators, hooks, topics) itself.
// Router.Realm is realm "realm1" when cfg has it, else nil. Everything
// stops at t's cleanup; Close waits for session close hooks.
func Serve(t testing.TB, as scheduler.AsyncSupport, cfg core.Config) *Router {
	t.Helper()
	cfg.Backend = as
	app, err := core.New(cfg)
	if err != nil {
		as.Close()
		t.Fatal(err)
	}
	ws, err := transport.NewWebSocketServer(transport.WebSocketConfig{
		Serializers: []serialize.Serializer{serialize.JSON},
	}, app)
	if err != nil {
		as.Close()
		t.Fatal(err)
	}
	hs := httptest.NewServer(ws)
	realm, _ := app.Realm("realm1")
	r := &Router{Backend: as, App: app, Realm: realm, URL: "ws" + strings.TrimPrefix(hs.URL, "http") + "/ws"}
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
	return r
}
