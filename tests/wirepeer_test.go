package tests

import (
	"bytes"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/lxzan/gws"

	"github.com/switchboard-wamp/switchboard/core/wamp"
)

// wirePeer plays a remote WAMP peer at the frame level (STYLE practice 12):
// it sends raw text frames and asserts the exact messages that come back. It
// is independent of Switchboard's own serializers and client.
type wirePeer struct {
	t      *testing.T
	conn   *gws.Conn
	frames chan []byte
	closed chan error
	// codec, when set, encodes and decodes binary frames (msgpack, CBOR)
	// with a third-party library; nil means JSON text frames.
	codec *wireCodec
}

type wireEvents struct {
	gws.BuiltinEventHandler
	p *wirePeer
}

func (e *wireEvents) OnMessage(_ *gws.Conn, m *gws.Message) {
	b := bytes.Clone(m.Bytes())
	m.Close()
	e.p.frames <- b
}

func (e *wireEvents) OnClose(_ *gws.Conn, err error) { e.p.closed <- err }

// dialWire connects to a router's WebSocket URL offering one subprotocol.
func dialWire(t *testing.T, url, subprotocol string) *wirePeer {
	t.Helper()
	p := &wirePeer{t: t, frames: make(chan []byte, 256), closed: make(chan error, 1)}
	h := http.Header{}
	h.Set("Sec-WebSocket-Protocol", subprotocol)
	conn, _, err := gws.NewClient(&wireEvents{p: p}, &gws.ClientOption{Addr: url, RequestHeader: h})
	if err != nil {
		t.Fatalf("dial %s: %v", url, err)
	}
	p.conn = conn
	go conn.ReadLoop()
	t.Cleanup(func() { conn.WriteClose(1000, nil) })
	return p
}

// send writes one raw text frame.
func (p *wirePeer) send(frame string) {
	p.t.Helper()
	if err := p.conn.WriteString(frame); err != nil {
		p.t.Fatalf("send %s: %v", frame, err)
	}
}

// recv returns the next message as a generic JSON list.
func (p *wirePeer) recv() []any {
	p.t.Helper()
	select {
	case b := <-p.frames:
		return p.decode(b)
	case err := <-p.closed:
		p.closed <- err
		select { // frames read before the close come first
		case b := <-p.frames:
			return p.decode(b)
		default:
		}
		p.t.Fatalf("connection closed while waiting for a message: %v", err)
	case <-time.After(guard):
		p.t.Fatalf("no message from the router within %v", guard)
	}
	return nil
}

func (p *wirePeer) decode(b []byte) []any {
	p.t.Helper()
	if p.codec != nil {
		l, err := p.codec.unmarshal(b)
		if err != nil {
			p.t.Fatalf("router sent a frame that is not a %s list: %x: %v", p.codec.subprotocol, b, err)
		}
		return l
	}
	var l []any
	d := json.NewDecoder(bytes.NewReader(b))
	d.UseNumber()
	if err := d.Decode(&l); err != nil {
		p.t.Fatalf("router sent a frame that is not a JSON list: %q: %v", b, err)
	}
	return l
}

// want receives one message and checks its type code and, for each non-nil
// entry of elems, the element at that position (compared as JSON text).
func (p *wirePeer) want(code int, elems ...any) []any {
	p.t.Helper()
	l := p.recv()
	if got := num(l[0]); got != int64(code) {
		p.t.Fatalf("got message %v, want type %d", l, code)
	}
	for i, e := range elems {
		if e == nil {
			continue
		}
		if i+1 >= len(l) {
			p.t.Fatalf("message %v has no element %d (want %v)", l, i+1, e)
		}
		if jsonText(l[i+1]) != jsonText(e) {
			p.t.Fatalf("message %v: element %d = %s, want %s", l, i+1, jsonText(l[i+1]), jsonText(e))
		}
	}
	return l
}

// wantClosed waits for the router to close the connection.
func (p *wirePeer) wantClosed() {
	p.t.Helper()
	for {
		select {
		case b := <-p.frames:
			p.t.Fatalf("got %s, want the connection closed", b)
		case err := <-p.closed:
			p.closed <- err
			return
		case <-time.After(guard):
			p.t.Fatalf("connection not closed within %v", guard)
		}
	}
}

// join performs HELLO/WELCOME and returns the session ID.
func (p *wirePeer) join(realm string) int64 {
	p.t.Helper()
	hello := `[1,"` + realm + `",{"roles":{"caller":{},"callee":{},"publisher":{},"subscriber":{}}}]`
	if p.codec != nil {
		p.sendList(jsonList(p.t, hello))
	} else {
		p.send(hello)
	}
	l := p.want(2)
	return num(l[1])
}

func num(v any) int64 {
	if n, ok := v.(json.Number); ok {
		i, err := n.Int64()
		if err == nil {
			return i
		}
		return -1
	}
	if i, ok := wamp.ToInt(v); ok { // binary codecs: every integer kind
		return i
	}
	return -1
}

func jsonText(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		return "!" + err.Error()
	}
	return strings.TrimSpace(string(b))
}
