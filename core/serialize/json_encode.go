package serialize

import (
	"encoding/base64"
	"errors"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/segmentio/encoding/json"
	"github.com/switchboard-wamp/switchboard/core/wamp"
)

// Append encodes m as compact JSON and appends it to dst. See jsonEncoder
// for the value mapping. On error dst is returned unchanged (same length).
// m must be a non-nil pointer to one of package wamp's message structs;
// field values are not validated (an ID of 0 is written as 0).
func (jsonSerializer) Append(dst []byte, m wamp.Message) ([]byte, error) {
	e := jsonEncoder{b: dst}
	e.message(m)
	if e.err != nil {
		return dst, e.err
	}
	return e.b, nil
}

// jsonEncoder appends JSON without reflection for the value types decoders
// produce and the common Go kinds: nil, bool, every int and uint kind,
// float32/64 (NaN and ±Inf are errors; integral floats get a ".0" so they
// decode as floats again), string (escaped like encoding/json without HTML
// escaping; invalid UTF-8 becomes U+FFFD), []byte (WAMP binary convention),
// []any, map[string]any (keys sorted), wamp.ID, wamp.URI and wamp.Type.
// Other types (structs, []string, map[string]string, json.Marshaler, ...)
// fall back to github.com/segmentio/encoding/json with sorted map keys; a
// []byte inside such a value is plain base64, not the WAMP convention.
// The first error sticks.
type jsonEncoder struct {
	b   []byte
	err error
}

func (e *jsonEncoder) fail(err error) {
	if e.err == nil {
		e.err = err
	}
}

func (e *jsonEncoder) head(t wamp.Type) {
	e.b = append(e.b, '[')
	e.b = strconv.AppendUint(e.b, uint64(t), 10)
}

func (e *jsonEncoder) id(id wamp.ID) {
	e.b = append(e.b, ',')
	e.b = strconv.AppendUint(e.b, uint64(id), 10)
}

func (e *jsonEncoder) str(s string) {
	e.b = append(e.b, ',')
	e.b = appendJSONString(e.b, s)
}

func (e *jsonEncoder) dict(d wamp.Dict) {
	e.b = append(e.b, ',')
	e.dictValue(d, 2)
}

// payload appends the optional Arguments and ArgumentsKw, consistent with
// wamp.ToList (Arguments is written as [] when only ArgumentsKw is set).
func (e *jsonEncoder) payload(args wamp.List, kwargs wamp.Dict) {
	withArgs, withKwargs := wamp.HasPayload(args, kwargs)
	if withArgs {
		e.b = append(e.b, ',')
		e.listValue(args, 2)
	}
	if withKwargs {
		e.b = append(e.b, ',')
		e.dictValue(kwargs, 2)
	}
}

// value appends v at nesting level depth (the message list is level 1).
func (e *jsonEncoder) value(v any, depth int) {
	switch x := v.(type) {
	case nil:
		e.b = append(e.b, "null"...)
	case string:
		e.b = appendJSONString(e.b, x)
	case int64:
		e.b = strconv.AppendInt(e.b, x, 10)
	case float64:
		e.float(x, 64)
	case bool:
		e.b = strconv.AppendBool(e.b, x)
	case map[string]any:
		e.dictValue(x, depth)
	case []any:
		e.listValue(x, depth)
	case []byte:
		e.b = append(e.b, `"\u0000`...)
		e.b = base64.StdEncoding.AppendEncode(e.b, x)
		e.b = append(e.b, '"')
	case uint64:
		e.b = strconv.AppendUint(e.b, x, 10)
	case int:
		e.b = strconv.AppendInt(e.b, int64(x), 10)
	case wamp.ID:
		e.b = strconv.AppendUint(e.b, uint64(x), 10)
	case wamp.URI:
		e.b = appendJSONString(e.b, string(x))
	default:
		e.otherValue(v)
	}
}

// otherValue handles the less common kinds, then falls back to reflection.
func (e *jsonEncoder) otherValue(v any) {
	switch x := v.(type) {
	case int8:
		e.b = strconv.AppendInt(e.b, int64(x), 10)
	case int16:
		e.b = strconv.AppendInt(e.b, int64(x), 10)
	case int32:
		e.b = strconv.AppendInt(e.b, int64(x), 10)
	case uint:
		e.b = strconv.AppendUint(e.b, uint64(x), 10)
	case uint8:
		e.b = strconv.AppendUint(e.b, uint64(x), 10)
	case uint16:
		e.b = strconv.AppendUint(e.b, uint64(x), 10)
	case uint32:
		e.b = strconv.AppendUint(e.b, uint64(x), 10)
	case uintptr:
		e.b = strconv.AppendUint(e.b, uint64(x), 10)
	case float32:
		e.float(float64(x), 32)
	case wamp.Type:
		e.b = strconv.AppendUint(e.b, uint64(x), 10)
	default:
		b, err := json.Append(e.b, v, json.SortMapKeys)
		if err != nil {
			e.fail(fmt.Errorf("serialize: cannot encode %T as JSON: %w", v, err))
			return
		}
		e.b = b
	}
}

