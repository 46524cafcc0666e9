package transport

import (
	"bufio"
	"context"
	"errors"
	"io"
	"net"
	"testing"

	"github.com/switchboard-wamp/switchboard/core/serialize"
)

// A panic on any goroutine handling a peer's input closes that connection
// only: logged, counted in Stats.Panics, and Handler.Closed is called
// exactly once (the recorder fails the test on a second call), with a
// cause wrapping ErrReaderPanic. Every test arms a panicConn after the
// handshake (or before, for handshake panics) and lets the peer send one
// byte; the servers' Close at cleanup must not hang.

func wantPanicCause(t *testing.T, cause error, st *Stats) {
	t.Helper()
	if !errors.Is(cause, ErrReaderPanic) {
		t.Fatalf("cause %v, want ErrReaderPanic", cause)
	}
	if got := st.Panics.Load(); got != 1 {
		t.Errorf("Panics = %d, want 1", got)
	}
}

func TestWebSocketServerReaderPanic(t *testing.T) {
	srv := startServer(t, WebSocketConfig{}, func(r *recorder) { r.onMessage = echo })
	var pc *panicConn
	c, _ := pipeUpgrade(t, srv.WebSocketServer, false, func(nc net.Conn) net.Conn {
		pc = &panicConn{Conn: nc}
		return pc
	})
	sr := nextPeer(t, srv.accepted)
	pc.armed.Store(true)
	_, _ = c.Write([]byte{0x81})
	wantPanicCause(t, sr.waitClosed(t), srv.stats)
	if got := srv.stats.Closed.Load(); got != 1 {
		t.Errorf("Closed = %d, want 1", got)
	}

	// The server goes on.
	client, cr := dialClient(t, srv.url, WebSocketClientConfig{})
	nextPeer(t, srv.accepted)
	client.Send(event(1))
	if got := publicationOf(t, cr.nextMsg(t)); got != 1 {
		t.Fatalf("echo %d", got)
	}
}

// fakeWSServer answers the client's upgrade on c, then writes each of
// frames, then closes c.
func fakeWSServer(t *testing.T, c net.Conn, frames <-chan []byte) {
	defer c.Close()
	br, resp := serverUpgrade(t, c)
	go func() { _, _ = io.Copy(io.Discard, br) }() // whatever the client writes
	if _, err := c.Write(resp); err != nil {
		return
	}
	for f := range frames {
		if _, err := c.Write(f); err != nil {
			return
		}
	}
}

func testClientConfig(st *Stats) WebSocketClientConfig {
	return WebSocketClientConfig{Serializers: []serialize.Serializer{codecJSON}, Logger: quietLogger, Stats: st}.withDefaults()
}

func TestWebSocketClientReaderPanic(t *testing.T) {
	cEnd, sEnd := net.Pipe()
	frames := make(chan []byte, 1)
	done := make(chan struct{})
	go func() { defer close(done); fakeWSServer(t, sEnd, frames) }()
	st := new(Stats)
	pc := &panicConn{Conn: cEnd}
	a, ch := acceptInto(t, nil)
	ctx, cancel := context.WithTimeout(context.Background(), waitFor)
	defer cancel()
	tgt, _ := parseDialURL("ws://pipe/ws")
	p, err := clientOn(ctx, pc, tgt, "ws://pipe/ws", testClientConfig(st), a)
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	cr := nextPeer(t, ch)
	pc.armed.Store(true)
	frames <- []byte{0x81}
	close(frames)
	wantPanicCause(t, cr.waitClosed(t), st)
	recvWithin(t, done, "the fake server to finish")
}

func TestWebSocketClientHandshakePanic(t *testing.T) {
	cEnd, sEnd := net.Pipe()
	frames := make(chan []byte)
	close(frames)
	done := make(chan struct{})
	go func() { defer close(done); fakeWSServer(t, sEnd, frames) }()
	st := new(Stats)
	pc := &panicConn{Conn: cEnd}
	pc.armed.Store(true)
	a, _ := acceptInto(t, nil)
	ctx, cancel := context.WithTimeout(context.Background(), waitFor)
	defer cancel()
	tgt, _ := parseDialURL("ws://pipe/ws")
	if _, err := clientOn(ctx, pc, tgt, "ws://pipe/ws", testClientConfig(st), a); !errors.Is(err, ErrReaderPanic) {
		t.Fatalf("DialWebSocket error %v, want ErrReaderPanic", err)
	}
	if got := st.Panics.Load(); got != 1 {
		t.Errorf("Panics = %d, want 1", got)
	}
	recvWithin(t, done, "the fake server to finish")
}

// rsClientHello performs a client's RawSocket handshake on c (serializer
// codecJSON).
func rsClientHello(t *testing.T, c net.Conn) {
	t.Helper()
	hello := rsHello(codecJSON.RawSocketID(), 0xF)
	if _, err := c.Write(hello[:]); err != nil {
		t.Fatal(err)
	}
	var reply [4]byte
	if _, err := io.ReadFull(c, reply[:]); err != nil {
		t.Fatal(err)
	}
	if _, err := parseRawSocketReply(reply, codecJSON.RawSocketID()); err != nil {
		t.Fatal(err)
	}
}

func TestRawSocketServerReaderPanic(t *testing.T) {
	srv := startRS(t, RawSocketConfig{}, nil, nil)
	cEnd, sEnd := net.Pipe()
	defer cEnd.Close()
	pc := &panicConn{Conn: sEnd}
	served := make(chan struct{})
	go func() { defer close(served); srv.ServeConn(pc) }()
	rsClientHello(t, cEnd)
	sr := nextPeer(t, srv.accepted)
	pc.armed.Store(true)
	_, _ = cEnd.Write([]byte{0})
	wantPanicCause(t, sr.waitClosed(t), srv.stats)
	recvWithin(t, served, "Serve to return")
}

