// Package serialize turns WAMP messages into bytes and back. Each Serializer
// handles one wire format and converts through the typed messages of package
// wamp, validating on the way in: Decode yields only messages that
// wamp.FromList accepts.
//
//	s, ok := serialize.BySubProtocol("wamp.2.cbor") // or ByName("cbor"), ByRawSocketID(3)
//	buf, err := s.Append(buf[:0], &wamp.Call{Request: 1, Procedure: "com.example.add", Args: wamp.List{1, 2}})
//	m, err := s.Decode(frame) // err wraps ErrDecode (and wamp.ErrProtocolViolation for a bad list)
//
// Serializers are stateless values, safe for concurrent use; Append writes
// only into the slice it is given, so callers pool their own buffers.
//
//	format   name     subprotocol      RawSocket  frames  decoder
//	JSON     json     wamp.2.json      1          text    our own single pass (json_fast*.go)
//	MsgPack  msgpack  wamp.2.msgpack   2          binary  our own (msgpack_decode.go)
//	CBOR     cbor     wamp.2.cbor      3          binary  fxamacker/cbor/v2 after a pre-scan
//
// All three encoders are reflection-free append encoders for the value types
// decoders produce and the common Go kinds (every int and uint kind, floats,
// string, []byte, bool, nil, []any, map[string]any, wamp.ID, wamp.URI,
// wamp.Type); other values (structs, []string, map[string]string, ...) fall
// back to the format's library, with struct field names from `json` tags.
// Dict keys are written sorted (bytewise; CBOR length first, its core
// deterministic order), so equal messages encode to equal bytes.
//
// # One value representation
//
// Decoded values use one representation whatever the format, so that a
// router can decode with one serializer and re-encode with another without
// changing a value:
//
//   - integers are int64. Only msgpack can deliver an integer above
//     math.MaxInt64, as uint64; CBOR rejects such frames; JSON reads such a
//     literal as float64. IDs go through wamp.ToID, which accepts any of
//     these (peers send IDs as uint64 in msgpack, e.g. msgpack5).
//   - a float is never rounded into an ID. In msgpack and CBOR an ID may be
//     an integral float strictly below 2^53, which a float64 holds exactly
//     (JavaScript encoders such as msgpackr write integers above 2^32 as
//     float64); other floats are refused (wamp.ToID). In JSON an ID (and
//     the type code, and ERROR's request type) written with a fraction or
//     an exponent, 1.0 or 1e3, is a protocol violation, at the top level
//     and in ID-valued options (exclude, eligible, publisher, caller, ...):
//     JSON peers write integers as integer literals, and parsing may
//     already have rounded decimal text.
//   - other numbers are float64 (msgpack float32 and CBOR float16/float32 are
//     widened). A float stays a float: JSON writes an integral float64 as
//     42.0, msgpack and CBOR write every float64 as an 8-byte float (never
//     narrowed), so 42.0 never turns into the integer 42 or back.
//   - binary is []byte: msgpack bin, CBOR byte string, and in JSON the WAMP
//     convention, a string holding a NUL character followed by the standard
//     base64 encoding (such strings decode back to []byte at any depth).
//   - text is string and must be valid UTF-8 in msgpack and CBOR (invalid
//     frames are rejected); encoders replace each invalid byte of a Go string
//     with U+FFFD.
//   - lists are []any, dicts map[string]any; a dict key that is not a string
//     (msgpack, CBOR) is a protocol violation. A repeated key keeps its last
//     value.
//   - nil is JSON null, msgpack nil, CBOR null.
//   - JavaScript's undefined, as JavaScript clients write it (wampy 8 through
//     msgpackr: msgpack fixext 1 of type 0 holding 0, d4 00 00; through
//     cbor-x: CBOR simple value 23, f7), is absent: a dict entry holding it
//     is dropped (an option set to undefined is as if not given), trailing
//     ones in the message list are dropped (an undefined Arguments or
//     ArgumentsKw is absent), and anywhere else in a list it is nil (so an
//     undefined Arguments followed by ArgumentsKw is still a protocol
//     violation, as null is). Undefined is never encoded.
//
// NaN and ±Inf travel in msgpack and CBOR; JSON cannot encode them. Not
// accepted on the way in: msgpack extension types (including timestamps)
// other than that undefined, CBOR tags, and CBOR simple values other than
// false, true, null and undefined.
//
// # Limits
//
// Lists and dicts nest at most MaxNesting levels, the message list counting
// as level 1, in both directions. Decoders check declared lengths against
// the bytes that remain before allocating and never reserve more than the
// input can fill, so a short frame declaring a huge array, map, string or
// binary fails without allocating by the declared size. Frame size itself
// is the transport's limit.
package serialize
