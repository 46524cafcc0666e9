package transport

import (
	"bufio"
	"bytes"
	"crypto/sha1"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/lxzan/gws"

	"github.com/switchboard-wamp/switchboard/core/serialize"
	"github.com/switchboard-wamp/switchboard/core/wamp"
)

// gatedConn counts the server's writes once armed and holds the first armed
// write until the gate opens, so a test can queue messages behind it.
type gatedConn struct {
	net.Conn
	armed   atomic.Bool
	writes  atomic.Int32
	entered chan struct{}
	gate    chan struct{}
}

func (c *gatedConn) Write(b []byte) (int, error) {
	if c.armed.Load() && c.writes.Add(1) == 1 {
		close(c.entered)
		<-c.gate
	}
	return c.Conn.Write(b)
}

// gatedListener wraps each accepted connection in a gatedConn.
type gatedListener struct {
	net.Listener
	conns chan *gatedConn
}

func (l gatedListener) Accept() (net.Conn, error) {
	nc, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	gc := &gatedConn{Conn: nc, entered: make(chan struct{}), gate: make(chan struct{})}
	l.conns <- gc
	return gc, nil
}

// strictFrame is a server frame that passed strictReadFrame's checks.
type strictFrame struct {
	op      gws.Opcode
	payload []byte
}

// strictReadFrame reads one frame and fails on anything RFC 6455 does not
// allow: fragments, RSV bits, unknown opcodes, a mask where masked is false
// (server to client) or none where it is true (client to server; the
// payload is unmasked), a non-minimal length, an oversize control frame.
func strictReadFrame(r io.Reader, masked bool) (strictFrame, error) {
	var h [2]byte
	if _, err := io.ReadFull(r, h[:]); err != nil {
		return strictFrame{}, err
	}
	if h[0]&0x80 == 0 || h[0]&0x70 != 0 {
		return strictFrame{}, fmt.Errorf("first octet %#x: want FIN and no RSV bits", h[0])
	}
	op := gws.Opcode(h[0] & 0x0F)
	switch op {
	case gws.OpcodeText, gws.OpcodeBinary, gws.OpcodeCloseConnection, gws.OpcodePing, gws.OpcodePong:
	default:
		return strictFrame{}, fmt.Errorf("opcode %d", op)
	}
	if (h[1]&0x80 != 0) != masked {
		return strictFrame{}, fmt.Errorf("mask bit %v, want %v", h[1]&0x80 != 0, masked)
	}
	n := uint64(h[1] & 0x7F)
	switch n {
	case 126:
		var b [2]byte
		if _, err := io.ReadFull(r, b[:]); err != nil {
			return strictFrame{}, err
		}
		if n = uint64(binary.BigEndian.Uint16(b[:])); n < 126 {
			return strictFrame{}, fmt.Errorf("length %d in 16 bits", n)
		}
	case 127:
		var b [8]byte
		if _, err := io.ReadFull(r, b[:]); err != nil {
			return strictFrame{}, err
		}
		if n = binary.BigEndian.Uint64(b[:]); n <= 0xFFFF || n>>63 != 0 {
			return strictFrame{}, fmt.Errorf("length %d in 64 bits", n)
		}
	}
	if op >= gws.OpcodeCloseConnection && n > 125 {
		return strictFrame{}, fmt.Errorf("control frame of %d octets", n)
	}
	var key [4]byte
	if masked {
		if _, err := io.ReadFull(r, key[:]); err != nil {
			return strictFrame{}, err
		}
	}
	f := strictFrame{op: op, payload: make([]byte, n)}
	if _, err := io.ReadFull(r, f.payload); err != nil {
		return strictFrame{}, err
	}
	for i := range f.payload {
		f.payload[i] ^= key[i%4]
	}
	return f, nil
}

// startGatedServer starts a JSON WebSocket server, keepalive off, whose
// connections are gatedConns.
func startGatedServer(t *testing.T, compression bool) (*testServer, chan *gatedConn) {
	t.Helper()
	a, accepted := acceptInto(t, nil)
	stats := new(Stats)
	srv, err := NewWebSocketServer(WebSocketConfig{Serializers: []serialize.Serializer{codecJSON},
		Logger: quietLogger, Stats: stats, PingInterval: -1, Compression: compression}, a)
	if err != nil {
		t.Fatal(err)
	}
	conns := make(chan *gatedConn, 4)
	hs := httptest.NewUnstartedServer(srv)
	hs.Listener = gatedListener{Listener: hs.Listener, conns: conns}
	hs.Start()
	t.Cleanup(func() { srv.Close(); hs.Close() })
	return &testServer{WebSocketServer: srv, url: "ws" + strings.TrimPrefix(hs.URL, "http") + "/ws",
		addr: hs.Listener.Addr().String(), stats: stats, accepted: accepted}, conns
}