func TestRawSocketServerHandshakePanic(t *testing.T) {
	srv := startRS(t, RawSocketConfig{}, nil, nil)
	cEnd, sEnd := net.Pipe()
	defer cEnd.Close()
	pc := &panicConn{Conn: sEnd}
	pc.armed.Store(true)
	served := make(chan struct{})
	go func() { defer close(served); srv.ServeConn(pc) }()
	_, _ = cEnd.Write([]byte{rsMagic})
	recvWithin(t, served, "Serve to return")
	if got := srv.stats.Panics.Load(); got != 1 {
		t.Errorf("Panics = %d, want 1", got)
	}
	if got := srv.stats.Rejected.Load(); got != 1 {
		t.Errorf("Rejected = %d, want 1", got)
	}
	// The connection was closed.
	if _, err := cEnd.Read(make([]byte, 1)); err == nil {
		t.Error("connection still open after the handshake panic")
	}
}

// nilAddrConn is a connection (of some caller's listener) without a
// remote address: newRSPeer's use of it panics after the handshake
// admitted the connection.
type nilAddrConn struct{ net.Conn }

func (nilAddrConn) RemoteAddr() net.Addr { return nil }

// TestRawSocketServerHandshakePanicReleasesSlot: a panic after the
// handshake took a MaxConnections slot gives the slot back.
func TestRawSocketServerHandshakePanicReleasesSlot(t *testing.T) {
	srv := startRS(t, RawSocketConfig{MaxConnections: 1}, nil, nil)
	c1, s1 := net.Pipe()
	defer c1.Close()
	served := make(chan struct{})
	go func() { defer close(served); srv.ServeConn(nilAddrConn{s1}) }()
	rsClientHello(t, c1) // the reply goes out; then newRSPeer panics
	recvWithin(t, served, "Serve to return")
	if got := srv.stats.Panics.Load(); got != 1 {
		t.Fatalf("Panics = %d, want 1", got)
	}
	c2, s2 := net.Pipe()
	defer c2.Close()
	go srv.ServeConn(s2)
	rsClientHello(t, c2) // refused with "maximum connections" if the slot leaked
	nextPeer(t, srv.accepted)
}

// fakeRSRouter answers a client's RawSocket handshake on c, then writes
// each of frames, then waits for c to close.
func fakeRSRouter(c net.Conn, frames <-chan []byte) {
	defer c.Close()
	var hello [4]byte
	if _, err := io.ReadFull(c, hello[:]); err != nil {
		return
	}
	reply := rsHello(hello[1]&0x0F, 0xF)
	if _, err := c.Write(reply[:]); err != nil {
		return
	}
	for f := range frames {
		if _, err := c.Write(f); err != nil {
			return
		}
	}
	_, _ = io.Copy(io.Discard, c)
}

func rsTestClientConfig(st *Stats) RawSocketClientConfig {
	return RawSocketClientConfig{Serializer: codecJSON, Logger: quietLogger, Stats: st}.withDefaults()
}

func TestRawSocketClientReaderPanic(t *testing.T) {
	cEnd, sEnd := net.Pipe()
	frames := make(chan []byte, 1)
	done := make(chan struct{})
	go func() { defer close(done); fakeRSRouter(sEnd, frames) }()
	st := new(Stats)
	pc := &panicConn{Conn: cEnd}
	a, ch := acceptInto(t, nil)
	p, err := rawSocketClientOn(context.Background(), pc, "tcp", "pipe", rsTestClientConfig(st), a)
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	cr := nextPeer(t, ch)
	pc.armed.Store(true)
	frames <- []byte{0}
	close(frames)
	wantPanicCause(t, cr.waitClosed(t), st)
	recvWithin(t, done, "the fake peer to finish")
}

func TestRawSocketClientHandshakePanic(t *testing.T) {
	cEnd, sEnd := net.Pipe()
	frames := make(chan []byte)
	close(frames)
	done := make(chan struct{})
	go func() { defer close(done); fakeRSRouter(sEnd, frames) }()
	st := new(Stats)
	pc := &panicConn{Conn: cEnd}
	pc.armed.Store(true)
	a, _ := acceptInto(t, nil)
	if _, err := rawSocketClientOn(context.Background(), pc, "tcp", "pipe", rsTestClientConfig(st), a); !errors.Is(err, ErrReaderPanic) {
		t.Fatalf("DialRawSocket error %v, want ErrReaderPanic", err)
	}
	if got := st.Panics.Load(); got != 1 {
		t.Errorf("Panics = %d, want 1", got)
	}
	recvWithin(t, done, "the fake peer to finish")
}

// panicListener hands out connections whose reads panic.
type panicListener struct{ net.Listener }

func (l panicListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	pc := &panicConn{Conn: c}
	pc.armed.Store(true)
	return pc, nil
}

func TestMuxDispatchPanic(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	st := new(Stats)
	m := NewMux(nil, nil, MuxConfig{Logger: quietLogger, Stats: st})
	served := make(chan error, 1)
	go func() { served <- m.Serve(panicListener{ln}) }()
	for range 2 {
		c, err := net.Dial("tcp", ln.Addr().String())
		if err != nil {
			t.Fatal(err)
		}
		_, _ = c.Write([]byte("G"))
		if _, err := bufio.NewReader(c).ReadByte(); err == nil {
			t.Error("connection still open after the dispatch panic")
		}
		c.Close()
	}
	if got := st.Panics.Load(); got != 2 {
		t.Errorf("Panics = %d, want 2", got)
	}
	m.Close() // must not hang: the dispatch goroutines are accounted for
	if err := <-served; err != ErrServerClosed {
		t.Errorf("Serve returned %v", err)
	}
}
