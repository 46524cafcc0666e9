package transport

import (
	"errors"
	"testing"
	"time"
)

func TestKeepaliveClosesSilentPeer(t *testing.T) {
	tests := []struct {
		name      string
		readPings bool // the peer reads our pings but never answers
	}{
		{"reads nothing", false},
		{"ignores pings", true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			cfg := WebSocketConfig{PingInterval: 50 * time.Millisecond, PongTimeout: 50 * time.Millisecond}
			if tc.readPings {
				// A silent peer may be closed PongTimeout after it
				// connects, before the first ping is due; with pings
				// much more frequent than that, it sees some first.
				cfg = WebSocketConfig{PingInterval: 10 * time.Millisecond, PongTimeout: 500 * time.Millisecond}
			}
			srv := startServer(t, cfg, nil)
			raw := rawDial(t, srv.addr, "wamp.2.json")
			sr := nextPeer(t, srv.accepted)
			pings := make(chan int, 1)
			if tc.readPings {
				go func() {
					n := 0
					for {
						op, _, err := raw.readFrame()
						if err != nil {
							pings <- n
							return
						}
						if op == 0x9 {
							n++
						}
					}
				}()
			}
			if err := sr.waitClosed(t); !errors.Is(err, ErrKeepaliveTimeout) {
				t.Fatalf("Closed(%v), want ErrKeepaliveTimeout", err)
			}
			if got := srv.stats.KeepaliveTimeouts.Load(); got != 1 {
				t.Errorf("KeepaliveTimeouts = %d", got)
			}
			if tc.readPings {
				if n := <-pings; n < 1 {
					t.Errorf("peer saw %d pings before the close", n)
				}
			}
		})
	}
}

func TestKeepaliveKeepsLivePeers(t *testing.T) {
	ka := 20 * time.Millisecond
	srv := startServer(t, WebSocketConfig{PingInterval: ka, PongTimeout: 5 * time.Second},
		func(r *recorder) { r.onMessage = echo })
	client, cr := dialClient(t, srv.url, WebSocketClientConfig{PingInterval: ka, PongTimeout: 5 * time.Second})
	sr := nextPeer(t, srv.accepted)

	// No application traffic for many ping intervals: only pings and pongs.
	time.Sleep(20 * ka)
	client.Send(event(1))
	if got := publicationOf(t, cr.nextMsg(t)); got != 1 {
		t.Fatalf("echo %d", got)
	}
	for _, r := range []*recorder{cr, sr} {
		if r.closedN.Load() != 0 {
			t.Fatalf("a live peer was closed: %v", <-r.closed)
		}
	}
}

func TestPingIsAnsweredWithPong(t *testing.T) {
	srv := startServer(t, WebSocketConfig{PingInterval: -1}, nil)
	raw := rawDial(t, srv.addr, "wamp.2.json")
	nextPeer(t, srv.accepted)
	raw.writeFrame(t, 0x9, []byte("abc"))
	op, p, err := raw.readFrame()
	if err != nil || op != 0xA || string(p) != "abc" {
		t.Fatalf("got op=%#x %q err=%v, want pong \"abc\"", op, p, err)
	}
}
