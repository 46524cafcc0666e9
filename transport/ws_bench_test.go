package transport

import (
	"context"
	"encoding/binary"
	"errors"
	"net/http/httptest"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/switchboard-wamp/switchboard/core/serialize"
	"github.com/switchboard-wamp/switchboard/core/wamp"
)

// benchCodec is a near-free binary codec (an EVENT's publication ID as 8
// bytes), so the benchmarks measure the transport rather than a codec.
type benchCodec struct{}

func (benchCodec) Name() string        { return "bench" }
func (benchCodec) SubProtocol() string { return "wamp.2.bench" }
func (benchCodec) RawSocketID() byte   { return 0 }
func (benchCodec) Binary() bool        { return true }

func (benchCodec) Append(dst []byte, m wamp.Message) ([]byte, error) {
	e, ok := m.(*wamp.Event)
	if !ok {
		return dst, errors.New("benchcodec: EVENT only")
	}
	return binary.BigEndian.AppendUint64(dst, uint64(e.Publication)), nil
}

func (benchCodec) Decode(b []byte) (wamp.Message, error) {
	if len(b) != 8 {
		return nil, serialize.ErrDecode
	}
	return &wamp.Event{Publication: wamp.ID(binary.BigEndian.Uint64(b))}, nil
}

var benchCodecs = []struct {
	name  string
	codec serialize.Serializer
}{
	{"bench-codec", benchCodec{}},
	{"json", serialize.JSON},
	{"json-testcodec", codecJSON},
}

// BenchmarkWebSocketEcho: client Send -> server Handler echoes with
// Peer.Send -> client receives; one message in flight (latency).
func BenchmarkWebSocketEcho(b *testing.B) {
	for _, c := range benchCodecs {
		b.Run(c.name, func(b *testing.B) {
			client, cr := benchPair(b, c.codec)
			ev := event(1)
			b.ReportAllocs()
			for b.Loop() {
				client.Send(ev)
				<-cr.msgs
			}
		})
	}
}

// BenchmarkWebSocketEchoPipelined keeps up to 64 messages in flight
// (throughput; lets the writer drain several queued messages per wake-up).
func BenchmarkWebSocketEchoPipelined(b *testing.B) {
	for _, c := range benchCodecs {
		b.Run(c.name, func(b *testing.B) {
			client, cr := benchPair(b, c.codec)
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

func benchPair(b *testing.B, codec serialize.Serializer) (Peer, *recorder) {
	a, ch := acceptInto(b, func(r *recorder) { r.onMessage = echo })
	srv, err := NewWebSocketServer(WebSocketConfig{Serializers: []serialize.Serializer{codec}, Logger: quietLogger}, a)
	if err != nil {
		b.Fatal(err)
	}
	hs := httptest.NewServer(srv)
	b.Cleanup(func() { srv.Close(); hs.Close() })
	ca, cch := acceptInto(b, nil)
	client, err := DialWebSocket(context.Background(), "ws"+strings.TrimPrefix(hs.URL, "http"),
		WebSocketClientConfig{Serializers: []serialize.Serializer{codec}, Logger: quietLogger}, ca)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(client.Close)
	nextPeer(b, ch)
	return client, nextPeer(b, cch)
}

// TestIdlePeerMemory measures the heap and stack an idle server-side peer
// costs (connection, gws state, reader goroutine, our peer), with raw
// clients that hold only a socket.
func TestIdlePeerMemory(t *testing.T) {
	accepted := make(chan struct{}, 1)
	srv := startServerWith(t, WebSocketConfig{PingInterval: time.Hour}, AcceptorFunc(func(Peer) Handler {
		accepted <- struct{}{}
		return nopHandler{}
	}))
	const n = 200
	conns := make([]*rawConn, 0, n)
	before := memInUse()
	for range n {
		conns = append(conns, rawDial(t, srv.addr, "wamp.2.json"))
		<-accepted
	}
	after := memInUse()
	per := (after.total() - before.total()) / n
	t.Logf("idle websocket peer: ~%d bytes: heap %d, stacks %d (server side incl. the reader goroutine; the raw client's socket and 512-byte reader included)",
		per, (after.heap-before.heap)/n, (after.stack-before.stack)/n)
	if per > 16<<10 {
		t.Errorf("idle peer costs %d bytes, want well under 16 KiB", per)
	}
	runtime.KeepAlive(conns)
}

// nopHandler ignores everything.
type nopHandler struct{}

func (nopHandler) Message(wamp.Message) {}
func (nopHandler) Malformed(error)      {}
func (nopHandler) Closed(error)         {}

type memUse struct{ heap, stack int64 }

func (m memUse) total() int64 { return m.heap + m.stack }

func memInUse() memUse {
	runtime.GC()
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return memUse{int64(ms.HeapAlloc), int64(ms.StackInuse)}
}
