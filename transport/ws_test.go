package transport

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/switchboard-wamp/switchboard/core/serialize"
	"github.com/switchboard-wamp/switchboard/core/wamp"
)

func TestWebSocketRoundTrip(t *testing.T) {
	srv := startServer(t, WebSocketConfig{}, func(r *recorder) { r.onMessage = echo })
	client, cr := dialClient(t, srv.url+"?x=1", WebSocketClientConfig{})
	sr := nextPeer(t, srv.accepted)

	const n = 200
	for i := 1; i <= n; i++ {
		if !client.Send(event(i)) {
			t.Fatalf("Send %d failed", i)
		}
	}
	for i := 1; i <= n; i++ { // echoed back in order
		if got := publicationOf(t, cr.nextMsg(t)); got != i {
			t.Fatalf("message %d: got publication %d", i, got)
		}
	}
	si, ci := sr.peer.Info(), client.Info()
	checks := []struct {
		name      string
		got, want any
	}{
		{"server transport", si.Transport, "websocket"},
		{"server serializer", si.Serializer, "json"},
		{"server path", si.Path, "/ws"},
		{"server query", si.Query, "x=1"},
		{"server TLS", si.TLS, false},
		{"server protocol header", si.Header.Get(hdrProtocol), "wamp.2.json"},
		{"client serializer", ci.Serializer, "json"},
		{"client path", ci.Path, "/ws"},
		{"client peer addr", ci.PeerAddr, srv.addr},
		{"accepted", srv.stats.Accepted.Load(), int64(1)},
	}
	for _, c := range checks {
		if c.got != c.want {
			t.Errorf("%s = %v, want %v", c.name, c.got, c.want)
		}
	}
	if si.PeerAddr == "" {
		t.Error("server Info.PeerAddr is empty")
	}
}

// TestWebSocketRoundTripRealJSON runs the transport with the package's real
// wamp.2.json serializer rather than the test codec.
func TestWebSocketRoundTripRealJSON(t *testing.T) {
	json := []serialize.Serializer{serialize.JSON}
	srv := startServer(t, WebSocketConfig{Serializers: json}, func(r *recorder) { r.onMessage = echo })
	client, cr := dialClient(t, srv.url, WebSocketClientConfig{Serializers: json})
	nextPeer(t, srv.accepted)
	call := &wamp.Call{Request: 7, Options: wamp.Dict{}, Procedure: "com.example.add",
		Args: wamp.List{int64(1), "two"}, Kwargs: wamp.Dict{"k": "v"}}
	client.Send(call)
	got, ok := cr.nextMsg(t).(*wamp.Call)
	if !ok || got.Request != 7 || got.Procedure != "com.example.add" || len(got.Args) != 2 ||
		got.Args[0] != int64(1) || got.Args[1] != "two" || got.Kwargs["k"] != "v" {
		t.Fatalf("echoed %#v", got)
	}
}

func TestWebSocketCookiesInInfo(t *testing.T) {
	srv := startServer(t, WebSocketConfig{}, nil)
	hdr := http.Header{}
	hdr.Set("Cookie", "cbtid=abc")
	dialClient(t, srv.url, WebSocketClientConfig{Header: hdr})
	sr := nextPeer(t, srv.accepted)
	cs := sr.peer.Info().Cookies
	if len(cs) != 1 || cs[0].Name != "cbtid" || cs[0].Value != "abc" {
		t.Fatalf("cookies = %v", cs)
	}
}

