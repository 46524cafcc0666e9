package main

import (
	"context"
	"errors"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/switchboard-wamp/switchboard/core/serialize"
	"github.com/switchboard-wamp/switchboard/core/wamp"
	"github.com/switchboard-wamp/switchboard/transport"
)

// A listener's max_connections reaches its transport servers: with a cap
// of 1, a second WebSocket connection is refused while the first is open
// (HTTP 503), and a second RawSocket one gets handshake error 4.
func TestListenerConnectionCaps(t *testing.T) {
	c := Config{
		Realms: []RealmConfig{{URI: "realm1"}},
		Listeners: []ListenerConfig{
			{Type: "websocket", Address: "127.0.0.1:0", MaxConnections: 1},
			{Type: "rawsocket", Address: "127.0.0.1:0", MaxConnectionsPerAddress: 1},
		},
	}.withDefaults()
	if err := c.Validate(); err != nil {
		t.Fatal(err)
	}
	srv, err := start(c, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Shutdown(5 * time.Second)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	nop := transport.AcceptorFunc(func(transport.Peer) transport.Handler { return nopHandler{} })

	wsURL := srv.URLs()[0]
	wsCfg := transport.WebSocketClientConfig{Serializers: []serialize.Serializer{serialize.JSON}}
	p1, err := transport.DialWebSocket(ctx, wsURL, wsCfg, nop)
	if err != nil {
		t.Fatal(err)
	}
	defer p1.Close()
	if _, err := transport.DialWebSocket(ctx, wsURL, wsCfg, nop); err == nil || !strings.Contains(err.Error(), "503") {
		t.Fatalf("second WebSocket connection: %v, want a 503 refusal", err)
	}

	rsAddr := strings.TrimPrefix(srv.URLs()[1], "rs://")
	rsCfg := transport.RawSocketClientConfig{Serializer: serialize.JSON}
	r1, err := transport.DialRawSocket(ctx, "tcp", rsAddr, rsCfg, nop)
	if err != nil {
		t.Fatal(err)
	}
	defer r1.Close()
	_, err = transport.DialRawSocket(ctx, "tcp", rsAddr, rsCfg, nop)
	var he *transport.RawSocketHandshakeError
	if !errors.As(err, &he) || he.Code != transport.RawSocketErrorMaxConnections {
		t.Fatalf("second RawSocket connection from 127.0.0.1: %v, want error 4", err)
	}
}

type nopHandler struct{}

func (nopHandler) Message(wamp.Message) {}
func (nopHandler) Malformed(error)      {}
func (nopHandler) Closed(error)         {}
