package transport

import (
	"bufio"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/switchboard-wamp/switchboard/core/serialize"
	"github.com/switchboard-wamp/switchboard/core/wamp"
	"github.com/switchboard-wamp/switchboard/internal/testwait"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// waitFor is the failure guard of every wait in these tests: generous, it
// only bounds a broken test, it never measures speed.
const waitFor = 60 * time.Second

var quietLogger = slog.New(slog.DiscardHandler)

// recorder is a Handler that records what it is given.
type recorder struct {
	t         testing.TB
	peer      Peer
	msgs      chan wamp.Message
	malformed chan error
	refused   chan refusal
	closed    chan error
	closedN   atomic.Int32
	onMessage func(r *recorder, m wamp.Message) // optional, e.g. echo
}

func newRecorder(t testing.TB, p Peer) *recorder {
	return &recorder{t: t, peer: p, msgs: make(chan wamp.Message, 4096),
		malformed: make(chan error, 16), refused: make(chan refusal, 16), closed: make(chan error, 2)}
}

// refusal is one Refused call.
type refusal struct {
	msg wamp.Message
	err error
}

func (r *recorder) Refused(m wamp.Message, err error) { r.refused <- refusal{m, err} }

// nextRefusal waits for the next Refused call.
func (r *recorder) nextRefusal(t *testing.T) refusal {
	t.Helper()
	select {
	case rf := <-r.refused:
		return rf
	case <-time.After(waitFor):
		t.Fatal("Refused was not called")
	}
	return refusal{}
}

func (r *recorder) Message(m wamp.Message) {
	if r.onMessage != nil {
		r.onMessage(r, m)
		return
	}
	select {
	case r.msgs <- m:
	default:
		r.t.Errorf("recorder: message buffer full")
	}
}

func (r *recorder) Malformed(err error) { r.malformed <- err }

func (r *recorder) Closed(cause error) {
	if n := r.closedN.Add(1); n > 1 {
		r.t.Errorf("Closed called %d times (cause %v)", n, cause)
		return
	}
	r.closed <- cause
}

func (r *recorder) nextMsg(t *testing.T) wamp.Message {
	t.Helper()
	select {
	case m := <-r.msgs:
		return m
	case <-time.After(waitFor):
		t.Fatal("no message")
		return nil
	}
}

func (r *recorder) waitClosed(t *testing.T) error {
	t.Helper()
	select {
	case err := <-r.closed:
		return err
	case <-time.After(waitFor):
		t.Fatal("Closed was not called")
		return nil
	}
}

// acceptInto returns an Acceptor that makes recorders, configures them with
// setup (may be nil) and publishes them on the returned channel.
func acceptInto(t testing.TB, setup func(*recorder)) (Acceptor, chan *recorder) {
	ch := make(chan *recorder, 64)
	return AcceptorFunc(func(p Peer) Handler {
		r := newRecorder(t, p)
		if setup != nil {
			setup(r)
		}
		ch <- r
		return r
	}), ch
}

func nextPeer(t testing.TB, ch chan *recorder) *recorder {
	t.Helper()
	select {
	case r := <-ch:
		return r
	case <-time.After(waitFor):
		t.Fatal("no connection accepted")
		return nil
	}
}

func echo(r *recorder, m wamp.Message) { r.peer.Send(m) }

// testServer is a WebSocketServer on an httptest server at 127.0.0.1:0.
type testServer struct {
	*WebSocketServer
	url      string
	addr     string
	stats    *Stats
	accepted chan *recorder
}

func startServer(t *testing.T, cfg WebSocketConfig, setup func(*recorder)) *testServer {
	t.Helper()
	a, ch := acceptInto(t, setup)
	ts := startServerWith(t, cfg, a)
	ts.accepted = ch
	return ts
}

func startServerWith(t *testing.T, cfg WebSocketConfig, a Acceptor) *testServer {
	t.Helper()
	if cfg.Serializers == nil {
		cfg.Serializers = []serialize.Serializer{codecJSON}
	}
	if cfg.Logger == nil {
		cfg.Logger = quietLogger
	}
	if cfg.Stats == nil {
		cfg.Stats = new(Stats)
	}
	srv, err := NewWebSocketServer(cfg, a)
	if err != nil {
		t.Fatal(err)
	}
	hs := httptest.NewServer(srv)
	t.Cleanup(func() { srv.Close(); hs.Close() })
	return &testServer{WebSocketServer: srv, url: "ws" + strings.TrimPrefix(hs.URL, "http") + "/ws",
		addr: hs.Listener.Addr().String(), stats: cfg.Stats}
}

// dialClient dials url and returns the client peer and its recorder.
func dialClient(t *testing.T, url string, cfg WebSocketClientConfig) (Peer, *recorder) {
	t.Helper()
	p, r, err := tryDial(t, url, cfg)
	if err != nil {
		t.Fatal(err)
	}
	return p, r
}

func tryDial(t *testing.T, url string, cfg WebSocketClientConfig) (Peer, *recorder, error) {
	if cfg.Serializers == nil {
		cfg.Serializers = []serialize.Serializer{codecJSON}
	}
	if cfg.Logger == nil {
		cfg.Logger = quietLogger
	}
	a, ch := acceptInto(t, nil)
	ctx, cancel := context.WithTimeout(context.Background(), waitFor)
	defer cancel()
	p, err := DialWebSocket(ctx, url, cfg, a)
	if err != nil {
		return nil, nil, err
	}
	t.Cleanup(p.Close)
	return p, nextPeer(t, ch), nil
}

func event(n int) *wamp.Event {
	return &wamp.Event{Subscription: 1, Publication: wamp.ID(n), Args: wamp.List{"hello", float64(n)}}
}

func publicationOf(t *testing.T, m wamp.Message) int {
	t.Helper()
	e, ok := m.(*wamp.Event)
	if !ok {
		t.Fatalf("got %T, want *wamp.Event", m)
	}
	return int(e.Publication)
}

// rawConn is a hand-made WebSocket client for misbehaving peers: it does the
// upgrade and then reads and writes frames only when told to.
type rawConn struct {
	net.Conn
	br *bufio.Reader
}

// rawDial upgrades with the given Sec-WebSocket-Protocol offer.
func rawDial(t *testing.T, addr, protocol string) *rawConn {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	fmt.Fprintf(c, "GET /ws HTTP/1.1\r\nHost: %s\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"+
		"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n"+
		"Sec-WebSocket-Protocol: %s\r\n\r\n", addr, protocol)
	br := bufio.NewReaderSize(c, 512)
	resp, err := http.ReadResponse(br, nil)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != http.StatusSwitchingProtocols {
		t.Fatalf("upgrade: %s", resp.Status)
	}
	return &rawConn{Conn: c, br: br}
}

// writeFrame sends one masked, final frame.
func (c *rawConn) writeFrame(t *testing.T, opcode byte, payload []byte) {
	t.Helper()
	hdr := []byte{0x80 | opcode}
	switch n := len(payload); {
	case n < 126:
		hdr = append(hdr, 0x80|byte(n))
	case n <= 0xffff:
		hdr = append(hdr, 0x80|126)
		hdr = binary.BigEndian.AppendUint16(hdr, uint16(n))
	default:
		hdr = append(hdr, 0x80|127)
		hdr = binary.BigEndian.AppendUint64(hdr, uint64(n))
	}
	key := []byte{0x11, 0x22, 0x33, 0x44}
	hdr = append(hdr, key...)
	masked := make([]byte, len(payload))
	for i, b := range payload {
		masked[i] = b ^ key[i%4]
	}
	if _, err := c.Write(append(hdr, masked...)); err != nil {
		t.Fatal(err)
	}
}

// readFrame reads one unmasked server frame.
func (c *rawConn) readFrame() (opcode byte, payload []byte, err error) {
	var h [2]byte
	if _, err = io.ReadFull(c.br, h[:]); err != nil {
		return 0, nil, err
	}
	n := uint64(h[1] & 0x7f)
	switch n {
	case 126:
		var b [2]byte
		_, err = io.ReadFull(c.br, b[:])
		n = uint64(binary.BigEndian.Uint16(b[:]))
	case 127:
		var b [8]byte
		_, err = io.ReadFull(c.br, b[:])
		n = binary.BigEndian.Uint64(b[:])
	}
	if err != nil {
		return 0, nil, err
	}
	payload = make([]byte, n)
	_, err = io.ReadFull(c.br, payload)
	return h[0] & 0x0f, payload, err
}

// readUntilClose skips data and ping frames and returns the close frame's
// code and reason.
func (c *rawConn) readUntilClose(t *testing.T) (int, string) {
	t.Helper()
	_ = c.SetReadDeadline(time.Now().Add(waitFor))
	for {
		op, p, err := c.readFrame()
		if err != nil {
			t.Fatalf("no close frame: %v", err)
		}
		if op == 0x8 {
			if len(p) < 2 {
				return 1005, ""
			}
			return int(binary.BigEndian.Uint16(p)), string(p[2:])
		}
	}
}

// wantCloseCode asserts that err is a *CloseError with the given code and side.
func wantCloseCode(t *testing.T, err error, code int, remote bool) {
	t.Helper()
	var ce *CloseError
	if !errors.As(err, &ce) {
		t.Fatalf("cause %v (%T), want *CloseError %d", err, err, code)
	}
	if ce.Code != code || ce.Remote != remote {
		t.Fatalf("cause %v, want code %d remote %v", ce, code, remote)
	}
}

// recvWithin receives one value from ch, or fails the test once waitFor
// passes: a test never hangs on a receive.
func recvWithin[T any](t testing.TB, ch <-chan T, what string) T {
	t.Helper()
	select {
	case v := <-ch:
		return v
	case <-time.After(waitFor):
		t.Fatalf("timed out waiting for %s", what)
		var zero T
		return zero
	}
}

// eventually polls cond until it holds or waitFor passes.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	testwait.Until(t, what, waitFor, cond)
}
