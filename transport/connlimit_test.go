package transport

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/switchboard-wamp/switchboard/core/serialize"
)

func TestConnLimiter(t *testing.T) {
	l := newConnLimiter(4, 2)
	var slots []*connSlot
	take := func(remote string, want limitRefusal) {
		t.Helper()
		s, got := l.acquire(remote)
		if got != want {
			t.Fatalf("acquire(%q) = %v, want %v", remote, got, want)
		}
		if got == limitNone {
			slots = append(slots, s)
		} else if s != nil {
			t.Fatalf("acquire(%q) refused with a slot", remote)
		}
	}
	take("10.0.0.1:1000", limitNone)
	take("[::ffff:10.0.0.1]:1001", limitNone) // the same IPv4 address
	take("10.0.0.1:1002", limitAddress)
	take("10.0.0.2:1000", limitNone)
	take("@", limitNone) // unix socket: counted in the total only
	take("", limitTotal)
	take("10.0.0.3:1000", limitTotal)
	if total, from := l.counts("10.0.0.1:9"); total != 4 || from != 2 {
		t.Fatalf("counts = %d, %d; want 4, 2", total, from)
	}
	slots[0].release()
	slots[0].release() // only the first release counts
	if total, from := l.counts("10.0.0.1:9"); total != 3 || from != 1 {
		t.Fatalf("after release: counts = %d, %d; want 3, 1", total, from)
	}
	take("10.0.0.1:1003", limitNone)
	for _, s := range slots {
		s.release()
	}
	(*connSlot)(nil).release() // a refused connection's nil slot
	if total, _ := l.counts(""); total != 0 || len(l.byAddr) != 0 {
		t.Fatalf("after releasing all: total %d, byAddr %v", total, l.byAddr)
	}
	// Zero limits only count.
	u := newConnLimiter(0, 0)
	for range 100 {
		if _, r := u.acquire("10.0.0.1:1"); r != limitNone {
			t.Fatal("unlimited limiter refused")
		}
	}
}

func TestConnLimitsValidate(t *testing.T) {
	for _, cfg := range []WebSocketConfig{{MaxConnections: -1}, {MaxConnectionsPerAddress: -1}} {
		cfg.Serializers = append(cfg.Serializers, codecJSON)
		if err := cfg.Validate(); !errors.Is(err, ErrConfig) {
			t.Errorf("WebSocketConfig %+v: %v, want ErrConfig", cfg, err)
		}
	}
	cfg := RawSocketConfig{Serializers: []serialize.Serializer{codecJSON}, MaxConnectionsPerAddress: -1}
	if err := cfg.Validate(); !errors.Is(err, ErrConfig) {
		t.Errorf("RawSocketConfig: %v, want ErrConfig", err)
	}
}

// loopbackDialer dials from local (an IP of 127.0.0.0/8; Linux, where CI
// runs, serves the whole range on lo, so failing to bind it is a failure,
// not a reason to skip).
func loopbackDialer(t *testing.T, local string) *net.Dialer {
	t.Helper()
	d := &net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(local)}, Timeout: waitFor}
	ln, err := net.Listen("tcp", local+":0")
	if err != nil {
		t.Fatalf("cannot bind %s: %v", local, err)
	}
	ln.Close()
	return d
}

