package core_test

import (
	"bufio"
	"context"
	"encoding/binary"
	"errors"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/switchboard-wamp/switchboard/adapters/eventloop"
	"github.com/switchboard-wamp/switchboard/adapters/goroutine"
	"github.com/switchboard-wamp/switchboard/adapters/pool"
	"github.com/switchboard-wamp/switchboard/core"
	"github.com/switchboard-wamp/switchboard/core/serialize"
	"github.com/switchboard-wamp/switchboard/scheduler"
	"github.com/switchboard-wamp/switchboard/transport"
)

// A session that says GOODBYE over WebSocket reads the router's GOODBYE,
// then one close frame 1000, then the end of the connection, on every
// backend. (On the event loop the answer is held and written with the
// close frame, inline: Realm.send, closeOutlet.)
func TestGoodbyeAnsweredThenClosed(t *testing.T) {
	for name, newAS := range map[string]func() scheduler.AsyncSupport{
		"goroutine": func() scheduler.AsyncSupport { return goroutine.New(goroutine.Config{}) },
		"eventloop": func() scheduler.AsyncSupport { return eventloop.New(eventloop.Config{}) },
		"pool":      func() scheduler.AsyncSupport { return pool.New(pool.Config{}) },
	} {
		t.Run(name, func(t *testing.T) {
			as := newAS()
			defer as.Close()
			app, err := core.New(core.Config{Backend: as, Realms: []core.RealmConfig{{URI: "realm1"}}})
			if err != nil {
				t.Fatal(err)
			}
			defer func() {
				ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
				defer cancel()
				_ = app.Close(ctx)
			}()
			ws, err := transport.NewWebSocketServer(transport.WebSocketConfig{Serializers: []serialize.Serializer{serialize.JSON}}, app)
			if err != nil {
				t.Fatal(err)
			}
			defer ws.Close()
			ln, err := net.Listen("tcp", "127.0.0.1:0")
			if err != nil {
				t.Fatal(err)
			}
			hs := &http.Server{Handler: ws, ReadHeaderTimeout: 10 * time.Second}
			go func() { _ = hs.Serve(ln) }()
			defer hs.Close()
			for range 3 {
				goodbyeSession(t, ln.Addr().String())
			}
		})
	}
}

// goodbyeSession joins realm1 over a raw WebSocket, says GOODBYE and
// checks how the router ends the session.
func goodbyeSession(t *testing.T, addr string) {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(20 * time.Second))
	r := bufio.NewReader(c)
	req := "GET / HTTP/1.1\r\nHost: " + addr + "\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
		"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Protocol: wamp.2.json\r\n\r\n"
	if _, err := io.WriteString(c, req); err != nil {
		t.Fatal(err)
	}
	resp, err := http.ReadResponse(r, nil)
	if err != nil || resp.StatusCode != http.StatusSwitchingProtocols {
		t.Fatalf("upgrade: %v %v", resp, err)
	}
	frame := func() (byte, string) {
		t.Helper()
		var h [2]byte
		if _, err := io.ReadFull(r, h[:]); err != nil {
			t.Fatalf("reading a frame: %v", err)
		}
		n := int(h[1] & 0x7f)
		if n == 126 {
			var l [2]byte
			if _, err := io.ReadFull(r, l[:]); err != nil {
				t.Fatal(err)
			}
			n = int(binary.BigEndian.Uint16(l[:]))
		}
		p := make([]byte, n)
		if _, err := io.ReadFull(r, p); err != nil {
			t.Fatal(err)
		}
		return h[0] & 0x0f, string(p)
	}
	if _, err := c.Write(maskedText(`[1,"realm1",{"roles":{"caller":{}}}]`)); err != nil {
		t.Fatal(err)
	}
	if op, p := frame(); op != 1 || !strings.HasPrefix(p, "[2,") {
		t.Fatalf("want WELCOME, got opcode %d %q", op, p)
	}
	if _, err := c.Write(maskedText(`[6,{},"wamp.close.normal"]`)); err != nil {
		t.Fatal(err)
	}
	if op, p := frame(); op != 1 || !strings.HasPrefix(p, "[6,") || !strings.Contains(p, "wamp.close.goodbye_and_out") {
		t.Fatalf("want GOODBYE goodbye_and_out, got opcode %d %q", op, p)
	}
	if op, p := frame(); op != 8 || len(p) < 2 || binary.BigEndian.Uint16([]byte(p)) != 1000 {
		t.Fatalf("want close 1000, got opcode %d %q", op, p)
	}
	if _, err := r.ReadByte(); !errors.Is(err, io.EOF) {
		t.Fatalf("after the close frame: %v, want EOF", err)
	}
}
