// Package wamp holds the WAMP v2 protocol vocabulary as plain data: message
// types and codes, IDs, URIs, well-known error and close URIs, feature names,
// and the explicit conversion of every message to and from its wire list form,
// with validation of arity, element types, ID range and URIs.
//
// It is pure: no I/O, no clocks, no goroutines, no locks. Serializers
// (package serialize) turn bytes into the generic list form ([]any with
// int64/uint64/float64/string/bool/nil/[]byte/[]any/map[string]any values) and
// this package turns that list into a typed Message with FromList, or back with
// ToList.
//
//	m, err := wamp.FromList(list) // validates; err wraps ErrProtocolViolation
//	call, ok := m.(*wamp.Call)
//	list = wamp.ToList(m)
package wamp
