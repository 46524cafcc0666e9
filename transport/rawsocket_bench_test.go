package transport

import (
	"context"
	"net"
	"runtime"
	"testing"
	"time"

	"github.com/switchboard-wamp/switchboard/core/serialize"
	"github.com/switchboard-wamp/switchboard/core/serialize/shared"
	"github.com/switchboard-wamp/switchboard/core/wamp"
)

// rsBenchCodec is benchCodec under RawSocket serializer ID 1.
type rsBenchCodec struct{ benchCodec }

func (rsBenchCodec) RawSocketID() byte { return 1 }

// rsCodec gives a benchmark codec a valid RawSocket ID.
func rsCodec(c serialize.Serializer) serialize.Serializer {
	if _, ok := c.(benchCodec); ok {
		return rsBenchCodec{}
	}
	return c
}

// BenchmarkRawSocketEcho is BenchmarkWebSocketEcho over RawSocket: one
// message in flight (latency).
func BenchmarkRawSocketEcho(b *testing.B) {
	for _, c := range benchCodecs {
		b.Run(c.name, func(b *testing.B) {
			client, cr := rsBenchPair(b, rsCodec(c.codec))
			ev := event(1)
			b.ReportAllocs()
			for b.Loop() {
				client.Send(ev)
				<-cr.msgs
			}
		})
	}
}

// BenchmarkRawSocketEchoPipelined is BenchmarkWebSocketEchoPipelined over
// RawSocket: up to 64 messages in flight, so the writer batches frames.
func BenchmarkRawSocketEchoPipelined(b *testing.B) {
	for _, c := range benchCodecs {
		b.Run(c.name, func(b *testing.B) {
			client, cr := rsBenchPair(b, rsCodec(c.codec))
			ev := event(1)
			const window = 64
			inflight := 0
			b.ReportAllocs()
			for b.Loop() {
				if inflight == window {
					<-cr.msgs
					inflight--
				}
				client.Send(ev)
				inflight++
			}
			for ; inflight > 0; inflight-- {
				<-cr.msgs
			}
		})
	}
}

// BenchmarkSharedFanout sends one EVENT to 16 RawSocket peers, shared or
// not: the shared one is encoded once per round instead of 16 times.
func BenchmarkSharedFanout(b *testing.B) {
	for _, wrap := range []bool{false, true} {
		name := map[bool]string{false: "per-peer", true: "shared"}[wrap]
		b.Run(name, func(b *testing.B) {
			srv := startRS(b, RawSocketConfig{Serializers: []serialize.Serializer{serialize.JSON}, OutboundQueueMax: 1 << 16}, nil, nil)
			const n = 16
			var peers []Peer
			var clients []*recorder
			for range n {
				_, r := dialRS(b, srv, RawSocketClientConfig{Serializer: serialize.JSON})
				clients = append(clients, r)
				peers = append(peers, nextPeer(b, srv.accepted).peer)
			}
			ev := &wamp.Event{Subscription: 1, Publication: 2, Details: wamp.Dict{},
				Args: wamp.List{"a moderately sized payload", 42, true}, Kwargs: wamp.Dict{"k": "v"}}
			b.ReportAllocs()
			for b.Loop() {
				var m wamp.Message = ev
				if wrap {
					m = shared.Wrap(ev)
				}
				for _, p := range peers {
					p.Send(m)
				}
				for _, r := range clients {
					<-r.msgs
				}
			}
		})
	}
}

// rsBenchPair is benchPair over RawSocket on loopback TCP.
func rsBenchPair(b *testing.B, codec serialize.Serializer) (Peer, *recorder) {
	srv := startRS(b, RawSocketConfig{Serializers: []serialize.Serializer{codec}},
		nil, func(r *recorder) { r.onMessage = echo })
	client, cr := dialRS(b, srv, RawSocketClientConfig{Serializer: codec})
	nextPeer(b, srv.accepted)
	return client, cr
}

// TestRawSocketIdlePeerMemory measures what an idle server-side RawSocket
// peer costs, as TestIdlePeerMemory does for WebSocket.
func TestRawSocketIdlePeerMemory(t *testing.T) {
	accepted := make(chan struct{}, 1)
	a := AcceptorFunc(func(Peer) Handler { accepted <- struct{}{}; return nopHandler{} })
	srv, err := NewRawSocketServer(RawSocketConfig{Serializers: []serialize.Serializer{codecJSON},
		PingInterval: time.Hour, Logger: quietLogger}, a)
	must(t, err)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	must(t, err)
	go srv.Serve(ln)
	t.Cleanup(srv.Close)
	const n = 200
	conns := make([]net.Conn, 0, n)
	before := memInUse()
	ctx := context.Background()
	for range n {
		var d net.Dialer
		c, err := d.DialContext(ctx, "tcp", ln.Addr().String())
		must(t, err)
		t.Cleanup(func() { c.Close() })
		hello := rsHello(1, 15)
		_, err = c.Write(hello[:])
		must(t, err)
		<-accepted
		conns = append(conns, c)
	}
	after := memInUse()
	per := (after.total() - before.total()) / n
	t.Logf("idle rawsocket peer: ~%d bytes: heap %d, stacks %d (server side incl. the reader goroutine and its 2 KiB read buffer)",
		per, (after.heap-before.heap)/n, (after.stack-before.stack)/n)
	if per > 16<<10 {
		t.Errorf("idle peer costs %d bytes, want well under 16 KiB", per)
	}
	runtime.KeepAlive(conns)
}
