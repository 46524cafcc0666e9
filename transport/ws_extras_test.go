package transport

import (
	"errors"
	"net/http"
	"strings"
	"testing"

	"github.com/switchboard-wamp/switchboard/core/serialize"
	"github.com/switchboard-wamp/switchboard/core/wamp"
)

func TestWebSocketCompression(t *testing.T) {
	tests := []struct {
		name           string
		server, client bool
	}{
		{"both", true, true},
		{"client only", false, true},
		{"server only", true, false},
		{"neither", false, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			srv := startServer(t, WebSocketConfig{Compression: tc.server}, func(r *recorder) { r.onMessage = echo })
			client, cr := dialClient(t, srv.url, WebSocketClientConfig{Compression: tc.client})
			nextPeer(t, srv.accepted)
			ext := client.Info().Header.Get("Sec-WebSocket-Extensions")
			if on := strings.Contains(ext, "permessage-deflate"); on != (tc.server && tc.client) {
				t.Errorf("negotiated extensions %q", ext)
			}
			big := bigEvent(3, 64<<10) // repetitive: compresses well
			for range 3 {
				client.Send(big)
				client.Send(event(4))
				e, ok := cr.nextMsg(t).(*wamp.Event)
				if !ok || e.Publication != 3 || len(e.Args) != 1 || e.Args[0] != big.Args[0] {
					t.Fatal("large message not echoed intact")
				}
				if got := publicationOf(t, cr.nextMsg(t)); got != 4 {
					t.Fatalf("small echo %d", got)
				}
			}
		})
	}
}

func TestOriginPatterns(t *testing.T) {
	patterns := []string{"https://*.example.com", "https://example.com", "http://localhost:*", "null"}
	tests := []struct {
		origin string
		ok     bool
	}{
		{"https://app.example.com", true},
		{"https://a.b.example.com", true},
		{"HTTPS://App.Example.COM", true},
		{"https://example.com", true},
		{"http://localhost:8080", true},
		{"null", true},
		{"http://app.example.com", false},
		{"https://app.example.com:8443", false},
		{"https://example.com.evil.net", false},
		{"https://evilexample.com", false},
		{"https://evil.net/.example.com", false},
	}
	check := originChecker(patterns)
	for _, tc := range tests {
		r, _ := http.NewRequest("GET", "/", nil)
		r.Header.Set("Origin", tc.origin)
		if got := check(r); got != tc.ok {
			t.Errorf("%q: allowed %v, want %v", tc.origin, got, tc.ok)
		}
	}
	r, _ := http.NewRequest("GET", "/", nil)
	if !check(r) {
		t.Error("a request without Origin was refused")
	}
	if err := (WebSocketConfig{Serializers: []serialize.Serializer{codecJSON}, AllowedOrigins: []string{"https://[a"}}).Validate(); !errors.Is(err, ErrConfig) {
		t.Errorf("bad pattern: %v", err)
	}
}

func TestAllowedOriginsOverTheWire(t *testing.T) {
	srv := startServer(t, WebSocketConfig{AllowedOrigins: []string{"https://*.example.com"}}, nil)
	for origin, wantOK := range map[string]bool{"https://app.example.com": true, "https://evil.net": false} {
		hdr := http.Header{}
		hdr.Set("Origin", origin)
		_, _, err := tryDial(t, srv.url, WebSocketClientConfig{Header: hdr})
		if wantOK && err != nil {
			t.Errorf("%s: %v", origin, err)
		}
		if !wantOK && (!errors.Is(err, ErrHandshake) || !strings.Contains(err.Error(), "403")) {
			t.Errorf("%s: %v, want a 403 handshake error", origin, err)
		}
	}
	// CheckOrigin, when set, wins over AllowedOrigins.
	srv2 := startServer(t, WebSocketConfig{AllowedOrigins: []string{"https://nothing"},
		CheckOrigin: func(*http.Request) bool { return true }}, nil)
	hdr := http.Header{}
	hdr.Set("Origin", "https://evil.net")
	if _, _, err := tryDial(t, srv2.url, WebSocketClientConfig{Header: hdr}); err != nil {
		t.Errorf("CheckOrigin did not win: %v", err)
	}
}
