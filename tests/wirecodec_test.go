package tests

import (
	"bytes"
	"encoding/json"
	"net/http"
	"reflect"
	"testing"

	"github.com/fxamacker/cbor/v2"
	"github.com/lxzan/gws"
	"github.com/vmihailenco/msgpack/v5"
)

// wireCodec is a binary serialization for wirePeer, done by the format's
// third-party library (not Switchboard's serializers), the way a foreign
// client writes it: a float64 stays an 8-byte float.
type wireCodec struct {
	subprotocol string
	marshal     func(any) ([]byte, error)
	unmarshal   func([]byte) ([]any, error)
}

var (
	msgpackCodec = &wireCodec{
		subprotocol: "wamp.2.msgpack",
		marshal:     msgpack.Marshal,
		unmarshal: func(b []byte) ([]any, error) {
			var l []any
			err := msgpack.Unmarshal(b, &l)
			return l, err
		},
	}
	cborDecMode, _ = cbor.DecOptions{DefaultMapType: reflect.TypeOf(map[string]any{})}.DecMode()
	cborCodec      = &wireCodec{
		subprotocol: "wamp.2.cbor",
		marshal:     cbor.Marshal,
		unmarshal: func(b []byte) ([]any, error) {
			var l []any
			err := cborDecMode.Unmarshal(b, &l)
			return l, err
		},
	}
)

// dialWireCodec connects to a router's WebSocket URL speaking c.
func dialWireCodec(t *testing.T, url string, c *wireCodec) *wirePeer {
	t.Helper()
	p := &wirePeer{t: t, frames: make(chan []byte, 256), closed: make(chan error, 1), codec: c}
	h := http.Header{}
	h.Set("Sec-WebSocket-Protocol", c.subprotocol)
	conn, _, err := gws.NewClient(&wireEvents{p: p}, &gws.ClientOption{Addr: url, RequestHeader: h})
	if err != nil {
		t.Fatalf("dial %s: %v", url, err)
	}
	p.conn = conn
	go conn.ReadLoop()
	t.Cleanup(func() { conn.WriteClose(1000, nil) })
	return p
}

// sendList encodes l with the peer's codec and writes it as a binary frame.
func (p *wirePeer) sendList(l []any) {
	p.t.Helper()
	b, err := p.codec.marshal(l)
	if err != nil {
		p.t.Fatalf("encode %v: %v", l, err)
	}
	if err := p.conn.WriteMessage(gws.OpcodeBinary, b); err != nil {
		p.t.Fatalf("send %v: %v", l, err)
	}
}

// jsonList parses JSON text into a list with integers as int64 and other
// numbers as float64, for a binary peer to encode.
func jsonList(t *testing.T, text string) []any {
	t.Helper()
	d := json.NewDecoder(bytes.NewReader([]byte(text)))
	d.UseNumber()
	var l []any
	if err := d.Decode(&l); err != nil {
		t.Fatalf("bad JSON %s: %v", text, err)
	}
	return normaliseNumbers(l).([]any)
}

func normaliseNumbers(v any) any {
	switch x := v.(type) {
	case json.Number:
		if i, err := x.Int64(); err == nil {
			return i
		}
		f, _ := x.Float64()
		return f
	case []any:
		for i := range x {
			x[i] = normaliseNumbers(x[i])
		}
	case map[string]any:
		for k := range x {
			x[k] = normaliseNumbers(x[k])
		}
	}
	return v
}
