package transport

import (
	"errors"
	"io"
	"testing"
	"time"
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
