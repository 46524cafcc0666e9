// Package wamp holds the WAMP v2 protocol vocabulary as plain data: message
// types and codes, IDs, URIs, well-known error and close URIs, role, feature
// and option names, and the explicit conversion of every message to and from
// its wire list form.
//
// It is pure: no I/O, no clocks, no goroutines, no locks; every function is
// safe for concurrent use on values nobody mutates. Serializers (package
// serialize) turn bytes into the generic list form ([]any holding int64,
// uint64, float64, string, bool, nil, []byte, []any and map[string]any
// values) and this package turns that list into a typed Message with FromList,
// or back with ToList.
//
//	m, err := wamp.FromList(list) // structure, types, ID ranges; err wraps ErrProtocolViolation
//	if err == nil {
//		err = wamp.ValidateOptions(m) // types of well-known options/details
//	}
//	call, ok := m.(*wamp.Call)
//	list = wamp.ToList(m)
//
// Validation is layered because its rules have different owners:
//
//  1. FromList checks what the spec fixes for every peer: arity, element
//     types, ID range 1..2^53, known message type.
//  2. ValidateOptions checks the types of well-known Options/Details keys;
//     unknown keys pass.
//  3. URI syntax depends on the realm (strict or loose, patterns): the router
//     calls ValidURI.
//
// Every number read from the wire goes through ToID or ToInt, because
// decoders disagree on number types (int64, uint64, float64, json.Number).
// The Opt* accessors read single options after validation.
//
// Package wamptest loads the specification's conformance vectors
// (testdata/vectors) for these tests and for every serializer.
package wamp
