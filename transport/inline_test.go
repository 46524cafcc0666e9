package transport

import (
	"bufio"
	"io"
	"net"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/switchboard-wamp/switchboard/core/serialize"
	"github.com/switchboard-wamp/switchboard/core/wamp"
)

// Inline writes (peer_direct.go): a sender that must not block writes to
// a peer's socket itself when nothing is queued, and hands what the socket
// did not take to the peer's writer. These tests make the sockets tiny
// (4 KiB each way) so that the socket fills after a few messages.

// smallSendListener shrinks the send buffer of every accepted TCP
// connection, leaving the connection's type unchanged (a *net.TCPConn,
// which the inline path writes to).
type smallSendListener struct{ net.Listener }

func (l smallSendListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if tc, ok := c.(*net.TCPConn); ok {
		_ = tc.SetWriteBuffer(4096)
	}
	return c, err
}

// inlineEnv is a server whose peers have tiny send buffers, and a way to
// connect a hand-made client with a tiny receive buffer that reads only
// when told to.
type inlineEnv struct {
	budget *OutboundBudget
	queued func() QueueFigures
	dial   func(t *testing.T) (*recorder, inlineClient)
}

// inlineClient is the client's end: the next data message, and the end of
// the connection after an orderly close.
type inlineClient interface {
	next(t *testing.T) wamp.Message
	wantOrderlyEnd(t *testing.T)
	// pace makes every later read take at most chunk bytes per tick.
	pace(chunk int, tick time.Duration)
}

// pacedReader is a slow reader: at most chunk bytes per tick.
type pacedReader struct {
	r     io.Reader
	chunk int
	tick  *time.Ticker
}

func (p *pacedReader) Read(b []byte) (int, error) {
	<-p.tick.C // the peer's own pace, not a wait for an outcome
	return p.r.Read(b[:min(len(b), p.chunk)])
}

func (w wsInlineClient) pace(chunk int, tick time.Duration) {
	*w.c.br = *bufio.NewReader(&pacedReader{r: w.c.Conn, chunk: chunk, tick: time.NewTicker(tick)})
}

func (r rsInlineClient) pace(chunk int, tick time.Duration) {
	*r.c.br = *bufio.NewReader(&pacedReader{r: r.c.Conn, chunk: chunk, tick: time.NewTicker(tick)})
}

func inlineEnvs(t *testing.T) map[string]func(t *testing.T) *inlineEnv {
	return smallBufEnvs(0, 4096)
}

// smallBufEnvs are the inline environments of both transports, with
// writeTimeout (0: the default) and clients whose receive buffer is
// readBuf bytes. (With 4 KiB each way, TCP on loopback moves a few tens of
// KB/s, in bursts a second apart: fine for filling a socket, not for
// measuring progress.)
func smallBufEnvs(writeTimeout time.Duration, readBuf int) map[string]func(t *testing.T) *inlineEnv {
	return map[string]func(t *testing.T) *inlineEnv{
		"websocket": func(t *testing.T) *inlineEnv { return wsInlineEnv(t, writeTimeout, readBuf) },
		"rawsocket": func(t *testing.T) *inlineEnv { return rsInlineEnv(t, writeTimeout, readBuf) },
	}
}

func wsInlineEnv(t *testing.T, writeTimeout time.Duration, readBuf int) *inlineEnv {
	budget := NewOutboundBudget(0)
	a, ch := acceptInto(t, nil)
	srv, err := NewWebSocketServer(WebSocketConfig{Serializers: []serialize.Serializer{codecJSON}, Logger: quietLogger,
		OutboundQueueMax: 4096, OutboundQueueBytes: 64 << 20, OutboundBudget: budget, WriteTimeout: writeTimeout}, a)
	if err != nil {
		t.Fatal(err)
	}
	hs := httptest.NewUnstartedServer(srv)
	hs.Listener = smallSendListener{hs.Listener}
	hs.Start()
	t.Cleanup(func() { srv.Close(); hs.Close() })
	return &inlineEnv{budget: budget, queued: srv.Queued, dial: func(t *testing.T) (*recorder, inlineClient) {
		c := rawDial(t, hs.Listener.Addr().String(), "wamp.2.json")
		_ = c.Conn.(*net.TCPConn).SetReadBuffer(readBuf)
		return nextPeer(t, ch), wsInlineClient{c}
	}}
}

