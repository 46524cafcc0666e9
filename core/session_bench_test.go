package core_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/binary"
	"io"
	"net"
	"net/http"
	"testing"
	"time"

	"github.com/switchboard-wamp/switchboard/core"
	"github.com/switchboard-wamp/switchboard/core/serialize"
	"github.com/switchboard-wamp/switchboard/core/wamp"
	"github.com/switchboard-wamp/switchboard/transport"
)

// BenchmarkEngineSession measures one session's life through the engine,
// with no transport or codec: accept, HELLO, WELCOME, GOODBYE, GOODBYE,
// close. It is the engine's, router's and application's own cost of a
// session (the sessions phase of switchboard bench, minus the network).
func BenchmarkEngineSession(b *testing.B) {
	forEachBenchApp(b, func(b *testing.B, app *core.Application) {
		hello := &wamp.Hello{Realm: "realm1", Details: wamp.Dict{"roles": wamp.Dict{"caller": wamp.Dict{}}}}
		b.ReportAllocs()
		b.ResetTimer()
		for range b.N {
			p := &benchPeer{out: make(chan wamp.Message, 4)}
			p.h = app.Accept(p)
			p.h.Message(hello)
			if _, ok := (<-p.out).(*wamp.Welcome); !ok {
				b.Fatal("want WELCOME")
			}
			p.h.Message(&wamp.Goodbye{Details: wamp.Dict{}, Reason: wamp.CloseNormal})
			if _, ok := (<-p.out).(*wamp.Goodbye); !ok {
				b.Fatal("want GOODBYE")
			}
		}
	})
}

// BenchmarkWebSocketSession measures one session over a loopback WebSocket
// with a client that costs next to nothing (prepared bytes on a plain TCP
// connection): connect, upgrade, HELLO, WELCOME, GOODBYE, GOODBYE, close.
// Its CPU profile and allocations are the router side of the sessions
// phase of switchboard bench.
func BenchmarkWebSocketSession(b *testing.B) {
	forEachBenchApp(b, func(b *testing.B, app *core.Application) {
		ws, err := transport.NewWebSocketServer(transport.WebSocketConfig{Serializers: []serialize.Serializer{serialize.JSON}}, app)
		if err != nil {
			b.Fatal(err)
		}
		defer ws.Close()
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			b.Fatal(err)
		}
		hs := &http.Server{Handler: ws, ReadHeaderTimeout: 10 * time.Second}
		go hs.Serve(ln)
		defer hs.Close()
		req := []byte("GET / HTTP/1.1\r\nHost: " + ln.Addr().String() + "\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
			"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Protocol: wamp.2.json\r\n\r\n")
		hello := maskedText(`[1,"realm1",{"roles":{"caller":{}}}]`)
		bye := maskedText(`[6,{},"wamp.close.normal"]`)
		buf := make([]byte, 4096)
		one := func() {
			c, err := net.Dial("tcp", ln.Addr().String())
			if err != nil {
				b.Fatal(err)
			}
			defer c.Close()
			_ = c.SetDeadline(time.Now().Add(10 * time.Second))
			r := bufio.NewReader(c)
			if _, err := c.Write(req); err != nil {
				b.Fatal(err)
			}
			readUntil(b, r, buf, []byte("\r\n\r\n")) // 101 (a client sends no frame before it)
			if _, err := c.Write(hello); err != nil {
				b.Fatal(err)
			}
			readUntil(b, r, buf, []byte(`[2,`)) // WELCOME
			if _, err := c.Write(bye); err != nil {
				b.Fatal(err)
			}
			readUntil(b, r, buf, []byte(`[6,`)) // GOODBYE
		}
		one()
		b.ReportAllocs()
		b.ResetTimer()
		for range b.N {
			one()
		}
		b.StopTimer()
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_ = app.Close(ctx)
	})
}

// maskedText is a client's WebSocket text frame of s (masked, zero key).
func maskedText(s string) []byte {
	f := []byte{0x81}
	switch n := len(s); {
	case n < 126:
		f = append(f, 0x80|byte(n))
	default:
		f = append(f, 0x80|126)
		f = binary.BigEndian.AppendUint16(f, uint16(n))
	}
	f = append(f, 0, 0, 0, 0)
	return append(f, s...)
}

// readUntil reads from r until what has been seen or the connection fails.
func readUntil(b *testing.B, r io.Reader, buf []byte, what []byte) {
	var seen []byte
	for !bytes.Contains(seen, what) {
		n, err := r.Read(buf)
		if err != nil {
			b.Fatalf("waiting for %q: %v (read %q)", what, err, seen)
		}
		seen = append(seen, buf[:n]...)
	}
}