func TestWebSocketSubprotocolNegotiation(t *testing.T) {
	tests := []struct {
		name    string
		server  []serialize.Serializer
		client  []serialize.Serializer
		want    string // serializer name; "" = dial must fail
		wantErr error
	}{
		{"server preference wins", []serialize.Serializer{codecMsgpack, codecJSON},
			[]serialize.Serializer{codecJSON, codecMsgpack}, "msgpack", nil},
		{"server preference wins, other order", []serialize.Serializer{codecJSON, codecMsgpack},
			[]serialize.Serializer{codecMsgpack, codecJSON}, "json", nil},
		{"only overlap", []serialize.Serializer{codecCBOR, codecMsgpack, codecJSON},
			[]serialize.Serializer{codecJSON}, "json", nil},
		{"no overlap", []serialize.Serializer{codecJSON},
			[]serialize.Serializer{codecCBOR}, "", ErrHandshake},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			srv := startServer(t, WebSocketConfig{Serializers: tc.server}, func(r *recorder) { r.onMessage = echo })
			client, cr, err := tryDial(t, srv.url, WebSocketClientConfig{Serializers: tc.client})
			if tc.want == "" {
				if !errors.Is(err, tc.wantErr) || !strings.Contains(err.Error(), "wamp.2.json") {
					t.Fatalf("dial error = %v, want %v naming the supported subprotocols", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			sr := nextPeer(t, srv.accepted)
			if got := client.Info().Serializer; got != tc.want {
				t.Errorf("client serializer = %q, want %q", got, tc.want)
			}
			if got := sr.peer.Info().Serializer; got != tc.want {
				t.Errorf("server serializer = %q, want %q", got, tc.want)
			}
			client.Send(event(7)) // the negotiated codec works both ways
			if got := publicationOf(t, cr.nextMsg(t)); got != 7 {
				t.Errorf("echo publication = %d", got)
			}
		})
	}
}

func TestWebSocketHandshakeRejections(t *testing.T) {
	tests := []struct {
		name     string
		header   map[string]string
		origin   bool // CheckOrigin result
		status   int
		bodyPart string
	}{
		{"no subprotocol offered", map[string]string{}, true, 400, "supports: wamp.2.json"},
		{"unknown subprotocol", map[string]string{hdrProtocol: "wamp.2.ubjson"}, true, 400, "supports: wamp.2.json"},
		{"not an upgrade", map[string]string{"Upgrade": "", hdrProtocol: "wamp.2.json"}, true, 400, "WebSocket upgrade"},
		{"origin refused", map[string]string{hdrProtocol: "wamp.2.json"}, false, 403, "origin"},
		{"multi-line offer accepted", map[string]string{hdrProtocol: "wamp.2.cbor"}, true, 101, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			srv := startServer(t, WebSocketConfig{CheckOrigin: func(*http.Request) bool { return tc.origin }}, nil)
			req, _ := http.NewRequest("GET", "http://"+srv.addr+"/ws", nil)
			req.Header.Set("Upgrade", "websocket")
			req.Header.Set("Connection", "Upgrade")
			req.Header.Set("Sec-WebSocket-Key", "dGhlIHNhbXBsZSBub25jZQ==")
			req.Header.Set("Sec-WebSocket-Version", "13")
			for k, v := range tc.header {
				req.Header.Set(k, v)
			}
			if tc.status == 101 { // the match is on a second header line
				req.Header.Add(hdrProtocol, "wamp.2.json")
			}
			resp, err := http.DefaultTransport.RoundTrip(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			var body []byte
			if resp.StatusCode != http.StatusSwitchingProtocols { // else Body is the socket
				body, _ = io.ReadAll(io.LimitReader(resp.Body, 1024))
			}
			if resp.StatusCode != tc.status || !strings.Contains(string(body), tc.bodyPart) {
				t.Fatalf("got %d %q, want %d containing %q", resp.StatusCode, body, tc.status, tc.bodyPart)
			}
			if tc.status == 101 {
				if got := resp.Header.Get(hdrProtocol); got != "wamp.2.json" {
					t.Fatalf("selected %q", got)
				}
				nextPeer(t, srv.accepted)
			} else if srv.stats.Rejected.Load() != 1 {
				t.Fatalf("Rejected = %d", srv.stats.Rejected.Load())
			}
		})
	}
}

func TestWebSocketNeedsHijackableHTTP1(t *testing.T) {
	srv := startServer(t, WebSocketConfig{}, nil)
	req := httptest.NewRequest("GET", "/ws", nil)
	req.Header.Set("Upgrade", "websocket")
	req.Header.Set(hdrProtocol, "wamp.2.json")
	rec := httptest.NewRecorder() // not an http.Hijacker
	srv.ServeHTTP(rec, req)
	if rec.Code != http.StatusHTTPVersionNotSupported || !strings.Contains(rec.Body.String(), "hijack") {
		t.Fatalf("got %d %q", rec.Code, rec.Body.String())
	}
}

func TestWebSocketConfigValidate(t *testing.T) {
	ok := []serialize.Serializer{codecJSON}
	tests := []struct {
		name string
		cfg  WebSocketConfig
		ok   bool
	}{
		{"minimal", WebSocketConfig{Serializers: ok}, true},
		{"no serializers", WebSocketConfig{}, false},
		{"nil serializer", WebSocketConfig{Serializers: []serialize.Serializer{nil}}, false},
		{"duplicate subprotocol", WebSocketConfig{Serializers: []serialize.Serializer{codecJSON, codecJSON}}, false},
		{"negative max bytes", WebSocketConfig{Serializers: ok, MaxMessageBytes: -1}, false},
		{"negative queue", WebSocketConfig{Serializers: ok, OutboundQueueMax: -1}, false},
		{"negative pong timeout", WebSocketConfig{Serializers: ok, PongTimeout: -1}, false},
		{"negative write timeout", WebSocketConfig{Serializers: ok, WriteTimeout: -1}, false},
		{"negative read buffer", WebSocketConfig{Serializers: ok, ReadBufferBytes: -1}, false},
		{"negative ping disables keepalive", WebSocketConfig{Serializers: ok, PingInterval: -1}, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.cfg.Validate()
			if (err == nil) != tc.ok || (err != nil && !errors.Is(err, ErrConfig)) {
				t.Fatalf("Validate() = %v, want ok=%v", err, tc.ok)
			}
			_, err = NewWebSocketServer(tc.cfg, AcceptorFunc(func(Peer) Handler { return nil }))
			if (err == nil) != tc.ok {
				t.Fatalf("NewWebSocketServer() = %v, want ok=%v", err, tc.ok)
			}
		})
	}
	if _, err := NewWebSocketServer(WebSocketConfig{Serializers: ok}, nil); !errors.Is(err, ErrConfig) {
		t.Errorf("nil acceptor: %v", err)
	}
}

