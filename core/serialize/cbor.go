package serialize

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"math"
	"reflect"

	"github.com/fxamacker/cbor/v2"
	"github.com/switchboard-wamp/switchboard/core/wamp"
)

// CBOR is the wamp.2.cbor serializer (RawSocket serializer 3, WebSocket
// binary frames). Stateless; safe for concurrent use.
var CBOR Serializer = cborSerializer{}

type cborSerializer struct{}

func (cborSerializer) Name() string        { return "cbor" }
func (cborSerializer) SubProtocol() string { return "wamp.2.cbor" }
func (cborSerializer) RawSocketID() byte   { return 3 }
func (cborSerializer) Binary() bool        { return true }

// Append encodes m as CBOR and appends it to dst: definite lengths,
// shortest integer heads, map keys in RFC 8949 core deterministic order,
// float64 always as an 8-byte float (no shortest-float narrowing) and
// float32 as a 4-byte one. See binEncoder for the value mapping. On error
// dst is returned unchanged (same length). m must be a non-nil pointer to
// one of package wamp's message structs; field values are not validated.
func (cborSerializer) Append(dst []byte, m wamp.Message) ([]byte, error) {
	return appendBinary(dst, m, formatCBOR)
}

// Decode parses one CBOR frame, requires an array with nothing after it,
// then applies wamp.FromList. The result does not alias b.
//
// A pre-scan (scanCBOR) first checks the nesting depth, that declared
// lengths fit in the input, that no tag is used and that every map key is a
// text string; then github.com/fxamacker/cbor/v2 decodes with cborDecMode.
// Values: integers int64 (beyond the int64 range: an error), float16/32/64
// float64, text string (valid UTF-8 required), byte strings []byte, arrays
// []any, maps map[string]any (a repeated key keeps its last value), null
// nil. Definite and indefinite lengths are both accepted.
//
// Undefined (simple value 23, f7: what JavaScript clients such as wampy
// write for an undefined value) counts as absent, as msgpack's does: a map
// entry holding it is dropped, trailing ones in the top-level message array
// are dropped, and anywhere else in an array it is nil. The library cannot
// tell undefined from null, so a frame holding undefined is decoded from a
// copy in which each is replaced by simple value 16 (f0, which scanCBOR
// refuses on the wire), with a mode that accepts it, and the marker is then
// removed (cborUndefinedFix).
func (cborSerializer) Decode(b []byte) (wamp.Message, error) {
	undef, err := scanCBOR(b)
	if err != nil {
		return nil, err
	}
	mode := cborDecMode
	if undef != nil {
		b = bytes.Clone(b)
		for _, i := range undef {
			b[i] = cborUndefinedMarker
		}
		mode = cborUndefinedDecMode
	}
	var v any
	if err := mode.Unmarshal(b, &v); err != nil {
		return nil, fmt.Errorf("%w: invalid CBOR: %v", ErrDecode, err)
	}
	if undef != nil {
		v = cborUndefinedFix(v, 0)
	}
	l, ok := v.([]any)
	if !ok {
		return nil, fmt.Errorf("%w: %w: frame is a CBOR %s, not an array", ErrDecode, wamp.ErrProtocolViolation, valueKind(v))
	}
	m, err := wamp.FromList(dropUndefined(l))
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrDecode, err)
	}
	return m, nil
}

// cborMaxElements bounds the element count of one array or map. Counts are
// already bounded by the input: fxamacker/cbor checks that the whole frame
// is well formed (every declared element present) before it allocates, and
// scanCBOR rejects a count larger than the remaining bytes. The bound is set
// above what a 16 MiB frame can hold so that CBOR accepts the same frames as
// JSON and msgpack.
const cborMaxElements = 1 << 24

// cborDecMode is the one decoding mode, built once. Tags are forbidden (WAMP
// uses none; they would decode to library types such as time.Time or
// big.Int); simple values other than false, true, null and undefined are
// rejected; integers outside the int64 range fail (IntDecConvertSignedOrFail)
// rather than turning into uint64 or big.Int.
var cborDecMode = func() cbor.DecMode {
	simple, err := cbor.NewSimpleValueRegistryFromDefaults(rejectUnassignedSimpleValues)
	if err != nil {
		panic("serialize: CBOR simple value registry: " + err.Error())
	}
	dm, err := cbor.DecOptions{
		DupMapKey:        cbor.DupMapKeyQuiet,
		MaxNestedLevels:  MaxNesting,
		MaxArrayElements: cborMaxElements,
		MaxMapPairs:      cborMaxElements,
		IndefLength:      cbor.IndefLengthAllowed,
		TagsMd:           cbor.TagsForbidden,
		IntDec:           cbor.IntDecConvertSignedOrFail,
		MapKeyByteString: cbor.MapKeyByteStringForbidden,
		DefaultMapType:   reflect.TypeOf(map[string]any(nil)),
		UTF8:             cbor.UTF8RejectInvalid,
		SimpleValues:     simple,
	}.DecMode()
	if err != nil {
		panic("serialize: CBOR decoding options: " + err.Error())
	}
	return dm
}()

// cborUndefinedMarker stands for undefined in the copy Decode makes of a
// frame holding undefined: simple value 16, which scanCBOR refuses on the
// wire, so it can only come from that replacement.
const cborUndefinedMarker = 0xe0 | 16

