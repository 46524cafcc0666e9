package serialize

import (
	"encoding/binary"
	"fmt"
	"math"

	"github.com/switchboard-wamp/switchboard/core/wamp"
	"github.com/vmihailenco/msgpack/v5"
)

// MsgPack is the wamp.2.msgpack serializer (RawSocket serializer 2,
// WebSocket binary frames). Stateless; safe for concurrent use.
var MsgPack Serializer = msgpackSerializer{}

type msgpackSerializer struct{}

func (msgpackSerializer) Name() string        { return "msgpack" }
func (msgpackSerializer) SubProtocol() string { return "wamp.2.msgpack" }
func (msgpackSerializer) RawSocketID() byte   { return 2 }
func (msgpackSerializer) Binary() bool        { return true }

// Append encodes m as MessagePack and appends it to dst. See binEncoder for
// the value mapping; integers use the shortest format (non-negative values
// the unsigned ones, as msgpack-python and msgpack5 do). On error dst is
// returned unchanged (same length). m must be a non-nil pointer to one of
// package wamp's message structs; field values are not validated.
func (msgpackSerializer) Append(dst []byte, m wamp.Message) ([]byte, error) {
	return appendBinary(dst, m, formatMsgpack)
}

// Decode parses one MessagePack frame (see msgpackDecoder for the value
// mapping and the limits), requires an array with nothing after it, then
// applies wamp.FromList. The result does not alias b.
func (msgpackSerializer) Decode(b []byte) (wamp.Message, error) {
	d := msgpackDecoder{b: b}
	v, err := d.value(0)
	if err != nil {
		return nil, err
	}
	if d.i != len(b) {
		return nil, fmt.Errorf("%w: invalid msgpack: trailing data after the top-level value", ErrDecode)
	}
	l, ok := v.([]any)
	if !ok {
		return nil, fmt.Errorf("%w: %w: frame is a msgpack %s, not an array", ErrDecode, wamp.ErrProtocolViolation, valueKind(v))
	}
	m, err := wamp.FromList(dropUndefined(l))
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrDecode, err)
	}
	return m, nil
}

// valueKind names the kind of a decoded top-level value in errors.
func valueKind(v any) string {
	switch v.(type) {
	case map[string]any:
		return "map"
	case string:
		return "string"
	case []byte:
		return "binary"
	case bool:
		return "boolean"
	case nil:
		return "nil"
	case undefined:
		return "undefined"
	}
	return "number"
}

// MessagePack format codes (https://github.com/msgpack/msgpack/blob/master/spec.md).
const (
	msgpackNil     = 0xc0
	msgpackFalse   = 0xc2
	msgpackTrue    = 0xc3
	msgpackBin8    = 0xc4
	msgpackBin16   = 0xc5
	msgpackBin32   = 0xc6
	msgpackFloat32 = 0xca
	msgpackFloat64 = 0xcb
	msgpackUint8   = 0xcc
	msgpackUint16  = 0xcd
	msgpackUint32  = 0xce
	msgpackUint64  = 0xcf
	msgpackInt8    = 0xd0
	msgpackInt16   = 0xd1
	msgpackInt32   = 0xd2
	msgpackInt64   = 0xd3
	msgpackFixext1 = 0xd4
	msgpackStr8    = 0xd9
	msgpackStr16   = 0xda
	msgpackStr32   = 0xdb
	msgpackArray16 = 0xdc
	msgpackArray32 = 0xdd
	msgpackMap16   = 0xde
	msgpackMap32   = 0xdf

	maxMsgpackLen = math.MaxUint32
)

func appendMsgpackUint(b []byte, u uint64) []byte {
	switch {
	case u < 0x80:
		return append(b, byte(u))
	case u <= math.MaxUint8:
		return append(b, msgpackUint8, byte(u))
	case u <= math.MaxUint16:
		return binary.BigEndian.AppendUint16(append(b, msgpackUint16), uint16(u))
	case u <= math.MaxUint32:
		return binary.BigEndian.AppendUint32(append(b, msgpackUint32), uint32(u))
	}
	return binary.BigEndian.AppendUint64(append(b, msgpackUint64), u)
}

func appendMsgpackInt(b []byte, i int64) []byte {
	switch {
	case i >= 0:
		return appendMsgpackUint(b, uint64(i))
	case i >= -32:
		return append(b, byte(i)) // negative fixint 0xe0..0xff
	case i >= math.MinInt8:
		return append(b, msgpackInt8, byte(i))
	case i >= math.MinInt16:
		return binary.BigEndian.AppendUint16(append(b, msgpackInt16), uint16(i))
	case i >= math.MinInt32:
		return binary.BigEndian.AppendUint32(append(b, msgpackInt32), uint32(i))
	}
	return binary.BigEndian.AppendUint64(append(b, msgpackInt64), uint64(i))
}

func appendMsgpackFloat64(b []byte, f float64) []byte {
	return binary.BigEndian.AppendUint64(append(b, msgpackFloat64), math.Float64bits(f))
}

func appendMsgpackFloat32(b []byte, f float32) []byte {
	return binary.BigEndian.AppendUint32(append(b, msgpackFloat32), math.Float32bits(f))
}

func appendMsgpackBool(b []byte, v bool) []byte {
	if v {
		return append(b, msgpackTrue)
	}
	return append(b, msgpackFalse)
}

// appendMsgpackLen appends a header of one of three sizes: fix (when fixMax
// > 0 and n < fixMax, fixBase|n), 8-bit (when code8 != 0), 16-bit, 32-bit.
func appendMsgpackLen(b []byte, n uint32, fixBase byte, fixMax uint32, code8, code16, code32 byte) []byte {
	switch {
	case n < fixMax:
		return append(b, fixBase|byte(n))
	case code8 != 0 && n <= math.MaxUint8:
		return append(b, code8, byte(n))
	case n <= math.MaxUint16:
		return binary.BigEndian.AppendUint16(append(b, code16), uint16(n))
	}
	return binary.BigEndian.AppendUint32(append(b, code32), n)
}

func appendMsgpackStrHeader(b []byte, n uint32) []byte {
	return appendMsgpackLen(b, n, 0xa0, 32, msgpackStr8, msgpackStr16, msgpackStr32)
}

func appendMsgpackBinHeader(b []byte, n uint32) []byte {
	return appendMsgpackLen(b, n, 0, 0, msgpackBin8, msgpackBin16, msgpackBin32)
}

func appendMsgpackArrayHeader(b []byte, n uint32) []byte {
	return appendMsgpackLen(b, n, 0x90, 16, 0, msgpackArray16, msgpackArray32)
}

func appendMsgpackMapHeader(b []byte, n uint32) []byte {
	return appendMsgpackLen(b, n, 0x80, 16, 0, msgpackMap16, msgpackMap32)
}

// msgpackFallback encodes a value of a type binEncoder does not know with
// github.com/vmihailenco/msgpack (pooled encoder): map keys sorted, compact
// integers, struct field names from `msgpack` tags, else `json` tags.
// Note: the library writes time.Time nested in such values as the msgpack
// timestamp extension, which this package's decoder rejects.
func (e *binEncoder) msgpackFallback(v any) {
	w := &sliceWriter{b: e.b}
	enc := msgpack.GetEncoder()
	defer msgpack.PutEncoder(enc)
	enc.Reset(w)
	enc.SetSortMapKeys(true)
	enc.UseCompactInts(true)
	enc.SetCustomStructTag("json")
	if err := enc.Encode(v); err != nil {
		e.fail(fallbackError("msgpack", v, err))
		return
	}
	e.b = w.b
}