var errNesting = errors.New("serialize: value nests deeper than MaxNesting")

func (e *jsonEncoder) listValue(l []any, depth int) {
	if depth > MaxNesting {
		e.fail(errNesting)
		return
	}
	e.b = append(e.b, '[')
	for i, v := range l {
		if i > 0 {
			e.b = append(e.b, ',')
		}
		e.value(v, depth+1)
	}
	e.b = append(e.b, ']')
}

// dictValue appends d with its keys in sorted order, so that equal dicts
// encode to equal bytes.
func (e *jsonEncoder) dictValue(d map[string]any, depth int) {
	if depth > MaxNesting {
		e.fail(errNesting)
		return
	}
	switch len(d) {
	case 0:
		e.b = append(e.b, "{}"...)
		return
	case 1:
		for k, v := range d {
			e.b = append(e.b, '{')
			e.b = appendJSONString(e.b, k)
			e.b = append(e.b, ':')
			e.value(v, depth+1)
			e.b = append(e.b, '}')
		}
		return
	}
	var small [16]keyValue
	kvs := small[:0]
	for k, v := range d {
		kvs = append(kvs, keyValue{k, v})
	}
	sortKeyValues(kvs)
	e.b = append(e.b, '{')
	for i, kv := range kvs {
		if i > 0 {
			e.b = append(e.b, ',')
		}
		e.b = appendJSONString(e.b, kv.k)
		e.b = append(e.b, ':')
		e.value(kv.v, depth+1)
	}
	e.b = append(e.b, '}')
}

type keyValue struct {
	k string
	v any
}

// sortKeyValues sorts by key: insertion sort for the usual handful of
// options, the standard library beyond that.
func sortKeyValues(kvs []keyValue) {
	if len(kvs) > 12 {
		slices.SortFunc(kvs, func(a, b keyValue) int { return strings.Compare(a.k, b.k) })
		return
	}
	for i := 1; i < len(kvs); i++ {
		for j := i; j > 0 && kvs[j].k < kvs[j-1].k; j-- {
			kvs[j], kvs[j-1] = kvs[j-1], kvs[j]
		}
	}
}

// float appends f as encoding/json would (shortest representation, 'e'
// notation outside [1e-6, 1e21)), plus ".0" when that looks like an integer,
// so the value decodes as a float again.
func (e *jsonEncoder) float(f float64, bits int) {
	if math.IsNaN(f) || math.IsInf(f, 0) {
		e.fail(fmt.Errorf("serialize: cannot encode %v as JSON", f))
		return
	}
	format := byte('f')
	if abs := math.Abs(f); abs != 0 {
		if bits == 64 && (abs < 1e-6 || abs >= 1e21) ||
			bits == 32 && (float32(abs) < 1e-6 || float32(abs) >= 1e21) {
			format = 'e'
		}
	}
	start := len(e.b)
	e.b = strconv.AppendFloat(e.b, f, format, -1, bits)
	if format == 'e' {
		// Shorten e-09 to e-9, as encoding/json does.
		n := len(e.b)
		if n-start >= 4 && e.b[n-4] == 'e' && e.b[n-3] == '-' && e.b[n-2] == '0' {
			e.b[n-2] = e.b[n-1]
			e.b = e.b[:n-1]
		}
		return
	}
	for _, c := range e.b[start:] {
		if c == '.' {
			return
		}
	}
	e.b = append(e.b, ".0"...)
}

const hexDigits = "0123456789abcdef"

// appendJSONString appends s as a quoted JSON string: '"' and '\\' and
// control characters are escaped (\b \f \n \r \t, else \u00XX), as are
// U+2028 and U+2029 (for JavaScript peers); each byte of invalid UTF-8
// becomes \ufffd. '<', '>' and '&' are not escaped.
func appendJSONString(b []byte, s string) []byte {
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); {
		if i += jsonPlainLenString(s[i:]); i == len(s) {
			break
		}
		c := s[i]
		if c < utf8.RuneSelf {
			b = append(b, s[start:i]...)
			b = appendEscapedASCII(b, c)
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			b = append(b, s[start:i]...)
			b = append(b, `\ufffd`...)
		case r == '\u2028' || r == '\u2029':
			b = append(b, s[start:i]...)
			b = append(b, `\u202`...)
			b = append(b, hexDigits[r&0xF])
		default:
			i += size
			continue
		}
		i += size
		start = i
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}

func appendEscapedASCII(b []byte, c byte) []byte {
	switch c {
	case '"', '\\':
		return append(b, '\\', c)
	case '\b':
		return append(b, '\\', 'b')
	case '\f':
		return append(b, '\\', 'f')
	case '\n':
		return append(b, '\\', 'n')
	case '\r':
		return append(b, '\\', 'r')
	case '\t':
		return append(b, '\\', 't')
	}
	return append(b, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xF])
}