// cborUndefinedDecMode is cborDecMode that also accepts simple value 16,
// decoded as cbor.SimpleValue(16).
var cborUndefinedDecMode = func() cbor.DecMode {
	opts := cborDecMode.DecOptions()
	simple, err := cbor.NewSimpleValueRegistryFromDefaults(func(r *cbor.SimpleValueRegistry) error {
		return rejectSimpleValuesBut(r, cborUndefinedMarker&0x1f)
	})
	if err != nil {
		panic("serialize: CBOR simple value registry: " + err.Error())
	}
	opts.SimpleValues = simple
	dm, err := opts.DecMode()
	if err != nil {
		panic("serialize: CBOR decoding options: " + err.Error())
	}
	return dm
}()

// cborUndefinedFix removes the undefined markers from v, a value at the
// given depth (0: the top level): a map entry holding one is dropped; in an
// array one becomes nil, except in the top-level array, where it becomes
// undefinedValue for dropUndefined.
func cborUndefinedFix(v any, depth int) any {
	switch x := v.(type) {
	case cbor.SimpleValue:
		if x == cborUndefinedMarker&0x1f {
			return undefinedValue
		}
	case []any:
		for i, e := range x {
			e = cborUndefinedFix(e, depth+1)
			if e == undefinedValue && depth > 0 {
				e = nil
			}
			x[i] = e
		}
	case map[string]any:
		for k, e := range x {
			if e = cborUndefinedFix(e, depth+1); e == undefinedValue {
				delete(x, k)
			} else {
				x[k] = e
			}
		}
	}
	return v
}

// rejectUnassignedSimpleValues keeps false, true, null and undefined
// (simple values 20..23); 24..31 are not simple values on the wire.
func rejectUnassignedSimpleValues(r *cbor.SimpleValueRegistry) error {
	return rejectSimpleValuesBut(r, -1)
}

// rejectSimpleValuesBut is rejectUnassignedSimpleValues that also keeps
// simple value keep (decoded as a cbor.SimpleValue); -1 keeps no other.
func rejectSimpleValuesBut(r *cbor.SimpleValueRegistry, keep int) error {
	for sv := 0; sv <= math.MaxUint8; sv++ {
		if sv >= 20 && sv <= 31 || sv == keep {
			continue
		}
		if err := cbor.WithRejectedSimpleValue(cbor.SimpleValue(sv))(r); err != nil {
			return err
		}
	}
	return nil
}

// cborEncMode encodes values of types binEncoder does not know: map keys in
// core deterministic order, time.Time as RFC 3339 text, floats kept at
// their width (no NaN/Inf narrowing), struct field names from `cbor` tags,
// else `json` tags.
var cborEncMode = func() cbor.EncMode {
	em, err := cbor.EncOptions{
		Sort:       cbor.SortCoreDeterministic,
		Time:       cbor.TimeRFC3339Nano,
		NaNConvert: cbor.NaNConvertNone,
		InfConvert: cbor.InfConvertNone,
	}.EncMode()
	if err != nil {
		panic("serialize: CBOR encoding options: " + err.Error())
	}
	return em
}()

func (e *binEncoder) cborFallback(v any) {
	b, err := cborEncMode.Marshal(v)
	if err != nil {
		e.fail(fallbackError("CBOR", v, err))
		return
	}
	e.b = append(e.b, b...)
}

// CBOR major types (shifted into the initial byte) and simple values.
const (
	cborUint   = 0 << 5
	cborNeg    = 1 << 5
	cborBytes  = 2 << 5
	cborText   = 3 << 5
	cborArray  = 4 << 5
	cborMap    = 5 << 5
	cborTag    = 6 << 5
	cborSimple = 7 << 5

	cborFalse     = 0xf4
	cborTrue      = 0xf5
	cborNull      = 0xf6
	cborUndefined = 0xf7
	cborFloat32   = 0xfa
	cborFloat64   = 0xfb
	cborBreak     = 0xff
)

// appendCBORHead appends an initial byte of major type major with the
// argument n in its shortest form.
func appendCBORHead(b []byte, major byte, n uint64) []byte {
	switch {
	case n < 24:
		return append(b, major|byte(n))
	case n <= math.MaxUint8:
		return append(b, major|24, byte(n))
	case n <= math.MaxUint16:
		return binary.BigEndian.AppendUint16(append(b, major|25), uint16(n))
	case n <= math.MaxUint32:
		return binary.BigEndian.AppendUint32(append(b, major|26), uint32(n))
	}
	return binary.BigEndian.AppendUint64(append(b, major|27), n)
}

func appendCBORInt(b []byte, i int64) []byte {
	if i >= 0 {
		return appendCBORHead(b, cborUint, uint64(i))
	}
	return appendCBORHead(b, cborNeg, uint64(-1-i))
}

func appendCBORFloat64(b []byte, f float64) []byte {
	return binary.BigEndian.AppendUint64(append(b, cborFloat64), math.Float64bits(f))
}

func appendCBORFloat32(b []byte, f float32) []byte {
	return binary.BigEndian.AppendUint32(append(b, cborFloat32), math.Float32bits(f))
}

func appendCBORBool(b []byte, v bool) []byte {
	if v {
		return append(b, cborTrue)
	}
	return append(b, cborFalse)
}
