package serialize

import (
	"fmt"

	"github.com/switchboard-wamp/switchboard/core/wamp"
)

// jsonDecoder is a single-pass JSON parser that builds the values of one
// frame directly in the shapes wamp.FromList expects: []any, map[string]any,
// string, []byte (binary convention), int64, float64, bool and nil. It
// accepts exactly RFC 8259 JSON, with the value conventions of the former
// segmentio-based path:
//
//   - an integer literal (no fraction, no exponent) that fits int64 is an
//     int64, "-0" included; any other number is a float64, and a number whose
//     magnitude overflows float64 is an error;
//   - invalid UTF-8 in strings becomes U+FFFD, one per bad byte; an unpaired
//     \u surrogate escape becomes U+FFFD;
//   - duplicate object keys: the last one wins;
//   - empty arrays and objects are non-nil.
//
// Nothing it returns aliases the input. Not safe for concurrent use; one
// decoder serves one frame.
type jsonDecoder struct {
	b []byte
	i int
	// binary: strings starting with NUL are decoded as base64 binaries
	// (only inside a top-level array, as the binary convention applies to
	// message lists).
	binary bool
	// binErr is the first base64 failure; it is reported only once the
	// whole frame has parsed, so a syntax error takes precedence.
	binErr error
	// stack holds the elements of the arrays being parsed; each array
	// copies its own elements out into an exactly sized slice.
	stack []any
}

// decodeJSONFast is JSON.Decode: parse the frame with jsonDecoder, then
// validate and type the list with wamp.FromList.
func decodeJSONFast(b []byte) (wamp.Message, error) {
	var scratch [16]any
	d := jsonDecoder{b: b, stack: scratch[:0]}
	d.skipSpaces()
	d.binary = d.i < len(b) && b[d.i] == '['
	v, err := d.value(1)
	if err != nil {
		return nil, err
	}
	d.skipSpaces()
	if d.i != len(b) {
		return nil, fmt.Errorf("%w: invalid JSON: trailing data after the top-level value", ErrDecode)
	}
	l, ok := v.([]any)
	if !ok {
		return nil, fmt.Errorf("%w: %w: frame is a JSON %s, not an array", ErrDecode, wamp.ErrProtocolViolation, jsonKind(v))
	}
	if d.binErr != nil {
		return nil, d.binErr
	}
	m, err := wamp.FromList(l)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrDecode, err)
	}
	return m, nil
}

func (d *jsonDecoder) syntaxErr(problem string) error {
	return fmt.Errorf("%w: invalid JSON: %s at offset %d", ErrDecode, problem, d.i)
}

func (d *jsonDecoder) skipSpaces() {
	for d.i < len(d.b) {
		switch d.b[d.i] {
		case ' ', '\t', '\n', '\r':
			d.i++
		default:
			return
		}
	}
}

// value parses the value at d.i; depth is the nesting level a list or dict
// starting here would have (the top-level value is level 1).
func (d *jsonDecoder) value(depth int) (any, error) {
	if d.i >= len(d.b) {
		return nil, d.syntaxErr("unexpected end of input")
	}
	switch c := d.b[d.i]; c {
	case '[':
		if depth > MaxNesting {
			return nil, fmt.Errorf("%w: nesting deeper than %d levels", ErrDecode, MaxNesting)
		}
		return d.array(depth)
	case '{':
		if depth > MaxNesting {
			return nil, fmt.Errorf("%w: nesting deeper than %d levels", ErrDecode, MaxNesting)
		}
		return d.object(depth)
	case '"':
		return d.stringValue()
	case 't':
		return true, d.literal("true")
	case 'f':
		return false, d.literal("false")
	case 'n':
		return nil, d.literal("null")
	default:
		if c == '-' || (c >= '0' && c <= '9') {
			return d.number()
		}
		return nil, d.syntaxErr(fmt.Sprintf("invalid character %q looking for a value", c))
	}
}

func (d *jsonDecoder) literal(word string) error {
	if len(d.b)-d.i < len(word) || string(d.b[d.i:d.i+len(word)]) != word {
		return d.syntaxErr("invalid literal, want " + word)
	}
	d.i += len(word)
	return nil
}

// stringValue parses a string value, applying the binary convention when
// enabled.
func (d *jsonDecoder) stringValue() (any, error) {
	s, err := d.str()
	if err != nil {
		return nil, err
	}
	if d.binary && len(s) > 0 && s[0] == 0 {
		bin, err := decodeBase64(s[1:])
		if err != nil {
			if d.binErr == nil {
				d.binErr = err
			}
			return nil, nil
		}
		return bin, nil
	}
	return s, nil
}

// array parses a list at d.i (which holds '[').
func (d *jsonDecoder) array(depth int) (any, error) {
	d.i++
	base := len(d.stack)
	d.skipSpaces()
	if d.i < len(d.b) && d.b[d.i] == ']' {
		d.i++
		return []any{}, nil
	}
	for {
		d.skipSpaces()
		v, err := d.value(depth + 1)
		if err != nil {
			return nil, err
		}
		d.stack = append(d.stack, v)
		d.skipSpaces()
		if d.i >= len(d.b) {
			return nil, d.syntaxErr("unexpected end of input in array")
		}
		switch d.b[d.i] {
		case ',':
			d.i++
		case ']':
			d.i++
			l := make([]any, len(d.stack)-base)
			copy(l, d.stack[base:])
			clear(d.stack[base:])
			d.stack = d.stack[:base]
			return l, nil
		default:
			return nil, d.syntaxErr("expected ',' or ']' after array element")
		}
	}
}

// object parses a dict at d.i (which holds '{').
func (d *jsonDecoder) object(depth int) (any, error) {
	d.i++
	m := make(map[string]any)
	d.skipSpaces()
	if d.i < len(d.b) && d.b[d.i] == '}' {
		d.i++
		return m, nil
	}
	for {
		d.skipSpaces()
		if d.i >= len(d.b) || d.b[d.i] != '"' {
			return nil, d.syntaxErr("expected a string object key")
		}
		k, err := d.str()
		if err != nil {
			return nil, err
		}
		d.skipSpaces()
		if d.i >= len(d.b) || d.b[d.i] != ':' {
			return nil, d.syntaxErr("expected ':' after object key")
		}
		d.i++
		d.skipSpaces()
		v, err := d.value(depth + 1)
		if err != nil {
			return nil, err
		}
		m[k] = v
		d.skipSpaces()
		if d.i >= len(d.b) {
			return nil, d.syntaxErr("unexpected end of input in object")
		}
		switch d.b[d.i] {
		case ',':
			d.i++
		case '}':
			d.i++
			return m, nil
		default:
			return nil, d.syntaxErr("expected ',' or '}' after object value")
		}
	}
}
