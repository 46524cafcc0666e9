package transport

import (
	"errors"
	"testing"
	"time"
)

// fillUntilRefused sends large messages to p until Send returns false and
// returns how many were accepted.
func fillUntilRefused(t *testing.T, p Peer) int {
	t.Helper()
	big := bigEvent(1, 64<<10)
	for i := 0; i < 1_000_000; i++ {
		if !p.Send(big) {
			return i
		}
	}
	t.Fatal("Send never reported a full queue")
	return 0
}

func TestSlowConsumer(t *testing.T) {
	tests := []struct {
		name         string
		writeTimeout time.Duration
		clientReads  bool // the stalled client resumes reading after the overflow
	}{
		// The in-flight write completes once the client reads, so the 1008
		// close frame reaches it.
		{"close frame delivered", time.Minute, true},
		// The client never reads: the close frame is written if the socket
		// buffers have room, else the in-flight write times out; either way
		// the cause is ErrSlowConsumer.
		{"client never reads", 100 * time.Millisecond, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			srv := startServer(t, WebSocketConfig{OutboundQueueMax: 16, WriteTimeout: tc.writeTimeout},
				func(r *recorder) { r.onMessage = echo })
			other, or := dialClient(t, srv.url, WebSocketClientConfig{})
			nextPeer(t, srv.accepted)
			raw := rawDial(t, srv.addr, "wamp.2.json") // upgrades, then never reads
			sr := nextPeer(t, srv.accepted)

			if n := fillUntilRefused(t, sr.peer); n < 16 {
				t.Fatalf("queue refused after %d messages, want >= 16", n)
			}
			for range 10 { // later Sends are refused, without new counts
				if sr.peer.Send(event(1)) {
					t.Fatal("Send succeeded after overflow")
				}
			}
			if got := srv.stats.SlowConsumers.Load(); got != 1 {
				t.Fatalf("SlowConsumers = %d, want 1", got)
			}
			// Another peer is unaffected while the slow one is stuck.
			other.Send(event(42))
			if got := publicationOf(t, or.nextMsg(t)); got != 42 {
				t.Fatalf("other echo %d", got)
			}
			if tc.clientReads {
				code, reason := raw.readUntilClose(t)
				if code != 1008 || reason != "slow consumer" {
					t.Errorf("close %d %q, want 1008 \"slow consumer\"", code, reason)
				}
			}
			if err := sr.waitClosed(t); !errors.Is(err, ErrSlowConsumer) {
				t.Fatalf("Closed(%v), want ErrSlowConsumer", err)
			}
		})
	}
}

func TestWriteTimeoutClosesStalledPeer(t *testing.T) {
	srv := startServer(t, WebSocketConfig{WriteTimeout: 100 * time.Millisecond}, nil)
	rawDial(t, srv.addr, "wamp.2.json") // never reads
	sr := nextPeer(t, srv.accepted)
	// 100 x 256 KiB is far more than loopback socket buffers hold, and
	// under both OutboundQueueMax and the 32 MiB byte budget, so the writer
	// stalls without an overflow.
	big := bigEvent(1, 256<<10)
	for i := range 100 {
		if !sr.peer.Send(big) {
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
