package tests

import (
	"bufio"
	"bytes"
	"context"
	"encoding/binary"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/switchboard-wamp/switchboard/client"
	"github.com/switchboard-wamp/switchboard/core/router"
	"github.com/switchboard-wamp/switchboard/core/serialize"
	"github.com/switchboard-wamp/switchboard/core/wamp"
	"github.com/switchboard-wamp/switchboard/internal/testwait"
	"github.com/switchboard-wamp/switchboard/transport"
)

// A burst from one session slows that session down; it never gets peers
// that read promptly disconnected as slow consumers. The bursts below are
// written with one write each, well past the 1,024-message outbound bound.

// burstConn is a raw WebSocket client (wamp.2.json) that writes many
// frames with one write and counts what comes back by message type.
type burstConn struct {
	nc     net.Conn
	br     *bufio.Reader
	counts [100]atomic.Int64 // messages received, by WAMP message type
	done   chan error        // the reader's end
}

func dialBurst(t *testing.T, wsURL string) *burstConn {
	t.Helper()
	host := strings.TrimPrefix(strings.TrimSuffix(wsURL, "/ws"), "ws://")
	nc, err := net.Dial("tcp", host)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { nc.Close() })
	req := "GET /ws HTTP/1.1\r\nHost: " + host + "\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
		"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n" +
		"Sec-WebSocket-Protocol: wamp.2.json\r\n\r\n"
	if _, err := io.WriteString(nc, req); err != nil {
		t.Fatal(err)
	}
	c := &burstConn{nc: nc, br: bufio.NewReader(nc), done: make(chan error, 1)}
	resp, err := http.ReadResponse(c.br, nil)
	if err != nil || resp.StatusCode != http.StatusSwitchingProtocols {
		t.Fatalf("upgrade: %v %v", resp, err)
	}
	c.write(t, `[1,"realm1",{"roles":{"caller":{},"publisher":{}}}]`)
	if typ := c.readType(t); typ != int(wamp.WELCOME) {
		t.Fatalf("got message type %d, want WELCOME", typ)
	}
	go func() { c.done <- c.readAll() }()
	return c
}

// write sends frames, each a masked text frame, with one write.
func (c *burstConn) write(t *testing.T, msgs ...string) {
	t.Helper()
	var buf bytes.Buffer
	for _, m := range msgs {
		buf.WriteByte(0x81)
		switch n := len(m); {
		case n < 126:
			buf.WriteByte(0x80 | byte(n))
		case n <= 0xFFFF:
			buf.WriteByte(0x80 | 126)
			buf.Write(binary.BigEndian.AppendUint16(nil, uint16(n)))
		default:
			buf.WriteByte(0x80 | 127)
			buf.Write(binary.BigEndian.AppendUint64(nil, uint64(n)))
		}
		buf.Write([]byte{0, 0, 0, 0}) // a zero mask key leaves the payload as it is
		buf.WriteString(m)
	}
	if _, err := c.nc.Write(buf.Bytes()); err != nil {
		t.Fatal(err)
	}
}

// readFrame returns the next data frame's payload (server frames are not
// masked and, from this router, not fragmented).
func (c *burstConn) readFrame() ([]byte, byte, error) {
	var h [2]byte
	if _, err := io.ReadFull(c.br, h[:]); err != nil {
		return nil, 0, err
	}
	n := uint64(h[1] & 0x7F)
	switch n {
	case 126:
		var e [2]byte
		if _, err := io.ReadFull(c.br, e[:]); err != nil {
			return nil, 0, err
		}
		n = uint64(binary.BigEndian.Uint16(e[:]))
	case 127:
		var e [8]byte
		if _, err := io.ReadFull(c.br, e[:]); err != nil {
			return nil, 0, err
		}
		n = binary.BigEndian.Uint64(e[:])
	}
	p := make([]byte, n)
	_, err := io.ReadFull(c.br, p)
	return p, h[0] & 0x0F, err
}

func (c *burstConn) readType(t *testing.T) int {
	t.Helper()
	p, _, err := c.readFrame()
	if err != nil {
		t.Fatal(err)
	}
	var typ int
	fmt.Sscanf(string(p), "[%d", &typ)
	return typ
}