func rsInlineEnv(t *testing.T, writeTimeout time.Duration, readBuf int) *inlineEnv {
	budget := NewOutboundBudget(0)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := startRS(t, RawSocketConfig{OutboundQueueMax: 4096, OutboundQueueBytes: 64 << 20, OutboundBudget: budget,
		WriteTimeout: writeTimeout},
		smallSendListener{ln}, nil)
	return &inlineEnv{budget: budget, queued: srv.Queued, dial: func(t *testing.T) (*recorder, inlineClient) {
		c := rsRawConnect(t, srv.addr, 0xF)
		_ = c.Conn.(*net.TCPConn).SetReadBuffer(readBuf)
		return nextPeer(t, srv.accepted), rsInlineClient{c}
	}}
}

type wsInlineClient struct{ c *rawConn }

func (w wsInlineClient) next(t *testing.T) wamp.Message {
	t.Helper()
	for {
		_ = w.c.SetReadDeadline(time.Now().Add(waitFor))
		op, p, err := w.c.readFrame()
		if err != nil {
			t.Fatalf("reading a frame: %v", err)
		}
		if op == 0x1 || op == 0x2 {
			return decodeJSON(t, p)
		}
	}
}

func (w wsInlineClient) wantOrderlyEnd(t *testing.T) {
	t.Helper()
	if code, _ := w.c.readUntilClose(t); code != closeNormal {
		t.Fatalf("close code %d, want %d", code, closeNormal)
	}
}

type rsInlineClient struct{ c *rsRaw }

func (r rsInlineClient) next(t *testing.T) wamp.Message {
	t.Helper()
	return decodeJSON(t, r.c.readMessage(t))
}

func (r rsInlineClient) wantOrderlyEnd(t *testing.T) {
	t.Helper()
	_ = r.c.SetReadDeadline(time.Now().Add(waitFor))
	r.c.waitEOF(t)
}

func decodeJSON(t *testing.T, b []byte) wamp.Message {
	t.Helper()
	m, err := codecJSON.Decode(b)
	if err != nil {
		t.Fatalf("frame does not decode (%v): %.80q", err, b)
	}
	return m
}

// paddedEvent is event n with about size bytes of payload.
func paddedEvent(n, size int) *wamp.Event {
	return &wamp.Event{Subscription: 1, Publication: wamp.ID(n), Args: wamp.List{strings.Repeat("x", size), float64(n)}}
}

// sendInline sends m inline, as an event loop does.
func sendInline(t *testing.T, p Peer, m wamp.Message) {
	t.Helper()
	if !p.(InlineSender).SendInline(m) {
		t.Fatalf("SendInline(%v) refused", m.Type())
	}
}

// dialIdle connects a client and waits until its server peer is accepted
// and idle: the next Send to it may be written inline.
func (e *inlineEnv) dialIdle(t *testing.T) (*recorder, inlineClient) {
	t.Helper()
	r, c := e.dial(t)
	eventually(t, "the peer accepted, with no writer running", func() bool { return writerIdle(r.peer) })
	return r, c
}

// writerIdle reports whether p (a peer of this package) has returned from
// Accept and runs no writer: a Send now may be written inline.
func writerIdle(p Peer) bool {
	var q *peerCore
	switch p := p.(type) {
	case *wsPeer:
		q = &p.peerCore
	case *rsPeer:
		q = &p.peerCore
	}
	q.mu.Lock()
	defer q.mu.Unlock()
	return q.accepted && !q.writing
}