func TestWebSocketBatchesQueuedMessages(t *testing.T) {
	const n = 20
	tests := []struct {
		name        string
		compression bool
		wantWrites  int32
	}{
		// The first message's write is held; the other n-1 queue behind it
		// and go out together.
		{"batched", false, 2},
		// With permessage-deflate configured gws frames every message, one
		// write each (even when the client did not negotiate it).
		{"compression configured", true, n},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ts, conns := startGatedServer(t, tc.compression)
			raw := rawDial(t, ts.addr, "wamp.2.json")
			gc := recvWithin(t, conns, "the accepted connection")
			sr := nextPeer(t, ts.accepted)
			gc.armed.Store(true)
			if !sr.peer.Send(event(0)) {
				t.Fatal("Send refused")
			}
			select {
			case <-gc.entered:
			case <-time.After(waitFor):
				t.Fatal("the writer never wrote")
			}
			for i := 1; i < n; i++ {
				if !sr.peer.Send(event(i)) {
					t.Fatalf("Send %d refused", i)
				}
			}
			close(gc.gate)
			_ = raw.SetReadDeadline(time.Now().Add(waitFor))
			for i := range n {
				f, err := strictReadFrame(raw.br, false)
				if err != nil {
					t.Fatalf("frame %d: %v", i, err)
				}
				m, err := codecJSON.Decode(f.payload)
				if err != nil || f.op != gws.OpcodeText {
					t.Fatalf("frame %d: opcode %d, %v", i, f.op, err)
				}
				if got := publicationOf(t, m); got != i {
					t.Fatalf("frame %d carries publication %d", i, got)
				}
			}
			if got := gc.writes.Load(); got != tc.wantWrites {
				t.Fatalf("%d writes for %d messages, want %d", got, n, tc.wantWrites)
			}
		})
	}
}

// TestWebSocketBatchedFramesWellFormed has one batch carry messages whose
// payloads cross the 125/126 length boundary, messages gws writes itself
// (large ones) and a pong, and checks every frame with a strict parser.
func TestWebSocketBatchedFramesWellFormed(t *testing.T) {
	ts, conns := startGatedServer(t, false)
	raw := rawDial(t, ts.addr, "wamp.2.json")
	gc := recvWithin(t, conns, "the accepted connection")
	sr := nextPeer(t, ts.accepted)
	gc.armed.Store(true)
	sizes := []int{0, 1, 64 << 10, 2000}
	for l := 80; l < 140; l++ { // encoded lengths sweep past 125 and 126
		sizes = append(sizes, l)
	}
	sizes = append(sizes, wsDirectBytes, wsDirectBytes-100, 70000, 3)
	sr.peer.Send(bigEvent(1000, 10)) // held in its write
	select {
	case <-gc.entered:
	case <-time.After(waitFor):
		t.Fatal("the writer never wrote")
	}
	raw.writeFrame(t, 0x9, []byte("ping!"))
	p := sr.peer.(*wsPeer)
	eventually(t, "the pong to be queued", func() bool {
		p.mu.Lock()
		defer p.mu.Unlock()
		return len(p.pongs) > 0
	})
	for i, size := range sizes {
		if !sr.peer.Send(bigEvent(i, size)) {
			t.Fatalf("Send %d refused", i)
		}
	}
	close(gc.gate)
	sr.peer.Close()

	_ = raw.SetReadDeadline(time.Now().Add(waitFor))
	wantPub := append([]int{1000}, make([]int, len(sizes))...)
	wantLen := append([]int{10}, sizes...)
	for i := range sizes {
		wantPub[i+1] = i
	}
	pongs, got := 0, 0
	for {
		f, err := strictReadFrame(raw.br, false)
		if err != nil {
			t.Fatalf("after %d messages: %v", got, err)
		}
		switch f.op {
		case gws.OpcodePong:
			if pongs++; string(f.payload) != "ping!" {
				t.Fatalf("pong %q", f.payload)
			}
			continue
		case gws.OpcodeCloseConnection:
			if len(f.payload) < 2 || binary.BigEndian.Uint16(f.payload) != closeNormal {
				t.Fatalf("close frame %x", f.payload)
			}
			if pongs != 1 || got != len(wantPub) {
				t.Fatalf("closed after %d pongs and %d messages, want 1 and %d", pongs, got, len(wantPub))
			}
			return
		}
		m, err := codecJSON.Decode(f.payload)
		if err != nil || got >= len(wantPub) {
			t.Fatalf("message %d: %v", got, err)
		}
		e := m.(*wamp.Event)
		if int(e.Publication) != wantPub[got] || len(e.Args[0].(string)) != wantLen[got] {
			t.Fatalf("message %d: publication %d of %d octets, want %d of %d",
				got, e.Publication, len(e.Args[0].(string)), wantPub[got], wantLen[got])
		}
		got++
	}
}