// readAll counts every message until the connection ends or the router
// sends a close frame.
func (c *burstConn) readAll() error {
	for {
		p, op, err := c.readFrame()
		if err != nil {
			return err
		}
		if op == 0x8 {
			return fmt.Errorf("close frame %q", p)
		}
		var typ int
		fmt.Sscanf(string(p), "[%d", &typ)
		if typ > 0 && typ < len(c.counts) {
			c.counts[typ].Add(1)
		}
	}
}

// waitCount waits until n messages of type typ arrived, failing if the
// connection ends first.
func (c *burstConn) waitCount(t *testing.T, typ wamp.Type, n int64) {
	t.Helper()
	waitUntil(t, fmt.Sprintf("%d %v", n, typ), func() bool {
		select {
		case err := <-c.done:
			t.Fatalf("connection ended after %d of %d %v: %v", c.counts[typ].Load(), n, typ, err)
		default:
		}
		return c.counts[typ].Load() >= n
	})
}

func TestBurstNeverDisconnectsReaders(t *testing.T) {
	forEachBackend(t, func(t *testing.T, b backend) {
		// The stall rules generous: a reader starved of CPU for 100 ms
		// (the default EventStallTimeout) on a loaded machine must not be
		// taken for one that stopped reading, whose publisher is then let
		// go and which is closed once its queue is full. This test is
		// about bursts to readers; the stall rules have tests of their own.
		url := startWSRouter(t, b, transport.WebSocketConfig{
			Serializers:  []serialize.Serializer{serialize.JSON},
			StallTimeout: 30 * time.Second, EventStallTimeout: 30 * time.Second,
		})
		ctx := guardCtx(t)
		const events = 5000
		var got [3]atomic.Int64
		for i := range got {
			s := dialVia(t, b, url, serialize.JSON)
			if _, err := s.Subscribe(ctx, "com.burst", func(*client.Event) { got[i].Add(1) }, nil); err != nil {
				t.Fatal(err)
			}
		}
		callee := dialVia(t, b, url, serialize.JSON)
		_, err := callee.Register(ctx, "com.burst.echo", func(_ context.Context, inv *client.Invocation) (*client.Result, error) {
			return &client.Result{Args: inv.Args}, nil
		}, nil)
		must(t, err)

		pub := dialBurst(t, url)
		msgs := make([]string, events)
		for i := range msgs {
			msgs[i] = fmt.Sprintf(`[16,%d,{},"com.burst",[%d]]`, i+1, i)
		}
		pub.write(t, msgs...)
		msgs = msgs[:0]
		// As many calls as one session may have pending (the realm's
		// default MaxPendingCallsPerSession): all of them may be
		// outstanding at once, and none is refused.
		const calls = router.DefaultMaxPendingCallsPerSession
		for i := range calls {
			msgs = append(msgs, fmt.Sprintf(`[48,%d,{},"com.burst.echo",[%d]]`, i+1, i))
		}
		pub.write(t, msgs...)
		pub.waitCount(t, wamp.RESULT, calls)
		waitUntil(t, "every subscriber received every event", func() bool {
			for i := range got {
				if got[i].Load() < events {
					return false
				}
			}
			return true
		})
		for i := range got {
			if n := got[i].Load(); n != events {
				t.Errorf("subscriber %d received %d events, want %d", i, n, events)
			}
		}
		if n := pub.counts[wamp.ERROR].Load(); n != 0 {
			t.Errorf("the caller got %d ERRORs", n)
		}
		// Everyone is still connected: a call and an event go through.
		res, err := callee.Call(ctx, "com.burst.echo", wamp.List{"still here"}, nil, nil)
		must(t, err)
		if res.Args[0] != "still here" {
			t.Fatalf("result %v", res.Args)
		}
	})
}

// waitUntil polls cond until it holds, failing after guard: the one wait
// helper of this package. The poll interval only bounds how soon a
// condition that already holds is seen; no outcome depends on it.
func waitUntil(t testing.TB, what string, cond func() bool) {
	t.Helper()
	testwait.Until(t, what, guard, cond)
}
