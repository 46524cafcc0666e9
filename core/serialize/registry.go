package serialize

// serializers lists every Serializer this package provides, in the order a
// server prefers them. New formats join here.
var serializers = []Serializer{JSON, MsgPack, CBOR}

// All returns every available Serializer, in the server's order of
// preference. The slice is a copy; safe for concurrent use.
func All() []Serializer {
	return append([]Serializer(nil), serializers...)
}

// ByName returns the Serializer with the short name name ("json", ...).
// Safe for concurrent use.
func ByName(name string) (Serializer, bool) {
	for _, s := range serializers {
		if s.Name() == name {
			return s, true
		}
	}
	return nil, false
}

// BySubProtocol returns the Serializer for a WebSocket subprotocol such as
// "wamp.2.json". Safe for concurrent use.
func BySubProtocol(sp string) (Serializer, bool) {
	for _, s := range serializers {
		if s.SubProtocol() == sp {
			return s, true
		}
	}
	return nil, false
}

// ByRawSocketID returns the Serializer with RawSocket serializer number id
// (1 json, 2 msgpack, 3 cbor). Safe for concurrent use.
func ByRawSocketID(id byte) (Serializer, bool) {
	for _, s := range serializers {
		if s.RawSocketID() == id {
			return s, true
		}
	}
	return nil, false
}
