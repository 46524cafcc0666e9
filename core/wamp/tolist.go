package wamp

// ToList converts m to its wire list form, the inverse of FromList. A nil
// Dict field is emitted as an empty Dict ({} on the wire). Trailing Args and
// Kwargs are omitted when nil; when Kwargs is non-nil and Args is nil, Args is
// emitted as an empty List, since ArgumentsKw cannot appear without Arguments.
// UNSUBSCRIBED and UNREGISTERED carry their Details element only when Details
// is non-nil or Request is 0 (the revocation form).
//
// Type codes and IDs are emitted as int64, the form serializers decode them
// to, so ToList(FromList(l)) equals l for a decoded l. The list shares m's dicts, lists and values; ToList does not validate them.
// It returns nil for a nil Message or a Message type not defined in this
// package. ToList is pure and safe for concurrent use.
func ToList(m Message) List {
	switch x := m.(type) {
	case *Hello:
		return List{int64(HELLO), string(x.Realm), dictOrEmpty(x.Details)}
	case *Welcome:
		return List{int64(WELCOME), int64(x.Session), dictOrEmpty(x.Details)}
	case *Abort:
		return List{int64(ABORT), dictOrEmpty(x.Details), string(x.Reason)}
	case *Challenge:
		return List{int64(CHALLENGE), x.AuthMethod, dictOrEmpty(x.Extra)}
	case *Authenticate:
		return List{int64(AUTHENTICATE), x.Signature, dictOrEmpty(x.Extra)}
	case *Goodbye:
		return List{int64(GOODBYE), dictOrEmpty(x.Details), string(x.Reason)}
	case *Error:
		l := List{int64(ERROR), int64(x.RequestType), int64(x.Request), dictOrEmpty(x.Details), string(x.Error)}
		return withPayload(l, x.Args, x.Kwargs)
	case *Publish:
		return withPayload(List{int64(PUBLISH), int64(x.Request), dictOrEmpty(x.Options), string(x.Topic)}, x.Args, x.Kwargs)
	case *Published:
		return List{int64(PUBLISHED), int64(x.Request), int64(x.Publication)}
	case *Subscribe:
		return List{int64(SUBSCRIBE), int64(x.Request), dictOrEmpty(x.Options), string(x.Topic)}
	case *Subscribed:
		return List{int64(SUBSCRIBED), int64(x.Request), int64(x.Subscription)}
	case *Unsubscribe:
		return List{int64(UNSUBSCRIBE), int64(x.Request), int64(x.Subscription)}
	case *Unsubscribed:
		return revocableList(UNSUBSCRIBED, x.Request, x.Details)
	case *Event:
		l := List{int64(EVENT), int64(x.Subscription), int64(x.Publication), dictOrEmpty(x.Details)}
		return withPayload(l, x.Args, x.Kwargs)
	}
	return rpcToList(m)
}

func rpcToList(m Message) List {
	switch x := m.(type) {
	case *Call:
		return withPayload(List{int64(CALL), int64(x.Request), dictOrEmpty(x.Options), string(x.Procedure)}, x.Args, x.Kwargs)
	case *Cancel:
		return List{int64(CANCEL), int64(x.Request), dictOrEmpty(x.Options)}
	case *Result:
		return withPayload(List{int64(RESULT), int64(x.Request), dictOrEmpty(x.Details)}, x.Args, x.Kwargs)
	case *Register:
		return List{int64(REGISTER), int64(x.Request), dictOrEmpty(x.Options), string(x.Procedure)}
	case *Registered:
		return List{int64(REGISTERED), int64(x.Request), int64(x.Registration)}
	case *Unregister:
		return List{int64(UNREGISTER), int64(x.Request), int64(x.Registration)}
	case *Unregistered:
		return revocableList(UNREGISTERED, x.Request, x.Details)
	case *Invocation:
		l := List{int64(INVOCATION), int64(x.Request), int64(x.Registration), dictOrEmpty(x.Details)}
		return withPayload(l, x.Args, x.Kwargs)
	case *Interrupt:
		return List{int64(INTERRUPT), int64(x.Request), dictOrEmpty(x.Options)}
	case *Yield:
		return withPayload(List{int64(YIELD), int64(x.Request), dictOrEmpty(x.Options)}, x.Args, x.Kwargs)
	}
	return nil
}

func dictOrEmpty(d Dict) Dict {
	if d == nil {
		return Dict{}
	}
	return d
}

// withPayload appends the optional trailing Arguments and ArgumentsKw.
func withPayload(l List, args List, kwargs Dict) List {
	if kwargs != nil {
		if args == nil {
			args = List{}
		}
		return append(l, args, kwargs)
	}
	if args != nil {
		return append(l, args)
	}
	return l
}

func revocableList(t Type, req ID, details Dict) List {
	if details == nil && req != 0 {
		return List{int64(t), int64(req)}
	}
	return List{int64(t), int64(req), dictOrEmpty(details)}
}

// HasPayload reports whether a message with these Args and Kwargs carries the
// optional trailing elements on the wire (Args is emitted whenever Kwargs is).
// Encoders use it to stay consistent with ToList.
func HasPayload(args List, kwargs Dict) (withArgs, withKwargs bool) {
	return args != nil || kwargs != nil, kwargs != nil
}
