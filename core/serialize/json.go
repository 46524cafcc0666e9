package serialize

import (
	"encoding/base64"
	"fmt"

	"github.com/switchboard-wamp/switchboard/core/wamp"
)

// MaxNesting is the deepest nesting of lists and dicts a serializer accepts,
// counting the message list itself as level 1. Deeper frames fail to decode
// (and values fail to encode) instead of exhausting the stack.
const MaxNesting = 64

// JSON is the wamp.2.json serializer (RawSocket serializer 1, WebSocket text
// frames). Stateless; safe for concurrent use.
var JSON Serializer = jsonSerializer{}

type jsonSerializer struct{}

func (jsonSerializer) Name() string        { return "json" }
func (jsonSerializer) SubProtocol() string { return "wamp.2.json" }
func (jsonSerializer) RawSocketID() byte   { return 1 }
func (jsonSerializer) Binary() bool        { return false }

// Decode parses one JSON frame in a single pass (see jsonDecoder): integers
// as int64 (floats and out-of-range integers as float64), nesting at most
// MaxNesting deep, binary-convention strings as []byte; it requires an array
// and applies wamp.FromList. The result does not alias b.
func (jsonSerializer) Decode(b []byte) (wamp.Message, error) {
	return decodeJSONFast(b)
}

// decodeBase64 accepts standard base64 with or without padding.
func decodeBase64(s string) ([]byte, error) {
	enc := base64.StdEncoding
	if len(s)%4 != 0 {
		enc = base64.RawStdEncoding
	}
	b, err := enc.DecodeString(s)
	if err != nil {
		return nil, fmt.Errorf("%w: binary value (NUL-prefixed string) is not valid base64: %v", ErrDecode, err)
	}
	return b, nil
}

func jsonKind(v any) string {
	switch v.(type) {
	case map[string]any:
		return "object"
	case string:
		return "string"
	case bool:
		return "boolean"
	case nil:
		return "null"
	}
	return "number"
}
