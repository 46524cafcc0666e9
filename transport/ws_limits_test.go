package transport

import (
	"errors"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/switchboard-wamp/switchboard/core/serialize"
	"github.com/switchboard-wamp/switchboard/core/wamp"
)

func bigEvent(n, size int) *wamp.Event {
	return &wamp.Event{Subscription: 1, Publication: wamp.ID(n), Args: wamp.List{strings.Repeat("x", size)}}
}

func TestOversizeInboundFrameCloses1009(t *testing.T) {
	srv := startServer(t, WebSocketConfig{MaxMessageBytes: 1024}, func(r *recorder) { r.onMessage = echo })
	client, cr := dialClient(t, srv.url, WebSocketClientConfig{})
	sr := nextPeer(t, srv.accepted)

	client.Send(event(1))
	if got := publicationOf(t, cr.nextMsg(t)); got != 1 {
		t.Fatalf("echo %d", got)
	}
	client.Send(bigEvent(2, 4096))
	wantCloseCode(t, cr.waitClosed(t), 1009, true)
	wantCloseCode(t, sr.waitClosed(t), 1009, false)

	// The server keeps serving others.
	other, or := dialClient(t, srv.url, WebSocketClientConfig{})
	nextPeer(t, srv.accepted)
	other.Send(event(3))
	if got := publicationOf(t, or.nextMsg(t)); got != 3 {
		t.Fatalf("other client echo %d", got)
	}
}

func TestMalformedFrameKeepsConnection(t *testing.T) {
	srv := startServer(t, WebSocketConfig{}, nil)
	raw := rawDial(t, srv.addr, "wamp.2.json")
	sr := nextPeer(t, srv.accepted)

	bad := []struct {
		opcode  byte
		payload string
	}{
		{0x1, "not json"},
		{0x1, `[999, 1, 2]`},
		{0x2, `{"a": 1}`},
	}
	for _, b := range bad {
		raw.writeFrame(t, b.opcode, []byte(b.payload))
	}
	for range bad {
		select {
		case err := <-sr.malformed:
			if !errors.Is(err, serialize.ErrDecode) {
				t.Errorf("Malformed(%v) does not wrap serialize.ErrDecode", err)
			}
		case m := <-sr.msgs:
			t.Fatalf("unexpected message %T", m)
		case err := <-sr.closed:
			t.Fatalf("closed: %v", err)
		}
	}
	if got := srv.stats.MalformedFrames.Load(); got != int64(len(bad)) {
		t.Errorf("MalformedFrames = %d, want %d", got, len(bad))
	}
	// Still open both ways; a binary frame is accepted for a text serializer.
	raw.writeFrame(t, 0x2, []byte(`[36, 1, 5, {}, []]`))
	if got := publicationOf(t, sr.nextMsg(t)); got != 5 {
		t.Fatalf("publication %d", got)
	}
	sr.peer.Send(event(6))
	op, p, err := raw.readFrame()
	if err != nil || op != 0x1 || !strings.HasPrefix(string(p), "[36,1,6,") {
		t.Fatalf("read op=%d %q err=%v, want a text EVENT", op, p, err)
	}
}

func TestOutboundFailureRefusesMessageKeepsPeer(t *testing.T) {
	// A message the peer cannot be sent is dropped and reported to the
	// Handler (Refuser); the receiver stays connected and gets what follows.
	tests := []struct {
		name    string
		msg     wamp.Message
		wantErr error
	}{
		{"too large", bigEvent(2, 4096), ErrMessageTooLarge},
		{"encode error", &wamp.Cancel{Request: 2}, ErrEncode},
		{"nil message", nil, ErrEncode},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			srv := startServer(t, WebSocketConfig{MaxMessageBytes: 1024}, nil)
			_, cr := dialClient(t, srv.url, WebSocketClientConfig{})
			sr := nextPeer(t, srv.accepted)

			sr.peer.Send(event(1))
			sr.peer.Send(tc.msg)
			sr.peer.Send(event(3))
			if got := publicationOf(t, cr.nextMsg(t)); got != 1 {
				t.Fatalf("first message %d", got)
			}
			if got := publicationOf(t, cr.nextMsg(t)); got != 3 {
				t.Fatalf("message after the refused one: %d, want 3", got)
			}
			if rf := sr.nextRefusal(t); !errors.Is(rf.err, tc.wantErr) || rf.msg != tc.msg {
				t.Errorf("Refused(%v, %v), want the message and %v", rf.msg, rf.err, tc.wantErr)
			}
			if got := srv.stats.EncodeErrors.Load(); got != 1 {
				t.Errorf("EncodeErrors = %d", got)
			}
			select {
			case err := <-cr.closed:
				t.Fatalf("receiver closed: %v", err)
			case err := <-sr.closed:
				t.Fatalf("server peer closed: %v", err)
			default:
			}
		})
	}
}

// panicker is a Handler that panics on every message.
type panicker struct{ *recorder }

func (p panicker) Message(wamp.Message) { panic("handler bug") }

func TestHandlerPanicClosesOnlyThatPeer(t *testing.T) {
	a, ch := acceptInto(t, nil)
	var n atomic.Int32
	srv := startServerWith(t, WebSocketConfig{}, AcceptorFunc(func(p Peer) Handler {
		r := a.Accept(p).(*recorder)
		switch n.Add(1) {
		case 1:
			return panicker{r}
		case 2:
			panic("acceptor bug")
		case 3:
			return nil
		}
		r.onMessage = echo
		return r
	}))

	// 1: the handler panics on the first message.
	client, cr := dialClient(t, srv.url, WebSocketClientConfig{})
	sr := nextPeer(t, ch)
	client.Send(event(1))
	wantCloseCode(t, cr.waitClosed(t), 1011, true)
	if err := sr.waitClosed(t); !errors.Is(err, ErrHandlerPanic) {
		t.Fatalf("server cause %v, want ErrHandlerPanic", err)
	}
	// 2 and 3: the Acceptor panics or returns nil; the connection is closed.
	for i := 2; i <= 3; i++ {
		_, cr := dialClient(t, srv.url, WebSocketClientConfig{})
		nextPeer(t, ch)
		wantCloseCode(t, cr.waitClosed(t), 1011, true)
	}
	// Others are served.
	other, or := dialClient(t, srv.url, WebSocketClientConfig{})
	nextPeer(t, ch)
	other.Send(event(2))
	if got := publicationOf(t, or.nextMsg(t)); got != 2 {
		t.Fatalf("echo %d", got)
	}
}