func TestDialWebSocketBadURL(t *testing.T) {
	tests := []struct {
		url  string
		want error
	}{
		{"http://127.0.0.1:1/", ErrUnsupportedScheme},
		{"ws+unix://", nil},
		{"ws:///nohost", nil},
	}
	for _, tc := range tests {
		t.Run(tc.url, func(t *testing.T) {
			_, err := DialWebSocket(context.Background(), tc.url,
				WebSocketClientConfig{Serializers: []serialize.Serializer{codecJSON}}, AcceptorFunc(func(Peer) Handler { return nil }))
			if err == nil || (tc.want != nil && !errors.Is(err, tc.want)) {
				t.Fatalf("err = %v, want %v", err, tc.want)
			}
		})
	}
}

func TestDialWebSocketContextBoundsHandshake(t *testing.T) {
	// A listener that accepts TCP but never answers the upgrade request.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	accepted := make(chan net.Conn, 1)
	go func() {
		if c, err := ln.Accept(); err == nil {
			accepted <- c
		}
	}()
	ctx, cancel := context.WithCancel(context.Background())
	errc := make(chan error, 1)
	go func() {
		_, err := DialWebSocket(ctx, "ws://"+ln.Addr().String()+"/", WebSocketClientConfig{
			Serializers: []serialize.Serializer{codecJSON}, Logger: quietLogger,
		}, AcceptorFunc(func(Peer) Handler { return nil }))
		errc <- err
	}()
	c := <-accepted // the dial is done; the handshake is waiting for a response
	defer c.Close()
	cancel()
	if err := <-errc; !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want context.Canceled", err)
	}
}