// A message to an idle peer is written before SendInline returns, and
// counted and released exactly as a queued one: nothing is left in the
// budgets or the queue figures the moment it returns.
func TestInlineWriteIsDoneOnReturn(t *testing.T) {
	for name, env := range inlineEnvs(t) {
		t.Run(name, func(t *testing.T) {
			e := env(t)
			srvPeer, client := e.dialIdle(t)
			sendInline(t, srvPeer.peer, paddedEvent(1, 100))
			if used, q := e.budget.Used(), e.queued(); used != 0 || q.Messages != 0 {
				t.Fatalf("after an inline write: budget used %d, queued %d; want 0, 0", used, q.Messages)
			}
			if got := publicationOf(t, client.next(t)); got != 1 {
				t.Fatalf("got publication %d, want 1", got)
			}
		})
	}
}

// When the socket fills, the rest of a frame goes to the writer, which
// writes it before every message sent after it: the client reads every
// message whole and in order, and the budget returns to zero.
func TestInlineWriteKeepsOrderUnderPartialWrites(t *testing.T) {
	const n = 80
	for name, env := range inlineEnvs(t) {
		t.Run(name, func(t *testing.T) {
			e := env(t)
			srvPeer, client := e.dialIdle(t)
			rests := inlineRests.Load()
			for i := 1; i <= n; i++ {
				sendInline(t, srvPeer.peer, paddedEvent(i, 1500+i%700))
			}
			if inlineRests.Load() == rests {
				t.Fatal("no inline write left a rest: the socket never filled")
			}
			for i := 1; i <= n; i++ {
				if got := publicationOf(t, client.next(t)); got != i {
					t.Fatalf("message %d: got publication %d", i, got)
				}
			}
			eventually(t, "the budget and queue to drain", func() bool {
				return e.budget.Used() == 0 && e.queued().Messages == 0
			})
		})
	}
}

// A peer that stops reading cannot hold the sender: the inline attempt
// never waits, so a loop sending to it and to a reading peer finishes, and
// the reading peer gets everything.
func TestInlineWriteNeverWaitsForANonReader(t *testing.T) {
	const n = 400
	for name, env := range inlineEnvs(t) {
		t.Run(name, func(t *testing.T) {
			e := env(t)
			stuck, _ := e.dialIdle(t) // never reads
			reader, client := e.dialIdle(t)
			rests := inlineRests.Load()
			done := make(chan struct{})
			go func() { // the "loop": one goroutine sends to both
				defer close(done)
				for i := 1; i <= n; i++ {
					stuck.peer.(InlineSender).SendInline(paddedEvent(i, 8000))
					reader.peer.(InlineSender).SendInline(event(i))
				}
			}()
			recvWithin(t, done, "the sending loop to finish")
			if inlineRests.Load() == rests {
				t.Fatal("no inline write left a rest: the stuck peer's socket never filled")
			}
			for i := 1; i <= n; i++ {
				if got := publicationOf(t, client.next(t)); got != i {
					t.Fatalf("message %d: got publication %d", i, got)
				}
			}
		})
	}
}

// Close while the writer still owes the rest of an inline frame: the rest
// and everything queued after it are flushed, whole and in order, then the
// connection ends in order.
func TestInlineWriteCloseDuringRest(t *testing.T) {
	for name, env := range inlineEnvs(t) {
		t.Run(name, func(t *testing.T) {
			e := env(t)
			srvPeer, client := e.dialIdle(t)
			rests := inlineRests.Load()
			sent := 0
			for inlineRests.Load() == rests && sent < 10000 {
				sent++
				sendInline(t, srvPeer.peer, paddedEvent(sent, 3000))
			}
			if inlineRests.Load() == rests {
				t.Fatal("no inline write left a rest")
			}
			sendInline(t, srvPeer.peer, paddedEvent(sent+1, 10)) // queued behind the rest
			srvPeer.peer.Close()
			for i := 1; i <= sent+1; i++ {
				if got := publicationOf(t, client.next(t)); got != i {
					t.Fatalf("message %d: got publication %d", i, got)
				}
			}
			client.wantOrderlyEnd(t)
			if err := srvPeer.waitClosed(t); err != nil {
				t.Fatalf("Closed(%v), want nil", err)
			}
			eventually(t, "the budget to drain", func() bool { return e.budget.Used() == 0 })
		})
	}
}
