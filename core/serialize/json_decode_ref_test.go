package serialize

import (
	"fmt"

	"github.com/segmentio/encoding/json"
	"github.com/switchboard-wamp/switchboard/core/wamp"
)

// decodeJSONReference is the former JSON.Decode, kept as the reference for
// FuzzJSONFastVsReference: it checks the nesting depth, parses with
// integers as int64 (floats and out-of-range integers as float64), requires
// an array, turns binary-convention strings into []byte, then applies
// wamp.FromList and refuses IDs written as floats. The result does not
// alias b.
func decodeJSONReference(b []byte) (wamp.Message, error) {
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
	// IDs written with a fraction or exponent (see floatIDError): every
	// number of the message list is an integer, and so are the elements of
	// ID-valued options.
	for _, e := range l {
		if _, isFloat := e.(float64); isFloat {
			return nil, fmt.Errorf("%w: %w: integer written as a float", ErrDecode, wamp.ErrProtocolViolation)
		}
	}
	if key := wamp.FloatIDOption(m); key != "" {
		return nil, fmt.Errorf("%w: %w: %s: ID written as a float", ErrDecode, wamp.ErrProtocolViolation, key)
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
