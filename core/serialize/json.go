package serialize

import (
	"encoding/base64"
	"fmt"

	"github.com/segmentio/encoding/json"
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

// Decode parses one JSON frame: it checks the nesting depth, parses with
// integers as int64 (floats and out-of-range integers as float64), requires
// an array, turns binary-convention strings into []byte, then applies
// wamp.FromList. The result does not alias b.
func (jsonSerializer) Decode(b []byte) (wamp.Message, error) {
	binary, err := scanJSON(b)
	if err != nil {
		return nil, err
	}
	var v any
	rest, err := json.Parse(b, &v, json.UseInt64)
	if err != nil {
		return nil, fmt.Errorf("%w: invalid JSON: %v", ErrDecode, err)
	}
	if len(rest) != 0 {
		return nil, fmt.Errorf("%w: invalid JSON: trailing data after the top-level value", ErrDecode)
	}
	l, ok := v.([]any)
	if !ok {
		return nil, fmt.Errorf("%w: %w: frame is a JSON %s, not an array", ErrDecode, wamp.ErrProtocolViolation, jsonKind(v))
	}
	if binary {
		if err := decodeBinaryList(l); err != nil {
			return nil, err
		}
	}
	m, err := wamp.FromList(l)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrDecode, err)
	}
	return m, nil
}

// scanJSON checks, without validating syntax, that b nests lists and dicts
// at most MaxNesting deep, and reports whether some string starts with the
// escape \u0000, i.e. may be a binary value.
func scanJSON(b []byte) (binary bool, err error) {
	depth := 0
	for i := 0; i < len(b); i++ {
		switch b[i] {
		case '"':
			start := i
			for i++; i < len(b); i++ {
				c := b[i]
				if c == '"' {
					break
				}
				if c == '\\' {
					if i == start+1 && hasNULEscape(b[i:]) {
						binary = true
					}
					i++
				}
			}
		case '[', '{':
			depth++
			if depth > MaxNesting {
				return false, fmt.Errorf("%w: nesting deeper than %d levels", ErrDecode, MaxNesting)
			}
		case ']', '}':
			depth--
		}
	}
	return binary, nil
}

func hasNULEscape(b []byte) bool {
	return len(b) >= 6 && b[1] == 'u' && b[2] == '0' && b[3] == '0' && b[4] == '0' && b[5] == '0'
}

// decodeBinaryList replaces, in place and at any depth, every string that
// starts with NUL by the []byte its remaining base64 text encodes.
func decodeBinaryList(l []any) error {
	for i, e := range l {
		v, err := decodeBinaryValue(e)
		if err != nil {
			return err
		}
		l[i] = v
	}
	return nil
}

func decodeBinaryValue(v any) (any, error) {
	switch x := v.(type) {
	case string:
		if len(x) > 0 && x[0] == 0 {
			return decodeBase64(x[1:])
		}
	case []any:
		return x, decodeBinaryList(x)
	case map[string]any:
		for k, e := range x {
			d, err := decodeBinaryValue(e)
			if err != nil {
				return nil, err
			}
			x[k] = d
		}
	}
	return v, nil
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
