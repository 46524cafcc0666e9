package testrouter

import (
	"context"
	"net"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/switchboard-wamp/switchboard/core"
	"github.com/switchboard-wamp/switchboard/core/serialize"
	"github.com/switchboard-wamp/switchboard/scheduler"
	"github.com/switchboard-wamp/switchboard/transport"
)

// Router is a running test router.
type Router struct {
	Backend scheduler.AsyncSupport
	App     *core.Application
	// Realm is realm "realm1" when the Application has it, else nil.
	Realm *core.Realm
	// URL is the WebSocket URL, ws://127.0.0.1:port/ws, offering
	// wamp.2.json, wamp.2.msgpack and wamp.2.cbor (in that preference).
	URL string
	// RawURL is RawSocket over TCP, rs://127.0.0.1:port (any serializer).
	RawURL string
	// UnixURL is RawSocket over a Unix socket, rs+unix:///path.
	UnixURL string
}

// Transport is one way a test client reaches the router.
type Transport struct {
	Name string
	URL  func(*Router) string
}

// Transports lists every transport a test router serves.
func Transports() []Transport {
	return []Transport{
		{"websocket", func(r *Router) string { return r.URL }},
		{"rawsocket", func(r *Router) string { return r.RawURL }},
		{"unix", func(r *Router) string { return r.UnixURL }},
	}
}

// Serializers lists every serializer a test router speaks.
func Serializers() []serialize.Serializer {
	return []serialize.Serializer{serialize.JSON, serialize.MsgPack, serialize.CBOR}
}

// Serve starts a router for the Application built from cfg on as (which it
// closes at cleanup; cfg.Backend is set to as) on every transport:
// WebSocket over loopback TCP, RawSocket over loopback TCP and RawSocket
// over a Unix socket, each with every serializer. It registers nothing: the
// test configures the application itself. Everything stops at t's cleanup;
// Close waits for session close hooks.
func Serve(t testing.TB, as scheduler.AsyncSupport, cfg core.Config) *Router {
	t.Helper()
	cfg.Backend = as
	app, err := core.New(cfg)
	if err != nil {
		as.Close()
		t.Fatal(err)
	}
	fail := func(err error) {
		app.Close(context.Background())
		as.Close()
		t.Fatal(err)
	}
	ws, err := transport.NewWebSocketServer(transport.WebSocketConfig{Serializers: Serializers()}, app)
	if err != nil {
		fail(err)
	}
	rs, err := transport.NewRawSocketServer(transport.RawSocketConfig{Serializers: Serializers()}, app)
	if err != nil {
		fail(err)
	}
	tcp, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		fail(err)
	}
	sock := filepath.Join(t.TempDir(), "wamp.sock")
	unix, err := net.Listen("unix", sock)
	if err != nil {
		fail(err)
	}
	served := make(chan error, 2)
	go func() { served <- rs.Serve(tcp) }()
	go func() { served <- rs.Serve(unix) }()
	hs := httptest.NewServer(ws)
	realm, _ := app.Realm("realm1")
	r := &Router{
		Backend: as, App: app, Realm: realm,
		URL:     "ws" + strings.TrimPrefix(hs.URL, "http") + "/ws",
		RawURL:  "rs://" + tcp.Addr().String(),
		UnixURL: "rs+unix://" + sock,
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := app.Close(ctx); err != nil {
			t.Errorf("app.Close: %v", err)
		}
		ws.Close()
		hs.Close()
		rs.Close()
		<-served
		<-served
		if err := as.Close(); err != nil {
			t.Errorf("backend.Close: %v", err)
		}
	})
	return r
}
