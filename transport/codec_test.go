package transport

import (
	"encoding/json"
	"fmt"

	"github.com/switchboard-wamp/switchboard/core/serialize"
	"github.com/switchboard-wamp/switchboard/core/wamp"
)

// testCodec is a test-only serializer: encoding/json over WAMP lists, for a
// handful of message types. binary selects binary frames, so the same codec
// can stand in for a msgpack- or cbor-like format in negotiation tests.
type testCodec struct {
	name   string
	proto  string
	binary bool
}

var (
	codecJSON    = testCodec{name: "json", proto: "wamp.2.json"}
	codecMsgpack = testCodec{name: "msgpack", proto: "wamp.2.msgpack", binary: true}
	codecCBOR    = testCodec{name: "cbor", proto: "wamp.2.cbor", binary: true}
)

var _ serialize.Serializer = testCodec{}

func (c testCodec) Name() string        { return c.name }
func (c testCodec) SubProtocol() string { return c.proto }
func (c testCodec) RawSocketID() byte   { return 1 }
func (c testCodec) Binary() bool        { return c.binary }

func dict(d wamp.Dict) wamp.Dict {
	if d == nil {
		return wamp.Dict{}
	}
	return d
}

// Append encodes HELLO, GOODBYE, PUBLISH and EVENT; anything else is an error.
func (c testCodec) Append(dst []byte, m wamp.Message) ([]byte, error) {
	var l wamp.List
	switch m := m.(type) {
	case *wamp.Hello:
		l = wamp.List{wamp.HELLO, m.Realm, dict(m.Details)}
	case *wamp.Goodbye:
		l = wamp.List{wamp.GOODBYE, dict(m.Details), m.Reason}
	case *wamp.Publish:
		l = wamp.List{wamp.PUBLISH, m.Request, dict(m.Options), m.Topic, m.Args}
	case *wamp.Event:
		l = wamp.List{wamp.EVENT, m.Subscription, m.Publication, dict(m.Details), m.Args}
	default:
		return dst, fmt.Errorf("testcodec: cannot encode %v", m.Type())
	}
	b, err := json.Marshal(l)
	return append(dst, b...), err
}

// Decode parses what Append produces.
func (c testCodec) Decode(b []byte) (wamp.Message, error) {
	var l []any
	if err := json.Unmarshal(b, &l); err != nil {
		return nil, fmt.Errorf("%w: %w", serialize.ErrDecode, err)
	}
	bad := func() (wamp.Message, error) { return nil, fmt.Errorf("%w: bad message %v", serialize.ErrDecode, l) }
	if len(l) < 3 {
		return bad()
	}
	t, _ := l[0].(float64)
	switch wamp.Type(t) {
	case wamp.HELLO:
		realm, _ := l[1].(string)
		d, _ := l[2].(map[string]any)
		return &wamp.Hello{Realm: wamp.URI(realm), Details: d}, nil
	case wamp.GOODBYE:
		d, _ := l[1].(map[string]any)
		reason, _ := l[2].(string)
		return &wamp.Goodbye{Details: d, Reason: wamp.URI(reason)}, nil
	case wamp.PUBLISH:
		if len(l) < 5 {
			return bad()
		}
		req, _ := l[1].(float64)
		o, _ := l[2].(map[string]any)
		topic, _ := l[3].(string)
		args, _ := l[4].([]any)
		return &wamp.Publish{Request: wamp.ID(req), Options: o, Topic: wamp.URI(topic), Args: args}, nil
	case wamp.EVENT:
		if len(l) < 5 {
			return bad()
		}
		sub, _ := l[1].(float64)
		pub, _ := l[2].(float64)
		d, _ := l[3].(map[string]any)
		args, _ := l[4].([]any)
		return &wamp.Event{Subscription: wamp.ID(sub), Publication: wamp.ID(pub), Details: d, Args: args}, nil
	}
	return bad()
}
