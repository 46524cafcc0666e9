package serialize

import (
	"fmt"
	"strconv"

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
//   - a number with a fraction or exponent where the message has an ID (or
//     its type code, or ERROR's request type) is a protocol violation, even
//     when integral (1.0, 1e3): see floatIDError;
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
	// floats is set when some number of the frame became a float64.
	floats bool
}

// decodeJSONFast is JSON.Decode: parse the frame with jsonDecoder, building
// the message from the top-level elements (see buildMessage). Errors come in
// the order of the former path: syntax and nesting, then a non-array frame,
// then bad base64, then message validation.
func decodeJSONFast(b []byte) (wamp.Message, error) {
	d := jsonDecoder{b: b}
	d.skipSpaces()
	if d.i >= len(b) || b[d.i] != '[' {
		v, err := d.value(1)
		if err != nil {
			return nil, err
		}
		if err := d.end(); err != nil {
			return nil, err
		}
		return nil, fmt.Errorf("%w: %w: frame is a JSON %s, not an array", ErrDecode, wamp.ErrProtocolViolation, jsonKind(v))
	}
	d.binary = true
	var env [maxEnvelope]jsonElem
	n, extra, err := d.envelope(&env)
	if err != nil {
		return nil, err
	}
	if err := d.end(); err != nil {
		return nil, err
	}
	if d.binErr != nil {
		return nil, d.binErr
	}
	m, err := buildMessage(&env, n, extra)
	if err == nil && d.floats {
		err = floatIDError(m, &env, n)
	}
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrDecode, err)
	}
	return m, nil
}

// floatIDError refuses a message (which wamp.FromList accepted) that has an
// ID written as a JSON number with a fraction or exponent: at the top level
// (where every number FromList accepts is an integer: the type code, IDs,
// ERROR's request type) or in a well-known ID-valued option or detail
// (wamp.FloatIDOption). wamp.ToID accepts integral floats below 2^53, for
// msgpack and CBOR peers whose encoders write large integers as float64;
// JSON peers write integers as integer literals, and a decimal fraction may
// have been rounded by parsing (1.0000000000000001 parses as 1), so a JSON
// float is never taken as an ID. Called only for frames holding a float.
func floatIDError(m wamp.Message, env *[maxEnvelope]jsonElem, n int) error {
	for i := range min(n, maxEnvelope) {
		if f, ok := env[i].v.(float64); ok && env[i].kind == elemAny {
			return fmt.Errorf("%w: %s: element %d: integer written as a JSON number with a fraction or exponent (%s)",
				wamp.ErrProtocolViolation, m.Type(), i, strconv.FormatFloat(f, 'g', -1, 64))
		}
	}
	if key := wamp.FloatIDOption(m); key != "" {
		return fmt.Errorf("%w: %s: %s: ID written as a JSON number with a fraction or exponent",
			wamp.ErrProtocolViolation, m.Type(), key)
	}
	return nil
}

// end checks that only whitespace follows the top-level value.
func (d *jsonDecoder) end() error {
	d.skipSpaces()
	if d.i != len(d.b) {
		return fmt.Errorf("%w: invalid JSON: trailing data after the top-level value", ErrDecode)
	}
	return nil
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
	if v, ok := d.binaryOf(s); ok {
		return v, nil
	}
	return s, nil
}

// binaryOf reports whether s is a binary value (binary convention enabled
// and s starts with NUL) and returns its bytes. A base64 failure is
// recorded in d.binErr, with a nil value.
func (d *jsonDecoder) binaryOf(s string) (any, bool) {
	if !d.binary || len(s) == 0 || s[0] != 0 {
		return nil, false
	}
	bin, err := decodeBase64(s[1:])
	if err != nil {
		if d.binErr == nil {
			d.binErr = err
		}
		return nil, true
	}
	return bin, true
}

// emptyJSONList is the value of every empty JSON array. Sharing it is safe:
// with length and capacity 0 it cannot be written through, and appending
// to it allocates.
var (
	emptyJSONSlice     = make([]any, 0)
	emptyJSONList  any = emptyJSONSlice
)

// array parses a list at d.i (which holds '[') into a value.
func (d *jsonDecoder) array(depth int) (any, error) {
	l, err := d.list(depth)
	switch {
	case err != nil:
		return nil, err
	case len(l) == 0:
		return emptyJSONList, nil // boxed once
	}
	return l, nil
}

// list parses a list at d.i (which holds '['); the top-level array's
// elements (Arguments) are kept as the slice, never boxed.
func (d *jsonDecoder) list(depth int) ([]any, error) {
	d.i++
	d.skipSpaces()
	if d.i < len(d.b) && d.b[d.i] == ']' {
		d.i++
		return emptyJSONSlice, nil
	}
	var buf [8]any
	elems := buf[:0]
	for {
		d.skipSpaces()
		v, err := d.value(depth + 1)
		if err != nil {
			return nil, err
		}
		elems = append(elems, v)
		d.skipSpaces()
		if d.i >= len(d.b) {
			return nil, d.syntaxErr("unexpected end of input in array")
		}
		switch d.b[d.i] {
		case ',':
			d.i++
		case ']':
			d.i++
			l := make([]any, len(elems))
			copy(l, elems)
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
		k, err := d.key()
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
