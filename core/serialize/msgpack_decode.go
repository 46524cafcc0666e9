package serialize

import (
	"encoding/binary"
	"fmt"
	"math"
	"unicode/utf8"

	"github.com/switchboard-wamp/switchboard/core/wamp"
)

// msgpackDecoder parses MessagePack from a byte slice into the package's
// value representation, in one pass and without reflection:
//
//   - every integer format gives int64, except unsigned values above
//     math.MaxInt64 (uint64 format), which stay uint64;
//   - float32 and float64 give float64 (NaN and ±Inf included);
//   - str gives string (must be valid UTF-8), bin gives []byte (a copy);
//   - arrays give []any, maps map[string]any (keys must be str, else a
//     protocol violation; a repeated key keeps its last value);
//   - nil, true, false as such;
//   - JavaScript's undefined as msgpackr and wampy write it (fixext 1 of
//     type 0 with the data byte 0: d4 00 00) counts as absent: a map entry
//     holding it is dropped, trailing ones in the top-level message array
//     are dropped (an absent Arguments or ArgumentsKw), and anywhere else
//     in an array it is nil (see undefinedValue);
//   - every other ext type and the unused code 0xc1 fail.
//
// Limits, so that a small hostile frame cannot make it allocate or recurse
// much: arrays and maps nest at most MaxNesting deep (the top level is level
// 1); a declared length must fit in the bytes that remain (at least one byte
// per array element, two per map pair, one per str or bin byte), and the
// capacities reserved from declared counts add up to at most the input
// length (presize), so a hostile frame cannot make nested containers each
// reserve the whole remaining length. A valid frame never exhausts that
// budget: it holds at least one byte per element.
//
// github.com/vmihailenco/msgpack/v5 (v5.4.1) is not used for decoding: its
// interface decoding allocates by the declared length without a limit
// (make([]interface{}, 0, n) for array32; 4 GB for a 7-byte frame,
// measured), has no nesting limit, turns bin into string in loose mode and
// gives int8/uint32/... in strict mode, so it would need a validating
// pre-scan and a normalising post-pass around it.
type msgpackDecoder struct {
	b []byte
	i int
	// reserved counts the container capacity granted so far (see presize).
	reserved int
	// undef is set once an undefined (d4 00 00) has been read.
	undef bool
}

// undefined is JavaScript's undefined while decoding (msgpack d4 00 00,
// CBOR simple value 23): a map entry whose value it is is dropped, in an
// array it becomes nil, except trailing elements of the top-level message
// array, which are dropped (dropUndefined). It never leaves the package.
type undefined struct{}

// undefinedValue is the one undefined value.
var undefinedValue any = undefined{}

// dropUndefined finishes a top-level message array holding undefined
// elements: trailing ones are dropped, so that an undefined Arguments or
// ArgumentsKw is absent, and the others become nil.
func dropUndefined(l []any) []any {
	for len(l) > 0 && l[len(l)-1] == undefinedValue {
		l = l[:len(l)-1]
	}
	for i, v := range l {
		if v == undefinedValue {
			l[i] = nil
		}
	}
	return l
}

// presize returns the capacity to reserve for a container declaring n
// elements: n while the total reserved stays within len(d.b), else what is
// left of that (appending grows the container beyond it if needed).
func (d *msgpackDecoder) presize(n int) int {
	n = min(n, len(d.b)-d.reserved)
	d.reserved += n
	return n
}

var (
	errMsgpackTruncated = fmt.Errorf("%w: invalid msgpack: unexpected end of data", ErrDecode)
	errMsgpackUTF8      = fmt.Errorf("%w: invalid msgpack: str is not valid UTF-8", ErrDecode)
	errMsgpackNesting   = fmt.Errorf("%w: nesting deeper than %d levels", ErrDecode, MaxNesting)
	errMsgpackMapKey    = fmt.Errorf("%w: %w: msgpack map key is not a str", ErrDecode, wamp.ErrProtocolViolation)
)

// take returns the next n bytes, or fails if fewer remain.
func (d *msgpackDecoder) take(n int) ([]byte, error) {
	if n < 0 || n > len(d.b)-d.i {
		return nil, errMsgpackTruncated
	}
	s := d.b[d.i : d.i+n]
	d.i += n
	return s, nil
}

// uintN reads a big-endian unsigned integer of size bytes (1, 2, 4, 8).
func (d *msgpackDecoder) uintN(size int) (uint64, error) {
	s, err := d.take(size)
	if err != nil {
		return 0, err
	}
	switch size {
	case 1:
		return uint64(s[0]), nil
	case 2:
		return uint64(binary.BigEndian.Uint16(s)), nil
	case 4:
		return uint64(binary.BigEndian.Uint32(s)), nil
	}
	return binary.BigEndian.Uint64(s), nil
}

// length reads a length field of size bytes.
func (d *msgpackDecoder) length(size int) (int, error) {
	n, err := d.uintN(size)
	return int(n), err // at most 2^32-1: fits an int on 64-bit and is checked by take
}

