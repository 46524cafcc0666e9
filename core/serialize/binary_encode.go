package serialize

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/switchboard-wamp/switchboard/core/wamp"
)

// binFormat selects the wire format of a binEncoder.
type binFormat uint8

const (
	formatMsgpack binFormat = iota
	formatCBOR
)

// binEncoder appends msgpack or CBOR without reflection. Both formats have
// the same data model (arrays and maps with a count prefix, integers,
// floats, text, binary, bool, nil), so the message layout and the value
// mapping are shared and only the primitive appenders differ.
//
// Value mapping: nil; bool; every int and uint kind, wamp.ID and wamp.Type
// as the shortest integer; float64 as an 8-byte float and float32 as a
// 4-byte float (NaN and ±Inf are written as such; JSON cannot carry them);
// string and wamp.URI as text (invalid UTF-8 bytes each become U+FFFD, as
// in the JSON encoder); []byte as binary; []any and map[string]any (keys
// sorted: bytewise for msgpack, length first then bytewise for CBOR, i.e.
// RFC 8949 core deterministic order); time.Time as RFC 3339 text with
// nanoseconds (as encoding/json writes it); json.Number as an integer if it
// is one in the int64 range, else as a float64. Other types (structs,
// []string, map[string]string, ...) fall back to the format's library
// (vmihailenco/msgpack, fxamacker/cbor) with sorted map keys and struct
// field names taken from `json` tags. The first error sticks.
type binEncoder struct {
	b      []byte
	err    error
	format binFormat
}

var errEncodeLength = errors.New("serialize: value too long for the format (more than 2^32-1 bytes or elements)")

func (e *binEncoder) fail(err error) {
	if e.err == nil {
		e.err = err
	}
}

// head starts a message list of n elements, type code included.
func (e *binEncoder) head(t wamp.Type, n int) {
	e.arrayHeader(n)
	e.uint(uint64(t))
}

func (e *binEncoder) id(id wamp.ID) { e.uint(uint64(id)) }

func (e *binEncoder) dict(d wamp.Dict) { e.dictValue(d, 2) }

// payloadLen is the number of list elements the optional Arguments and
// ArgumentsKw take, consistent with wamp.ToList.
func payloadLen(args wamp.List, kwargs wamp.Dict) int {
	withArgs, withKwargs := wamp.HasPayload(args, kwargs)
	n := 0
	if withArgs {
		n++
	}
	if withKwargs {
		n++
	}
	return n
}

// payload appends the optional Arguments and ArgumentsKw, consistent with
// wamp.ToList (Arguments is written as [] when only ArgumentsKw is set).
func (e *binEncoder) payload(args wamp.List, kwargs wamp.Dict) {
	withArgs, withKwargs := wamp.HasPayload(args, kwargs)
	if withArgs {
		e.listValue(args, 2)
	}
	if withKwargs {
		e.dictValue(kwargs, 2)
	}
}

// value appends v at nesting level depth (the message list is level 1).
func (e *binEncoder) value(v any, depth int) {
	switch x := v.(type) {
	case nil:
		e.null()
	case string:
		e.str(x)
	case int64:
		e.int(x)
	case float64:
		e.float64(x)
	case bool:
		e.bool(x)
	case map[string]any:
		e.dictValue(x, depth)
	case []any:
		e.listValue(x, depth)
	case []byte:
		e.bin(x)
	case uint64:
		e.uint(x)
	case int:
		e.int(int64(x))
	case wamp.ID:
		e.uint(uint64(x))
	case wamp.URI:
		e.str(string(x))
	default:
		e.otherValue(v)
	}
}

// otherValue handles the less common kinds, then falls back to the library.
func (e *binEncoder) otherValue(v any) {
	switch x := v.(type) {
	case int8:
		e.int(int64(x))
	case int16:
		e.int(int64(x))
	case int32:
		e.int(int64(x))
	case uint:
		e.uint(uint64(x))
	case uint8:
		e.uint(uint64(x))
	case uint16:
		e.uint(uint64(x))
	case uint32:
		e.uint(uint64(x))
	case uintptr:
		e.uint(uint64(x))
	case float32:
		e.float32(x)
	case wamp.Type:
		e.uint(uint64(x))
	case time.Time:
		e.str(x.Format(time.RFC3339Nano))
	case decimalNumber:
		e.decimal(x)
	default:
		if e.format == formatCBOR {
			e.cborFallback(v)
		} else {
			e.msgpackFallback(v)
		}
	}
}

// decimalNumber is satisfied by json.Number (and segmentio's): a number
// kept as its decimal text, which JSON writes as a number literal.
type decimalNumber interface {
	Int64() (int64, error)
	Float64() (float64, error)
}

// decimal writes a decimalNumber as an integer when it is one in the int64
// range, else as a float64, i.e. as the JSON decoder would read the literal.
func (e *binEncoder) decimal(n decimalNumber) {
	if i, err := n.Int64(); err == nil {
		e.int(i)
		return
	}
	f, err := n.Float64()
	if err != nil {
		e.fail(fmt.Errorf("serialize: cannot encode %T %v as a number: %w", n, n, err))
		return
	}
	e.float64(f)
}

func (e *binEncoder) listValue(l []any, depth int) {
	if depth > MaxNesting {
		e.fail(errNesting)
		return
	}
	e.arrayHeader(len(l))
	for _, v := range l {
		e.value(v, depth+1)
	}
}

