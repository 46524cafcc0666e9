package transport

import (
	"errors"
	"net"
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
		eventStall   time.Duration // how long a stuck write may take no bytes once closed
		clientReads  bool          // the stalled client resumes reading after the overflow
	}{
		// The in-flight write completes once the client reads, so the 1008
		// close frame reaches it.
		{"close frame delivered", time.Minute, time.Minute, true},
		// The client never reads: the close frame is written if the socket
		// buffers have room, else the in-flight write times out; either way
		// the cause is ErrSlowConsumer.
		{"client never reads", 100 * time.Millisecond, 0, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			srv := startServer(t, WebSocketConfig{OutboundQueueMax: 16, WriteTimeout: tc.writeTimeout, EventStallTimeout: tc.eventStall},
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

// A slow consumer whose writer is stuck in a write the peer never takes
// is not kept until WriteTimeout (here far longer than waitFor): once
// its socket has taken no bytes for EventStallTimeout (100 ms) the socket
// is closed, which ends the write, and Closed reports ErrSlowConsumer.
func TestSlowConsumerStuckWriteEnded(t *testing.T) {
	srv := startServer(t, WebSocketConfig{WriteTimeout: time.Hour}, nil)
	raw := rawDial(t, srv.addr, "wamp.2.json") // never reads
	sr := nextPeer(t, srv.accepted)
	// Small socket buffers on both ends: the writer's first 64 KiB batch
	// does not fit, so it is stuck in that write when the queue overflows.
	nc := sr.peer.(*wsPeer).nc
	if wc, ok := nc.(*wsConn); ok {
		nc = wc.Conn
	}
	tc, ok := nc.(*net.TCPConn)
	if !ok {
		t.Fatalf("server connection is a %T, want *net.TCPConn", nc)
	}
	must(t, tc.SetWriteBuffer(4096))
	must(t, raw.Conn.(*net.TCPConn).SetReadBuffer(4096))
	ev := bigEvent(1, 8<<10)
	for i := 0; sr.peer.Send(ev); i++ {
		if i > 100_000 {
			t.Fatal("Send never reported a full queue")
		}
	}
	if err := sr.waitClosed(t); !errors.Is(err, ErrSlowConsumer) {
		t.Fatalf("Closed(%v), want ErrSlowConsumer", err)
	}
	if got := srv.stats.WriteTimeouts.Load(); got != 0 {
		t.Errorf("WriteTimeouts = %d, want 0", got)
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

// The stall watch's measure of progress counts the frames a WebSocket
// writer batches into one write (small messages, no compression), not only
// those gws writes: otherwise a reading subscriber of small events looked
// stalled to it, let its publisher go after EventStallTimeout and never
// held it again, and a reading receiver that held its senders was closed
// as "nothing written" after StallTimeout.
func TestWebSocketBatchesCountProgress(t *testing.T) {
	srv := startServer(t, WebSocketConfig{}, nil)
	_, cr := dialClient(t, srv.url, WebSocketClientConfig{})
	sr := nextPeer(t, srv.accepted)
	const n = 10
	for i := range n {
		sr.peer.Send(event(i)) // small: batched, not written by gws
	}
	for range n {
		cr.nextMsg(t)
	}
	// The writer counts a write after the socket has taken it, which may
	// be after the client has read it.
	wrote := &sr.peer.(*wsPeer).wroteBytes
	eventually(t, "progress counts the batched events", func() bool { return wrote.Load() >= n*10 })
}
