package transport

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"github.com/switchboard-wamp/switchboard/core/serialize"
	"github.com/switchboard-wamp/switchboard/core/wamp"
)

// The close frame of an orderly close goes out in the same write as the
// last messages (closeInBatch), and gws's own copy of it is dropped: the
// client reads the messages, one close frame 1000, then the end.

// readToClose reads c's data frames (JSON events, their publications
// returned in order) up to the close frame, whose code it returns, and
// checks that nothing follows the close frame.
func readToClose(t *testing.T, c *rawConn) (pubs []int, code int) {
	t.Helper()
	_ = c.SetReadDeadline(time.Now().Add(waitFor))
	for {
		op, p, err := c.readFrame()
		if err != nil {
			t.Fatalf("after %d messages, no close frame: %v", len(pubs), err)
		}
		switch op {
		case 0x1, 0x2:
			pubs = append(pubs, publicationOf(t, decodeJSON(t, p)))
			continue
		case 0x8:
			code = 1005
			if len(p) >= 2 {
				code = int(p[0])<<8 | int(p[1])
			}
		default:
			continue
		}
		break
	}
	if op, _, err := c.readFrame(); !errors.Is(err, io.EOF) {
		t.Fatalf("after the close frame: opcode %#x, err %v; want the end of the connection", op, err)
	}
	return pubs, code
}

func TestWebSocketCloseFrameGoesWithLastBatch(t *testing.T) {
	// Sent and closed inside Accept: nothing is written before Accept
	// returns, so the writer Close starts takes both messages and the
	// close in one round.
	srv := startServer(t, WebSocketConfig{}, func(r *recorder) {
		r.peer.Send(event(1))
		r.peer.Send(event(2))
		r.peer.Close()
	})
	before := closesInBatch.Load()
	c := rawDial(t, srv.addr, "wamp.2.json")
	sr := nextPeer(t, srv.accepted)
	pubs, code := readToClose(t, c)
	if len(pubs) != 2 || pubs[0] != 1 || pubs[1] != 2 || code != closeNormal {
		t.Fatalf("got publications %v and close %d; want [1 2] and %d", pubs, code, closeNormal)
	}
	if closesInBatch.Load() == before {
		t.Fatal("the close frame was not written with the last messages")
	}
	if err := sr.waitClosed(t); err != nil {
		t.Fatalf("Closed(%v), want nil", err)
	}
}

