package transport

import (
	"bufio"
	"crypto/tls"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/switchboard-wamp/switchboard/core/serialize"
)

// muxSetup is a WebSocketServer and a RawSocketServer behind one Mux.
type muxSetup struct {
	addr      string
	clientTLS *tls.Config
	accepted  chan *recorder
	ws        *WebSocketServer
	rs        *RawSocketServer
	mux       *Mux
}

func startMux(t *testing.T, useTLS bool, cfg MuxConfig) *muxSetup {
	t.Helper()
	a, ch := acceptInto(t, func(r *recorder) { r.onMessage = echo })
	sers := []serialize.Serializer{codecJSON}
	ws, err := NewWebSocketServer(WebSocketConfig{Serializers: sers, Logger: quietLogger}, a)
	must(t, err)
	rs, err := NewRawSocketServer(RawSocketConfig{Serializers: sers, Logger: quietLogger}, a)
	must(t, err)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	must(t, err)
	s := &muxSetup{addr: ln.Addr().String(), accepted: ch, ws: ws, rs: rs}
	if useTLS {
		cert, pool := selfSigned(t)
		ln = tls.NewListener(ln, ServerTLSConfig(cert))
		s.clientTLS = &tls.Config{RootCAs: pool}
	}
	cfg.Logger = quietLogger
	s.mux = NewMux(ws, rs, cfg)
	done := make(chan error, 1)
	go func() { done <- s.mux.Serve(ln) }()
	t.Cleanup(func() {
		s.mux.Close()
		if err := <-done; err != ErrServerClosed {
			t.Errorf("Serve returned %v", err)
		}
		ws.Close()
		rs.Close()
	})
	return s
}

func TestMuxServesBothTransports(t *testing.T) {
	for _, useTLS := range []bool{false, true} {
		name := map[bool]string{false: "plain", true: "tls"}[useTLS]
		t.Run(name, func(t *testing.T) {
			s := startMux(t, useTLS, MuxConfig{})
			scheme := map[bool]string{false: "ws://", true: "wss://"}[useTLS]
			wsClient, wr := dialClient(t, scheme+s.addr+"/ws", WebSocketClientConfig{TLSConfig: s.clientTLS})
			wsPeer := nextPeer(t, s.accepted)
			rsClient, rr, err := tryDialRS(t, "tcp", s.addr, RawSocketClientConfig{TLSConfig: s.clientTLS})
			must(t, err)
			rsPeer := nextPeer(t, s.accepted)

			for i, c := range []struct {
				client Peer
				rec    *recorder
				server *recorder
				want   string
			}{{wsClient, wr, wsPeer, "websocket"}, {rsClient, rr, rsPeer, "rawsocket"}} {
				c.client.Send(event(10 + i))
				if got := publicationOf(t, c.rec.nextMsg(t)); got != 10+i {
					t.Fatalf("%s echo %d", c.want, got)
				}
				if si := c.server.peer.Info(); si.Transport != c.want || si.TLS != useTLS {
					t.Errorf("server Info %s TLS %v, want %s TLS %v", si.Transport, si.TLS, c.want, useTLS)
				}
			}
			// Plain HTTP reaches the handler too (which wants an upgrade).
			hc := &http.Client{Transport: &http.Transport{TLSClientConfig: s.clientTLS}}
			defer hc.CloseIdleConnections()
			httpScheme := map[bool]string{false: "http://", true: "https://"}[useTLS]
			resp, err := hc.Get(httpScheme + s.addr + "/ws")
			must(t, err)
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != http.StatusBadRequest || !strings.Contains(string(body), "WebSocket upgrade") {
				t.Errorf("HTTP GET: %s %q", resp.Status, body)
			}
		})
	}
}

func TestMuxBadConnectionsDoNotDisturbOthers(t *testing.T) {
	// The sniff timeout closes the silent connection; it is long enough
	// that the others' first octets arrive in time even on a loaded machine.
	s := startMux(t, false, MuxConfig{SniffTimeout: time.Second})
	client, cr, err := tryDialRS(t, "tcp", s.addr, RawSocketClientConfig{})
	must(t, err)
	nextPeer(t, s.accepted)

	silent := rsRawDial(t, s.addr) // never sends a first octet: dropped
	garbage := rsRawDial(t, s.addr)
	_, err = garbage.Write([]byte("\x00\x01 not http\r\n\r\n"))
	must(t, err)
	badRS := rsRawDial(t, s.addr)
	_, err = badRS.Write([]byte{0x7F, 0xF1, 9, 9}) // reserved octets: error 3
	must(t, err)

	silent.waitEOF(t)
	resp, err := http.ReadResponse(bufio.NewReader(garbage), nil)
	if err != nil || resp.StatusCode != http.StatusBadRequest {
		t.Errorf("garbage got %v %v, want HTTP 400", resp, err)
	}
	if resp != nil {
		resp.Body.Close()
	}
	reply := make([]byte, 4)
	if _, err := io.ReadFull(badRS.br, reply); err != nil || string(reply) != string([]byte{0x7F, 0x30, 0, 0}) {
		t.Errorf("bad rawsocket handshake reply % X, %v", reply, err)
	}
	client.Send(event(6))
	if got := publicationOf(t, cr.nextMsg(t)); got != 6 {
		t.Fatalf("echo %d", got)
	}
}

func TestMuxNilServersAndClose(t *testing.T) {
	m := NewMux(nil, nil, MuxConfig{Logger: quietLogger})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	must(t, err)
	done := make(chan error, 1)
	go func() { done <- m.Serve(ln) }()
	rs := rsRawDial(t, ln.Addr().String())
	_, err = rs.Write([]byte{0x7F, 0xF1, 0, 0})
	must(t, err)
	rs.waitEOF(t) // no RawSocketServer: closed
	resp, err := http.Get("http://" + ln.Addr().String() + "/")
	must(t, err)
	resp.Body.Close()
	if resp.StatusCode != http.StatusNotFound {
		t.Errorf("no handler: %s", resp.Status)
	}
	http.DefaultClient.CloseIdleConnections()
	m.Close()
	if err := <-done; err != ErrServerClosed {
		t.Errorf("Serve returned %v", err)
	}
	if err := m.Serve(ln); err != ErrServerClosed {
		t.Errorf("Serve after Close returned %v", err)
	}
}
