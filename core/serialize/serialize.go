package serialize

import (
	"errors"

	"github.com/switchboard-wamp/switchboard/core/wamp"
)

// ErrDecode wraps every failure to turn bytes into a valid message: bad syntax
// for the format, a frame that is not a list, or a list that is not a valid
// WAMP message (the latter also matches wamp.ErrProtocolViolation).
var ErrDecode = errors.New("serialize: cannot decode message")

// ErrEncode wraps every failure to encode a message (a value the format
// cannot carry, such as NaN in JSON; a serializer bug).
var ErrEncode = errors.New("serialize: cannot encode message")

// Serializer encodes and decodes WAMP messages in one wire format.
// Implementations are stateless and safe for concurrent use.
type Serializer interface {
	// Name is the short name: "json", "msgpack", "cbor".
	Name() string
	// SubProtocol is the WebSocket subprotocol, e.g. "wamp.2.json".
	SubProtocol() string
	// RawSocketID is the RawSocket serializer number (1 json, 2 msgpack, 3 cbor).
	RawSocketID() byte
	// Binary reports whether frames are binary (false: UTF-8 text frames).
	Binary() bool
	// Append encodes m and appends it to dst.
	Append(dst []byte, m wamp.Message) ([]byte, error)
	// Decode parses one message. The result does not alias b.
	Decode(b []byte) (wamp.Message, error)
}