// value decodes one value; depth is the number of enclosing containers.
func (d *msgpackDecoder) value(depth int) (any, error) {
	if d.i >= len(d.b) {
		return nil, errMsgpackTruncated
	}
	c := d.b[d.i]
	d.i++
	switch {
	case c < 0x80: // positive fixint
		return int64(c), nil
	case c >= 0xe0: // negative fixint
		return int64(int8(c)), nil
	case c >= 0xa0 && c <= 0xbf: // fixstr
		return d.str(int(c & 0x1f))
	case c >= 0x90 && c <= 0x9f: // fixarray
		return d.array(int(c&0x0f), depth)
	case c <= 0x8f: // fixmap
		return d.dict(int(c&0x0f), depth)
	}
	switch c {
	case msgpackNil:
		return nil, nil
	case msgpackFalse:
		return false, nil
	case msgpackTrue:
		return true, nil
	case msgpackUint8, msgpackUint16, msgpackUint32, msgpackUint64:
		u, err := d.uintN(1 << (c - msgpackUint8))
		if err != nil {
			return nil, err
		}
		if u > math.MaxInt64 {
			return u, nil
		}
		return int64(u), nil
	case msgpackInt8, msgpackInt16, msgpackInt32, msgpackInt64:
		return d.int(1 << (c - msgpackInt8))
	case msgpackFloat32:
		u, err := d.uintN(4)
		return float64(math.Float32frombits(uint32(u))), err
	case msgpackFloat64:
		u, err := d.uintN(8)
		return math.Float64frombits(u), err
	case msgpackFixext1:
		if len(d.b)-d.i >= 2 && d.b[d.i] == 0 && d.b[d.i+1] == 0 {
			d.i += 2
			d.undef = true
			return undefinedValue, nil
		}
	}
	return d.sized(c, depth)
}

// int reads a signed integer of size bytes.
func (d *msgpackDecoder) int(size int) (any, error) {
	u, err := d.uintN(size)
	if err != nil {
		return nil, err
	}
	switch size {
	case 1:
		return int64(int8(u)), nil
	case 2:
		return int64(int16(u)), nil
	case 4:
		return int64(int32(u)), nil
	}
	return int64(u), nil
}

// sized decodes the str, bin, array and map formats with a length field,
// and rejects the rest.
func (d *msgpackDecoder) sized(c byte, depth int) (any, error) {
	var size int
	switch c {
	case msgpackStr8, msgpackBin8:
		size = 1
	case msgpackStr16, msgpackBin16, msgpackArray16, msgpackMap16:
		size = 2
	case msgpackStr32, msgpackBin32, msgpackArray32, msgpackMap32:
		size = 4
	case 0xc1:
		return nil, fmt.Errorf("%w: invalid msgpack: never-used code 0xc1", ErrDecode)
	default: // 0xc7..0xc9, 0xd4..0xd8
		return nil, fmt.Errorf("%w: invalid msgpack: extension type (code %#x) not supported", ErrDecode, c)
	}
	n, err := d.length(size)
	if err != nil {
		return nil, err
	}
	switch c {
	case msgpackStr8, msgpackStr16, msgpackStr32:
		return d.str(n)
	case msgpackBin8, msgpackBin16, msgpackBin32:
		s, err := d.take(n)
		if err != nil {
			return nil, err
		}
		return append(make([]byte, 0, n), s...), nil
	case msgpackArray16, msgpackArray32:
		return d.array(n, depth)
	}
	return d.dict(n, depth)
}

func (d *msgpackDecoder) str(n int) (any, error) {
	s, err := d.take(n)
	if err != nil {
		return nil, err
	}
	if !utf8.Valid(s) {
		return nil, errMsgpackUTF8
	}
	return string(s), nil
}

func (d *msgpackDecoder) array(n, depth int) (any, error) {
	if depth >= MaxNesting {
		return nil, errMsgpackNesting
	}
	if n > len(d.b)-d.i {
		return nil, errMsgpackTruncated
	}
	l := make([]any, 0, d.presize(n))
	for range n {
		v, err := d.value(depth + 1)
		if err != nil {
			return nil, err
		}
		if v == undefinedValue && depth > 0 {
			v = nil // the top level's are left to dropUndefined
		}
		l = append(l, v)
	}
	return l, nil
}

func (d *msgpackDecoder) dict(n, depth int) (any, error) {
	if depth >= MaxNesting {
		return nil, errMsgpackNesting
	}
	if n > (len(d.b)-d.i)/2 {
		return nil, errMsgpackTruncated
	}
	m := make(map[string]any, d.presize(n))
	for range n {
		k, err := d.key()
		if err != nil {
			return nil, err
		}
		v, err := d.value(depth + 1)
		if err != nil {
			return nil, err
		}
		if v == undefinedValue {
			delete(m, k) // absent, even after an earlier value for k
			continue
		}
		m[k] = v
	}
	return m, nil
}

// key decodes a map key, which must be a str.
func (d *msgpackDecoder) key() (string, error) {
	if d.i >= len(d.b) {
		return "", errMsgpackTruncated
	}
	c := d.b[d.i]
	var n int
	switch {
	case c >= 0xa0 && c <= 0xbf:
		d.i++
		n = int(c & 0x1f)
	case c == msgpackStr8 || c == msgpackStr16 || c == msgpackStr32:
		d.i++
		var err error
		if n, err = d.length(1 << (c - msgpackStr8)); err != nil {
			return "", err
		}
	default:
		return "", errMsgpackMapKey
	}
	s, err := d.take(n)
	if err != nil {
		return "", err
	}
	if !utf8.Valid(s) {
		return "", errMsgpackUTF8
	}
	return string(s), nil
}