func TestAppendWSFrame(t *testing.T) {
	for _, masked := range []bool{false, true} {
		for _, n := range []int{0, 1, 7, 8, 9, 125, 126, 127, 1000, 0xFFFF, 0x10000, 70001} {
			t.Run(fmt.Sprintf("masked=%v/%d", masked, n), func(t *testing.T) {
				payload := make([]byte, n)
				for i := range payload {
					payload[i] = byte(i*7 + 3)
				}
				orig := append([]byte(nil), payload...)
				b := appendWSFrame([]byte("prefix"), gws.OpcodeBinary, payload, masked)
				if !bytes.Equal(payload, orig) {
					t.Fatal("the payload was modified")
				}
				if !bytes.HasPrefix(b, []byte("prefix")) {
					t.Fatal("dst prefix lost")
				}
				r := bytes.NewReader(b[len("prefix"):])
				f, err := strictReadFrame(r, masked)
				if err != nil {
					t.Fatal(err)
				}
				if f.op != gws.OpcodeBinary || !bytes.Equal(f.payload, payload) || r.Len() != 0 {
					t.Fatalf("opcode %d, payload equal %v, %d octets left",
						f.op, bytes.Equal(f.payload, payload), r.Len())
				}
			})
		}
	}
}

// TestWebSocketClientFramesWellFormed serves DialWebSocket by hand and
// checks the client's masked frames (messages, a pong) with a strict parser.
func TestWebSocketClientFramesWellFormed(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	type served struct {
		c   net.Conn
		br  *bufio.Reader
		err error
	}
	done := make(chan served, 1)
	go func() {
		c, err := ln.Accept()
		if err != nil {
			done <- served{err: err}
			return
		}
		br := bufio.NewReader(c)
		req, err := http.ReadRequest(br)
		if err != nil {
			done <- served{c: c, err: err}
			return
		}
		sum := sha1.Sum([]byte(req.Header.Get("Sec-WebSocket-Key") + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"))
		_, err = fmt.Fprintf(c, "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"+
			"Sec-WebSocket-Accept: %s\r\nSec-WebSocket-Protocol: wamp.2.json\r\n\r\n",
			base64.StdEncoding.EncodeToString(sum[:]))
		done <- served{c: c, br: br, err: err}
	}()
	client, _ := dialClient(t, "ws://"+ln.Addr().String()+"/ws", WebSocketClientConfig{PingInterval: -1})
	var s served
	select {
	case s = <-done:
	case <-time.After(waitFor):
		t.Fatal("no connection")
	}
	if s.err != nil {
		t.Fatal(s.err)
	}
	defer s.c.Close()
	// An unmasked ping from the "server"; the client answers with a pong.
	if _, err := s.c.Write([]byte{0x89, 3, 'a', 'b', 'c'}); err != nil {
		t.Fatal(err)
	}
	const n = 200
	for i := range n {
		client.Send(bigEvent(i, (i*37)%300))
	}
	_ = s.c.SetReadDeadline(time.Now().Add(waitFor))
	pongs, got := 0, 0
	for got < n || pongs == 0 {
		f, err := strictReadFrame(s.br, true)
		if err != nil {
			t.Fatalf("after %d messages: %v", got, err)
		}
		if f.op == gws.OpcodePong {
			if pongs++; string(f.payload) != "abc" {
				t.Fatalf("pong %q", f.payload)
			}
			continue
		}
		m, err := codecJSON.Decode(f.payload)
		if err != nil || f.op != gws.OpcodeText {
			t.Fatalf("message %d: opcode %d, %v", got, f.op, err)
		}
		if e := m.(*wamp.Event); int(e.Publication) != got || len(e.Args[0].(string)) != (got*37)%300 {
			t.Fatalf("message %d: publication %d", got, e.Publication)
		}
		got++
	}
	if pongs != 1 {
		t.Fatalf("%d pongs", pongs)
	}
}

// recordConn records what is written to it.
type recordConn struct {
	net.Conn // nil: only Write is used
	buf      bytes.Buffer
}

func (c *recordConn) Write(b []byte) (int, error) { return c.buf.Write(b) }

// TestWSConnRefusesBatchAfterClose: once gws wrote a close frame, batches
// are refused (no data after close); handshake bytes before framing do not
// count, whatever their first octet.
func TestWSConnRefusesBatchAfterClose(t *testing.T) {
	tests := []struct {
		name     string
		framing  bool
		gwsWrite []byte
		refused  bool
	}{
		{"handshake 'H' (0x48: opcode 8 bits)", false, []byte("HTTP/1.1 101 Switching Protocols\r\n\r\n"), false},
		{"gws data frame", true, []byte{0x81, 0x01, 'x'}, false},
		{"gws pong", true, []byte{0x8A, 0x00}, false},
		{"gws close frame", true, []byte{0x88, 0x02, 0x03, 0xE8}, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			rc := &recordConn{}
			wc := &wsConn{Conn: rc}
			if _, err := wc.Write([]byte("HTTP/1.1 101\r\n\r\n")); err != nil {
				t.Fatal(err)
			}
			if tc.framing {
				wc.startFraming()
			}
			if _, err := wc.Write(tc.gwsWrite); err != nil {
				t.Fatal(err)
			}
			before := rc.buf.Len()
			err := wc.writeFrames([]byte{0x81, 0x01, 'y'}, false)
			if tc.refused {
				if !errors.Is(err, errWSClosing) || rc.buf.Len() != before {
					t.Fatalf("batch after close: err %v, %d octets written", err, rc.buf.Len()-before)
				}
				return
			}
			if err != nil || rc.buf.Len() != before+3 {
				t.Fatalf("batch: err %v, %d octets written", err, rc.buf.Len()-before)
			}
		})
	}
}

// TestWebSocketNoDataAfterCloseEcho: the client closes while the server
// streams batches; whichever wins the race, nothing follows the close frame
// gws echoes (a batch after it is refused).
func TestWebSocketNoDataAfterCloseEcho(t *testing.T) {
	for round := range 5 {
		t.Run(fmt.Sprint(round), func(t *testing.T) {
			ts := startServer(t, WebSocketConfig{PingInterval: -1, OutboundQueueMax: 1 << 16}, nil)
			raw := rawDial(t, ts.addr, "wamp.2.json")
			sr := nextPeer(t, ts.accepted)
			done := make(chan struct{})
			go func() {
				defer close(done)
				for i := 0; i < 1<<15 && sr.peer.Send(event(i)); i++ {
				}
			}()
			_ = raw.SetReadDeadline(time.Now().Add(waitFor))
			for i := range 20 * (round + 1) {
				if _, err := strictReadFrame(raw.br, false); err != nil {
					t.Fatalf("frame %d: %v", i, err)
				}
			}
			raw.writeFrame(t, 0x8, []byte{0x03, 0xE8})
			for {
				f, err := strictReadFrame(raw.br, false)
				if err != nil {
					t.Fatalf("no close frame: %v", err)
				}
				if f.op == gws.OpcodeCloseConnection {
					break
				}
			}
			if f, err := strictReadFrame(raw.br, false); err == nil {
				t.Fatalf("opcode %d frame of %d octets after the close frame", f.op, len(f.payload))
			}
			recvWithin(t, done, "the raw reader to finish")
			wantCloseCode(t, sr.waitClosed(t), closeNormal, true)
		})
	}
}

// TestWriteTimeoutOnBatch: a batch (messages under wsDirectBytes) that
// stalls fails like a stalled gws write: cause ErrWriteTimeout, counted once.
func TestWriteTimeoutOnBatch(t *testing.T) {
	srv := startServer(t, WebSocketConfig{WriteTimeout: 100 * time.Millisecond,
		OutboundQueueMax: 1 << 16, OutboundQueueBytes: 1 << 30, PingInterval: -1}, nil)
	rawDial(t, srv.addr, "wamp.2.json") // never reads
	sr := nextPeer(t, srv.accepted)
	// 40,000 x 8 KiB is far more than loopback socket buffers hold, and
	// fewer than OutboundQueueMax and OutboundQueueBytes.
	msg := bigEvent(1, 8<<10)
	for i := range 40_000 {
		if !sr.peer.Send(msg) {
			t.Logf("Send refused after %d messages (peer already closed)", i)
			break
		}
	}
	if err := sr.waitClosed(t); !errors.Is(err, ErrWriteTimeout) {
		t.Fatalf("Closed(%v), want ErrWriteTimeout", err)
	}
	if got := srv.stats.WriteTimeouts.Load(); got != 1 {
		t.Errorf("WriteTimeouts = %d", got)
	}
	if got := srv.stats.SlowConsumers.Load(); got != 0 {
		t.Errorf("SlowConsumers = %d", got)
	}
}
