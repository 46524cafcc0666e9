package wamp

// SizeHint estimates the memory a decoded message holds, in bytes: the
// lengths of its strings and byte strings plus a fixed cost per element,
// map entry and message. It is what the router's byte budgets count (a
// peer's outbound queue, a connection's messages waiting in its realm),
// so that a peer cannot make the router hold more than a configured number
// of bytes for it. It is an estimate, not an encoded size: within a small
// factor of any serializer's encoding for payloads a network peer can send,
// and never zero.
//
// Values a serializer produces (nil, bool, numbers, string, []byte, List,
// Dict) are measured; any other value (a Go struct an in-process session
// passed as an argument) counts as one element, since it did not come from
// the network. Nesting is measured to any depth the decoders allow; a
// payload is walked once per call, so callers that send one message to
// many peers compute it once.
func SizeHint(m Message) int {
	n := messageOverhead
	switch m := m.(type) {
	case *Hello:
		n += len(m.Realm) + dictSize(m.Details)
	case *Welcome:
		n += dictSize(m.Details)
	case *Abort:
		n += len(m.Reason) + dictSize(m.Details)
	case *Challenge:
		n += len(m.AuthMethod) + dictSize(m.Extra)
	case *Authenticate:
		n += len(m.Signature) + dictSize(m.Extra)
	case *Goodbye:
		n += len(m.Reason) + dictSize(m.Details)
	case *Error:
		n += len(m.Error) + dictSize(m.Details) + listSize(m.Args) + dictSize(m.Kwargs)
	case *Publish:
		n += len(m.Topic) + dictSize(m.Options) + listSize(m.Args) + dictSize(m.Kwargs)
	case *Subscribe:
		n += len(m.Topic) + dictSize(m.Options)
	case *Unsubscribed:
		n += dictSize(m.Details)
	case *Event:
		n += dictSize(m.Details) + listSize(m.Args) + dictSize(m.Kwargs)
	case *Call:
		n += len(m.Procedure) + dictSize(m.Options) + listSize(m.Args) + dictSize(m.Kwargs)
	case *Cancel:
		n += dictSize(m.Options)
	case *Result:
		n += dictSize(m.Details) + listSize(m.Args) + dictSize(m.Kwargs)
	case *Register:
		n += len(m.Procedure) + dictSize(m.Options)
	case *Unregistered:
		n += dictSize(m.Details)
	case *Invocation:
		n += dictSize(m.Details) + listSize(m.Args) + dictSize(m.Kwargs)
	case *Interrupt:
		n += dictSize(m.Options)
	case *Yield:
		n += dictSize(m.Options) + listSize(m.Args) + dictSize(m.Kwargs)
	}
	return n
}

// Fixed costs of SizeHint: a message struct, one element (an interface
// value), one map entry (key header, value, bucket share).
const (
	messageOverhead = 64
	elemOverhead    = 16
	entryOverhead   = 32
)

func listSize(l List) int {
	n := 0
	for _, v := range l {
		n += valueSize(v)
	}
	return n
}

func dictSize(d Dict) int {
	n := 0
	for k, v := range d {
		n += entryOverhead + len(k) + valueSize(v)
	}
	return n
}

func valueSize(v any) int {
	switch v := v.(type) {
	case string:
		return elemOverhead + len(v)
	case []byte:
		return elemOverhead + len(v)
	case List:
		return elemOverhead + listSize(v)
	case Dict:
		return elemOverhead + dictSize(v)
	case URI:
		return elemOverhead + len(v)
	default:
		return elemOverhead
	}
}