// CloseInline on an idle peer writes what SendHeld queued and the close
// frame before it returns, in one write on the caller's goroutine, and
// leaves nothing counted in the budget. On RawSocket (no close frame) it
// is Close: the held messages are flushed, then the connection ends.
func TestCloseInlineWritesHeldMessagesWithTheClose(t *testing.T) {
	for name, env := range inlineEnvs(t) {
		t.Run(name, func(t *testing.T) {
			e := env(t)
			srvPeer, client := e.dialIdle(t)
			is := srvPeer.peer.(InlineSender)
			closes := inlineCloses.Load()
			for i := 1; i <= 2; i++ {
				if !is.SendHeld(event(i)) {
					t.Fatalf("SendHeld(%d) refused", i)
				}
			}
			is.CloseInline()
			if srvPeer.peer.Send(event(3)) {
				t.Fatal("Send after CloseInline succeeded")
			}
			inline := inlineCloses.Load() > closes
			if inline != (name == "websocket") {
				t.Fatalf("closed inline: %v", inline)
			}
			if inline && e.budget.Used() != 0 {
				t.Fatalf("after an inline close: budget used %d, want 0", e.budget.Used())
			}
			for i := 1; i <= 2; i++ {
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

// When the socket does not take the held messages and the close frame at
// once, the peer's writer finishes them and then closes: the client reads
// every message whole, one close frame, then the end. The socket is
// filled first (inline writes until one leaves a rest), and the client
// reads slowly, so it is still full when that writer has gone idle.
func TestCloseInlineRestIsFinishedByTheWriter(t *testing.T) {
	e := wsInlineEnv(t, 0, 4096)
	srvPeer, client := e.dialIdle(t)
	is := srvPeer.peer.(InlineSender)
	rests := inlineRests.Load()
	sent := 0
	for inlineRests.Load() == rests && sent < 10000 {
		sent++
		sendInline(t, srvPeer.peer, paddedEvent(sent, 3000))
	}
	// The client reads the first messages slowly in the background.
	client.pace(1024, 10*time.Millisecond)
	c := client.(wsInlineClient).c
	first := make(chan error, 1)
	go func() {
		for i := 1; i <= sent; i++ {
			_ = c.SetReadDeadline(time.Now().Add(waitFor))
			op, p, err := c.readFrame()
			if err == nil && op != 0x1 {
				err = fmt.Errorf("message %d: opcode %#x", i, op)
			}
			if err == nil {
				m, derr := codecJSON.Decode(p)
				if e, ok := m.(*wamp.Event); derr != nil || !ok || int(e.Publication) != i {
					err = fmt.Errorf("message %d: %v %v", i, m, derr)
				}
			}
			if err != nil {
				first <- err
				return
			}
		}
		first <- nil
	}()
	eventually(t, "the writer to finish the rest and go idle", func() bool { return writerIdle(srvPeer.peer) })
	rests, closes := inlineRests.Load(), inlineCloses.Load()
	for i := 1; i <= 4; i++ {
		is.SendHeld(paddedEvent(sent+i, 12000))
	}
	is.CloseInline()
	if inlineRests.Load() == rests || inlineCloses.Load() != closes {
		t.Fatalf("inline rests %d -> %d, inline closes %d -> %d: want a rest and no finished inline close",
			rests, inlineRests.Load(), closes, inlineCloses.Load())
	}
	select {
	case err := <-first:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(waitFor):
		t.Fatal("the first messages were not read")
	}
	pubs, code := readToClose(t, c)
	if len(pubs) != 4 || pubs[0] != sent+1 || pubs[3] != sent+4 || code != closeNormal {
		t.Fatalf("got publications %v and close %d; want %d..%d and %d", pubs, code, sent+1, sent+4, closeNormal)
	}
	if err := srvPeer.waitClosed(t); err != nil {
		t.Fatalf("Closed(%v), want nil", err)
	}
	eventually(t, "the budget to drain", func() bool { return e.budget.Used() == 0 })
}

// A writer that runs when CloseInline is called (a ping, a Send) keeps the
// writer's role: it writes what is queued, then the close frame, once.
func TestCloseInlineWithARunningWriter(t *testing.T) {
	srv := startServer(t, WebSocketConfig{}, nil)
	c := rawDial(t, srv.addr, "wamp.2.json")
	sr := nextPeer(t, srv.accepted)
	eventually(t, "the peer accepted, with no writer running", func() bool { return writerIdle(sr.peer) })
	is := sr.peer.(InlineSender)
	sr.peer.Send(event(1)) // starts a writer
	is.SendHeld(event(2))  // taken by that writer
	is.CloseInline()
	pubs, code := readToClose(t, c)
	if len(pubs) != 2 || pubs[0] != 1 || pubs[1] != 2 || code != closeNormal {
		t.Fatalf("got publications %v and close %d; want [1 2] and %d", pubs, code, closeNormal)
	}
	if err := sr.waitClosed(t); err != nil {
		t.Fatalf("Closed(%v), want nil", err)
	}
}

// ServeHTTP runs the upgraded connection's reader on its own goroutine:
// it returns when the connection has ended, not before.
func TestWebSocketServeHTTPReturnsWhenTheConnectionEnds(t *testing.T) {
	a, ch := acceptInto(t, nil)
	srv, err := NewWebSocketServer(WebSocketConfig{Serializers: []serialize.Serializer{codecJSON}, Logger: quietLogger}, a)
	if err != nil {
		t.Fatal(err)
	}
	var returned atomic.Bool
	hs := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer returned.Store(true)
		srv.ServeHTTP(w, r)
	}))
	t.Cleanup(func() { srv.Close(); hs.Close() })
	c := rawDial(t, hs.Listener.Addr().String(), "wamp.2.json")
	sr := nextPeer(t, ch)
	c.writeFrame(t, 0x1, []byte(`[1,"realm1",{}]`))
	if _, ok := sr.nextMsg(t).(*wamp.Hello); !ok {
		t.Fatal("want the HELLO")
	}
	if returned.Load() {
		t.Fatal("ServeHTTP returned while its connection is open")
	}
	_ = c.Close()
	if err := sr.waitClosed(t); err == nil {
		t.Fatal("Closed(nil) for a connection the client dropped")
	}
	eventually(t, "ServeHTTP to return", returned.Load)
}
