// Package serialize turns WAMP messages into bytes and back. Each Serializer
// handles one wire format (wamp.2.json here; msgpack and cbor slot in beside
// it) and converts through the typed messages of package wamp, validating on
// the way in: Decode yields only messages that wamp.FromList accepts.
//
//	s, ok := serialize.BySubProtocol("wamp.2.json") // or ByName("json"), ByRawSocketID(1)
//	buf, err := s.Append(buf[:0], &wamp.Call{Request: 1, Procedure: "com.example.add", Args: wamp.List{1, 2}})
//	m, err := s.Decode(frame) // err wraps ErrDecode (and wamp.ErrProtocolViolation for a bad list)
//
// Serializers are stateless values, safe for concurrent use; Append writes
// only into the slice it is given, so callers pool their own buffers.
//
// Decoded values use one representation whatever the format: integers are
// int64 (uint64 only above math.MaxInt64 where a format allows it), other
// numbers float64, binary []byte, lists []any, dicts map[string]any. Numbers
// that were written as floats stay float64 (JSON 42.0), integers stay int64.
//
// The JSON serializer (wamp.2.json, RawSocket serializer 1, text frames)
// follows the WAMP convention for binary values: a []byte travels as a JSON
// string holding a NUL character followed by the standard base64 encoding,
// and such strings decode back to []byte at any depth. Its output is compact
// with dict keys sorted, so equal messages encode to equal bytes.
package serialize