// dictValue appends d with its keys in the format's sorted order, so that
// equal dicts encode to equal bytes.
func (e *binEncoder) dictValue(d map[string]any, depth int) {
	if depth > MaxNesting {
		e.fail(errNesting)
		return
	}
	e.mapHeader(len(d))
	if len(d) == 1 {
		for k, v := range d {
			e.str(k)
			e.value(v, depth+1)
		}
		return
	}
	if len(d) == 0 {
		return
	}
	var small [16]keyValue
	kvs := small[:0]
	for k, v := range d {
		kvs = append(kvs, keyValue{k, v})
	}
	if e.format == formatCBOR {
		sortKeyValuesLengthFirst(kvs)
	} else {
		sortKeyValues(kvs)
	}
	for _, kv := range kvs {
		e.str(kv.k)
		e.value(kv.v, depth+1)
	}
}

// sortKeyValuesLengthFirst sorts shorter keys first and equal lengths
// bytewise: for text keys this is the bytewise order of their CBOR
// encodings (RFC 8949 §4.2.1).
func sortKeyValuesLengthFirst(kvs []keyValue) {
	less := func(a, b string) bool {
		if len(a) != len(b) {
			return len(a) < len(b)
		}
		return a < b
	}
	if len(kvs) > 12 {
		slices.SortFunc(kvs, func(a, b keyValue) int {
			if len(a.k) != len(b.k) {
				return len(a.k) - len(b.k)
			}
			return strings.Compare(a.k, b.k)
		})
		return
	}
	for i := 1; i < len(kvs); i++ {
		for j := i; j > 0 && less(kvs[j].k, kvs[j-1].k); j-- {
			kvs[j], kvs[j-1] = kvs[j-1], kvs[j]
		}
	}
}

// validText returns s, with each byte of invalid UTF-8 replaced by U+FFFD
// (both formats require valid UTF-8 in text).
func validText(s string) string {
	if utf8.ValidString(s) {
		return s
	}
	var sb strings.Builder
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			sb.WriteString("\uFFFD")
		} else {
			sb.WriteString(s[i : i+size])
		}
		i += size
	}
	return sb.String()
}

// sliceWriter is the io.Writer through which the fallback libraries append
// to the encoder's buffer.
type sliceWriter struct{ b []byte }

func (w *sliceWriter) Write(p []byte) (int, error) {
	w.b = append(w.b, p...)
	return len(p), nil
}

func (w *sliceWriter) WriteByte(c byte) error {
	w.b = append(w.b, c)
	return nil
}

func fallbackError(format string, v any, err error) error {
	return fmt.Errorf("serialize: cannot encode %T as %s: %w", v, format, err)
}

// The primitive appenders dispatch on the format; the branch is perfectly
// predictable within one Append.

func (e *binEncoder) arrayHeader(n int) {
	if e.format == formatCBOR {
		e.b = appendCBORHead(e.b, cborArray, uint64(n))
		return
	}
	if uint64(n) > maxMsgpackLen {
		e.fail(errEncodeLength)
		return
	}
	e.b = appendMsgpackArrayHeader(e.b, uint32(n))
}

func (e *binEncoder) mapHeader(n int) {
	if e.format == formatCBOR {
		e.b = appendCBORHead(e.b, cborMap, uint64(n))
		return
	}
	if uint64(n) > maxMsgpackLen {
		e.fail(errEncodeLength)
		return
	}
	e.b = appendMsgpackMapHeader(e.b, uint32(n))
}

func (e *binEncoder) uint(u uint64) {
	if e.format == formatCBOR {
		e.b = appendCBORHead(e.b, cborUint, u)
		return
	}
	e.b = appendMsgpackUint(e.b, u)
}

func (e *binEncoder) int(i int64) {
	if e.format == formatCBOR {
		e.b = appendCBORInt(e.b, i)
		return
	}
	e.b = appendMsgpackInt(e.b, i)
}

func (e *binEncoder) float64(f float64) {
	if e.format == formatCBOR {
		e.b = appendCBORFloat64(e.b, f)
		return
	}
	e.b = appendMsgpackFloat64(e.b, f)
}

func (e *binEncoder) float32(f float32) {
	if e.format == formatCBOR {
		e.b = appendCBORFloat32(e.b, f)
		return
	}
	e.b = appendMsgpackFloat32(e.b, f)
}

func (e *binEncoder) str(s string) {
	s = validText(s)
	if e.format == formatCBOR {
		e.b = appendCBORHead(e.b, cborText, uint64(len(s)))
		e.b = append(e.b, s...)
		return
	}
	if uint64(len(s)) > maxMsgpackLen {
		e.fail(errEncodeLength)
		return
	}
	e.b = appendMsgpackStrHeader(e.b, uint32(len(s)))
	e.b = append(e.b, s...)
}

func (e *binEncoder) bin(b []byte) {
	if e.format == formatCBOR {
		e.b = appendCBORHead(e.b, cborBytes, uint64(len(b)))
		e.b = append(e.b, b...)
		return
	}
	if uint64(len(b)) > maxMsgpackLen {
		e.fail(errEncodeLength)
		return
	}
	e.b = appendMsgpackBinHeader(e.b, uint32(len(b)))
	e.b = append(e.b, b...)
}

func (e *binEncoder) bool(v bool) {
	if e.format == formatCBOR {
		e.b = appendCBORBool(e.b, v)
		return
	}
	e.b = appendMsgpackBool(e.b, v)
}

func (e *binEncoder) null() {
	if e.format == formatCBOR {
		e.b = append(e.b, cborNull)
		return
	}
	e.b = append(e.b, msgpackNil)
}