// wsUpgrade sends a WebSocket upgrade for wamp.2.json to addr from d and
// returns the response status, its body when not 101, and the connection
// (closed by the test's cleanup).
func wsUpgrade(t *testing.T, d *net.Dialer, addr string) (int, string, net.Conn) {
	t.Helper()
	c, err := d.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	_ = c.SetDeadline(time.Now().Add(waitFor))
	fmt.Fprintf(c, "GET /ws HTTP/1.1\r\nHost: %s\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"+
		"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n"+
		"Sec-WebSocket-Protocol: %s\r\n\r\n", addr, codecJSON.SubProtocol())
	resp, err := http.ReadResponse(bufio.NewReader(c), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var body []byte
	if resp.StatusCode != http.StatusSwitchingProtocols {
		body, _ = io.ReadAll(resp.Body)
	}
	_ = c.SetDeadline(time.Time{})
	return resp.StatusCode, string(body), c
}

func TestWebSocketMaxConnections(t *testing.T) {
	srv := startServer(t, WebSocketConfig{MaxConnections: 2}, nil)
	d := &net.Dialer{Timeout: waitFor}
	first, _ := dialClient(t, srv.url, WebSocketClientConfig{})
	nextPeer(t, srv.accepted)
	if code, _, _ := wsUpgrade(t, d, srv.addr); code != http.StatusSwitchingProtocols {
		t.Fatalf("second connection: %d, want 101", code)
	}
	nextPeer(t, srv.accepted)
	code, body, _ := wsUpgrade(t, d, srv.addr)
	if code != http.StatusServiceUnavailable || !strings.Contains(body, "connection limit reached") {
		t.Fatalf("third connection: %d %q, want 503 naming the connection limit", code, body)
	}
	if _, _, err := tryDial(t, srv.url, WebSocketClientConfig{}); err == nil {
		t.Fatal("DialWebSocket over the limit succeeded")
	}
	if got := srv.stats.LimitRefusals.Load(); got != 2 {
		t.Errorf("LimitRefusals = %d, want 2", got)
	}
	if got := srv.stats.Rejected.Load(); got != 2 {
		t.Errorf("Rejected = %d, want 2", got)
	}
	// Closing one frees its slot.
	first.Close()
	eventually(t, "the slot to be released", func() bool { n, _ := srv.limits.counts(""); return n == 1 })
	dialClient(t, srv.url, WebSocketClientConfig{})
	nextPeer(t, srv.accepted)
}

func TestWebSocketMaxConnectionsPerAddress(t *testing.T) {
	srv := startServer(t, WebSocketConfig{MaxConnectionsPerAddress: 1}, nil)
	a, b := loopbackDialer(t, "127.0.0.1"), loopbackDialer(t, "127.0.0.2")
	code, _, c1 := wsUpgrade(t, a, srv.addr)
	if code != http.StatusSwitchingProtocols {
		t.Fatalf("first from 127.0.0.1: %d, want 101", code)
	}
	nextPeer(t, srv.accepted)
	code, body, _ := wsUpgrade(t, a, srv.addr)
	if code != http.StatusTooManyRequests || !strings.Contains(body, "too many connections from your address") {
		t.Fatalf("second from 127.0.0.1: %d %q, want 429", code, body)
	}
	if code, _, _ := wsUpgrade(t, b, srv.addr); code != http.StatusSwitchingProtocols {
		t.Fatalf("first from 127.0.0.2: %d, want 101", code)
	}
	nextPeer(t, srv.accepted)
	if got := srv.stats.LimitRefusals.Load(); got != 1 {
		t.Errorf("LimitRefusals = %d, want 1", got)
	}
	c1.Close()
	eventually(t, "127.0.0.1's slot to be released", func() bool {
		_, n := srv.limits.counts("127.0.0.1:1")
		return n == 0
	})
	if code, _, _ := wsUpgrade(t, a, srv.addr); code != http.StatusSwitchingProtocols {
		t.Fatalf("127.0.0.1 after closing: %d, want 101", code)
	}
	nextPeer(t, srv.accepted)
}

// rsHelloFrom dials addr from d, sends a json hello and returns the reply's
// error (a *RawSocketHandshakeError for a refusal) and the connection.
func rsHelloFrom(t *testing.T, d *net.Dialer, addr string) (net.Conn, error) {
	t.Helper()
	c, err := d.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	_ = c.SetDeadline(time.Now().Add(waitFor))
	hello := rsHello(codecJSON.RawSocketID(), 0xF)
	if _, err := c.Write(hello[:]); err != nil {
		t.Fatal(err)
	}
	var reply [4]byte
	if _, err := io.ReadFull(c, reply[:]); err != nil {
		t.Fatal(err)
	}
	_ = c.SetDeadline(time.Time{})
	_, err = parseRawSocketReply(reply, codecJSON.RawSocketID())
	return c, err
}

func wantError4(t *testing.T, what string, err error) {
	t.Helper()
	var he *RawSocketHandshakeError
	if !errors.As(err, &he) || he.Code != RawSocketErrorMaxConnections {
		t.Fatalf("%s: %v, want handshake error 4", what, err)
	}
}

// TestRawSocketMaxConnectionsCountsHandshakes: a connection still in the
// handshake holds a slot, so a flood of silent connections cannot get
// past MaxConnections.
func TestRawSocketMaxConnectionsCountsHandshakes(t *testing.T) {
	srv := startRS(t, RawSocketConfig{MaxConnections: 2}, nil, nil)
	d := &net.Dialer{Timeout: waitFor}
	silent, err := d.Dial("tcp", srv.addr)
	if err != nil {
		t.Fatal(err)
	}
	defer silent.Close()
	eventually(t, "the silent connection to take a slot", func() bool { n, _ := srv.limits.counts(""); return n == 1 })
	if _, err := rsHelloFrom(t, d, srv.addr); err != nil {
		t.Fatalf("second connection: %v", err)
	}
	nextPeer(t, srv.accepted)
	_, err = rsHelloFrom(t, d, srv.addr)
	wantError4(t, "third connection", err)
	if got := srv.stats.LimitRefusals.Load(); got != 1 {
		t.Errorf("LimitRefusals = %d, want 1", got)
	}
	silent.Close()
	eventually(t, "the silent connection's slot to be released", func() bool { n, _ := srv.limits.counts(""); return n == 1 })
	if _, err := rsHelloFrom(t, d, srv.addr); err != nil {
		t.Fatalf("after the silent one left: %v", err)
	}
	nextPeer(t, srv.accepted)
}

func TestRawSocketMaxConnectionsPerAddress(t *testing.T) {
	srv := startRS(t, RawSocketConfig{MaxConnectionsPerAddress: 2}, nil, nil)
	a, b := loopbackDialer(t, "127.0.0.1"), loopbackDialer(t, "127.0.0.2")
	c1, err := rsHelloFrom(t, a, srv.addr)
	if err != nil {
		t.Fatal(err)
	}
	sr1 := nextPeer(t, srv.accepted)
	if _, err := rsHelloFrom(t, a, srv.addr); err != nil {
		t.Fatal(err)
	}
	nextPeer(t, srv.accepted)
	_, err = rsHelloFrom(t, a, srv.addr)
	wantError4(t, "third from 127.0.0.1", err)
	for range 2 {
		if _, err := rsHelloFrom(t, b, srv.addr); err != nil {
			t.Fatalf("from 127.0.0.2: %v", err)
		}
		nextPeer(t, srv.accepted)
	}
	if got := srv.stats.LimitRefusals.Load(); got != 1 {
		t.Errorf("LimitRefusals = %d, want 1", got)
	}
	c1.Close()
	sr1.waitClosed(t)
	eventually(t, "127.0.0.1's slot to be released", func() bool {
		_, n := srv.limits.counts("127.0.0.1:1")
		return n == 1
	})
	if _, err := rsHelloFrom(t, a, srv.addr); err != nil {
		t.Fatalf("127.0.0.1 after closing one: %v", err)
	}
	nextPeer(t, srv.accepted)
}
