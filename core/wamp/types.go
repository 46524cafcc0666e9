package wamp

// ID is a WAMP identifier: a session, request, publication, subscription or
// registration ID. Valid IDs are integers in [1, MaxID] (the spec's 2^53 range,
// so that JavaScript peers can represent them exactly).
type ID uint64

// MaxID is the largest valid WAMP ID, 2^53.
const MaxID ID = 1 << 53

// Valid reports whether id is in the spec's range 1..2^53.
func (id ID) Valid() bool { return id >= 1 && id <= MaxID }

// URI names a realm, topic, procedure, error or close reason.
type URI string

// Dict is a WAMP dictionary (details, options, kwargs): string keys, values as
// produced by a serializer (see package doc).
type Dict = map[string]any

// List is a WAMP list (positional arguments, and the wire form of a message).
type List = []any

// Type is a WAMP message type code.
type Type uint16

// Message type codes, from the basic and advanced profile.
const (
	HELLO        Type = 1
	WELCOME      Type = 2
	ABORT        Type = 3
	CHALLENGE    Type = 4
	AUTHENTICATE Type = 5
	GOODBYE      Type = 6
	ERROR        Type = 8
	PUBLISH      Type = 16
	PUBLISHED    Type = 17
	SUBSCRIBE    Type = 32
	SUBSCRIBED   Type = 33
	UNSUBSCRIBE  Type = 34
	UNSUBSCRIBED Type = 35
	EVENT        Type = 36
	CALL         Type = 48
	CANCEL       Type = 49
	RESULT       Type = 50
	REGISTER     Type = 64
	REGISTERED   Type = 65
	UNREGISTER   Type = 66
	UNREGISTERED Type = 67
	INVOCATION   Type = 68
	INTERRUPT    Type = 69
	YIELD        Type = 70
)

var typeNames = map[Type]string{
	HELLO: "HELLO", WELCOME: "WELCOME", ABORT: "ABORT", CHALLENGE: "CHALLENGE",
	AUTHENTICATE: "AUTHENTICATE", GOODBYE: "GOODBYE", ERROR: "ERROR",
	PUBLISH: "PUBLISH", PUBLISHED: "PUBLISHED", SUBSCRIBE: "SUBSCRIBE",
	SUBSCRIBED: "SUBSCRIBED", UNSUBSCRIBE: "UNSUBSCRIBE", UNSUBSCRIBED: "UNSUBSCRIBED",
	EVENT: "EVENT", CALL: "CALL", CANCEL: "CANCEL", RESULT: "RESULT",
	REGISTER: "REGISTER", REGISTERED: "REGISTERED", UNREGISTER: "UNREGISTER",
	UNREGISTERED: "UNREGISTERED", INVOCATION: "INVOCATION", INTERRUPT: "INTERRUPT",
	YIELD: "YIELD",
}

// String returns the message type's name, or its number for unknown types.
func (t Type) String() string {
	if s, ok := typeNames[t]; ok {
		return s
	}
	return "Type(" + itoa(uint64(t)) + ")"
}

// Known reports whether t is a message type of the basic or advanced profile.
func (t Type) Known() bool { _, ok := typeNames[t]; return ok }

func itoa(u uint64) string {
	if u == 0 {
		return "0"
	}
	var b [20]byte
	i := len(b)
	for u > 0 {
		i--
		b[i] = byte('0' + u%10)
		u /= 10
	}
	return string(b[i:])
}
