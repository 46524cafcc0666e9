package transport

import (
	"errors"
	"strings"
	"testing"
)

// A compressed message is inflated by the peer, counted in the inbound
// budget as its inflated size: a small frame that inflates past
// MaxMessageBytes (a deflate bomb) closes its connection with 1009, one
// that inflates past what the budget has left with 1013, invalid
// compressed bytes with 1002, invalid UTF-8 with 1007; each is counted,
// only the offending connection ends, and the budget is whole afterwards.
// A compressed message within both is delivered.
func TestWebSocketDeflateBomb(t *testing.T) {
	bomb := func(n int) string { return `[36, 1, 5, {}, ["` + strings.Repeat("x", n) + `"]]` }
	tests := []struct {
		name    string
		frame   func(t *testing.T) []byte
		code    int
		size    int64 // the inbound budget
		budget  bool  // counted as an inbound budget refusal
		inflate bool  // counted as an inflate refusal
	}{
		{"past MaxMessageBytes", func(t *testing.T) []byte { return deflatedFrame(t, bomb(5<<20)) }, 1009, 16 << 20, false, true},
		{"past the inbound budget", func(t *testing.T) []byte { return deflatedFrame(t, bomb(3<<20)) }, 1013, 2 << 20, true, true},
		{"not deflate", func(t *testing.T) []byte {
			f := maskedFrame(0x1, []byte{0xff, 0xff, 0xff, 0xff, 0xff})
			f[0] |= 0x40
			return f
		}, 1002, 2 << 20, false, true},
		{"invalid UTF-8", func(t *testing.T) []byte { return deflatedFrame(t, "[36, 1, 5, {}, [\"\xff\xfe\"]]") }, 1007, 2 << 20, false, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			budget := NewInboundBudget(tc.size)
			srv := startServer(t, WebSocketConfig{Compression: true, MaxMessageBytes: 4 << 20, InboundBudget: budget, PingInterval: -1}, nil)
			good, goodBR := pipeUpgrade(t, srv.WebSocketServer, true, nil)
			sg := nextPeer(t, srv.accepted)
			bad, badBR := pipeUpgrade(t, srv.WebSocketServer, true, nil)
			sb := nextPeer(t, srv.accepted)
			go drainFrames(goodBR)

			// Within both bounds: 300 KiB inflated from a few hundred bytes
			// (about 1 MiB of buffers as the output doubled).
			writeAll(t, good, deflatedFrame(t, bomb(300<<10)))
			if got := publicationOf(t, sg.nextMsg(t)); got != 5 {
				t.Fatalf("compressed message %d, want 5", got)
			}
			outcome := make(chan int, 1)
			go func() { code, _ := closeOutcome(badBR); outcome <- code }()
			writeAll(t, bad, tc.frame(t))
			if code := recvWithin(t, outcome, "the close frame"); code != tc.code {
				t.Errorf("close code %d, want %d", code, tc.code)
			}
			err := sb.waitClosed(t)
			wantCloseCode(t, err, tc.code, false)
			if errors.Is(err, ErrInboundBudget) != tc.budget {
				t.Errorf("cause %v: matches ErrInboundBudget %v, want %v", err, !tc.budget, tc.budget)
			}
			if got := len(sb.msgs); got != 0 {
				t.Errorf("%d messages delivered from the refused connection", got)
			}
			if got, want := srv.stats.InflateRefusals.Load(), b2i(tc.inflate); got != want {
				t.Errorf("InflateRefusals = %d, want %d", got, want)
			}
			if got, want := srv.stats.InboundBudgetRefusals.Load(), b2i(tc.budget); got != want {
				t.Errorf("InboundBudgetRefusals = %d, want %d", got, want)
			}
			// The other connection is unharmed, and the budget whole.
			writeAll(t, good, deflatedFrame(t, `[36, 1, 6, {}, []]`))
			if got := publicationOf(t, sg.nextMsg(t)); got != 6 {
				t.Fatalf("after the refusal: message %d, want 6", got)
			}
			eventually(t, "the inbound budget to be whole", func() bool { return budget.Used() == 0 })
		})
	}
}

func b2i(b bool) int64 {
	if b {
		return 1
	}
	return 0
}

func writeAll(t *testing.T, c interface{ Write([]byte) (int, error) }, b []byte) {
	t.Helper()
	if _, err := c.Write(b); err != nil {
		t.Fatal(err)
	}
}

// drainFrames reads and drops frames until the connection ends.
func drainFrames(br interface{ Read([]byte) (int, error) }) {
	buf := make([]byte, 4<<10)
	for {
		if _, err := br.Read(buf); err != nil {
			return
		}
	}
}
