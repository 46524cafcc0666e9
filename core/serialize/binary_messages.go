package serialize

import (
	"fmt"

	"github.com/switchboard-wamp/switchboard/core/wamp"
)

// appendBinary encodes m in format and appends it to dst; on error dst is
// returned unchanged (same length).
func appendBinary(dst []byte, m wamp.Message, format binFormat) ([]byte, error) {
	e := binEncoder{b: dst, format: format}
	e.message(m)
	if e.err != nil {
		return dst, e.err
	}
	return e.b, nil
}

// message appends m's wire list, element by element in spec order; the
// layout matches wamp.ToList (and the JSON encoder's).
func (e *binEncoder) message(m wamp.Message) {
	switch x := m.(type) {
	case *wamp.Hello:
		e.head(wamp.HELLO, 3)
		e.str(string(x.Realm))
		e.dict(x.Details)
	case *wamp.Welcome:
		e.head(wamp.WELCOME, 3)
		e.id(x.Session)
		e.dict(x.Details)
	case *wamp.Abort:
		e.head(wamp.ABORT, 3)
		e.dict(x.Details)
		e.str(string(x.Reason))
	case *wamp.Challenge:
		e.head(wamp.CHALLENGE, 3)
		e.str(x.AuthMethod)
		e.dict(x.Extra)
	case *wamp.Authenticate:
		e.head(wamp.AUTHENTICATE, 3)
		e.str(x.Signature)
		e.dict(x.Extra)
	case *wamp.Goodbye:
		e.head(wamp.GOODBYE, 3)
		e.dict(x.Details)
		e.str(string(x.Reason))
	case *wamp.Error:
		e.head(wamp.ERROR, 5+payloadLen(x.Args, x.Kwargs))
		e.id(wamp.ID(x.RequestType))
		e.id(x.Request)
		e.dict(x.Details)
		e.str(string(x.Error))
		e.payload(x.Args, x.Kwargs)
	default:
		e.pubSubMessage(m)
	}
}

func (e *binEncoder) pubSubMessage(m wamp.Message) {
	switch x := m.(type) {
	case *wamp.Publish:
		e.head(wamp.PUBLISH, 4+payloadLen(x.Args, x.Kwargs))
		e.id(x.Request)
		e.dict(x.Options)
		e.str(string(x.Topic))
		e.payload(x.Args, x.Kwargs)
	case *wamp.Published:
		e.head(wamp.PUBLISHED, 3)
		e.id(x.Request)
		e.id(x.Publication)
	case *wamp.Subscribe:
		e.head(wamp.SUBSCRIBE, 4)
		e.id(x.Request)
		e.dict(x.Options)
		e.str(string(x.Topic))
	case *wamp.Subscribed:
		e.head(wamp.SUBSCRIBED, 3)
		e.id(x.Request)
		e.id(x.Subscription)
	case *wamp.Unsubscribe:
		e.head(wamp.UNSUBSCRIBE, 3)
		e.id(x.Request)
		e.id(x.Subscription)
	case *wamp.Unsubscribed:
		e.revocable(wamp.UNSUBSCRIBED, x.Request, x.Details)
	case *wamp.Event:
		e.head(wamp.EVENT, 4+payloadLen(x.Args, x.Kwargs))
		e.id(x.Subscription)
		e.id(x.Publication)
		e.dict(x.Details)
		e.payload(x.Args, x.Kwargs)
	default:
		e.rpcMessage(m)
	}
}

func (e *binEncoder) rpcMessage(m wamp.Message) {
	switch x := m.(type) {
	case *wamp.Call:
		e.head(wamp.CALL, 4+payloadLen(x.Args, x.Kwargs))
		e.id(x.Request)
		e.dict(x.Options)
		e.str(string(x.Procedure))
		e.payload(x.Args, x.Kwargs)
	case *wamp.Cancel:
		e.head(wamp.CANCEL, 3)
		e.id(x.Request)
		e.dict(x.Options)
	case *wamp.Result:
		e.head(wamp.RESULT, 3+payloadLen(x.Args, x.Kwargs))
		e.id(x.Request)
		e.dict(x.Details)
		e.payload(x.Args, x.Kwargs)
	case *wamp.Register:
		e.head(wamp.REGISTER, 4)
		e.id(x.Request)
		e.dict(x.Options)
		e.str(string(x.Procedure))
	case *wamp.Registered:
		e.head(wamp.REGISTERED, 3)
		e.id(x.Request)
		e.id(x.Registration)
	case *wamp.Unregister:
		e.head(wamp.UNREGISTER, 3)
		e.id(x.Request)
		e.id(x.Registration)
	case *wamp.Unregistered:
		e.revocable(wamp.UNREGISTERED, x.Request, x.Details)
	case *wamp.Invocation:
		e.head(wamp.INVOCATION, 4+payloadLen(x.Args, x.Kwargs))
		e.id(x.Request)
		e.id(x.Registration)
		e.dict(x.Details)
		e.payload(x.Args, x.Kwargs)
	case *wamp.Interrupt:
		e.head(wamp.INTERRUPT, 3)
		e.id(x.Request)
		e.dict(x.Options)
	case *wamp.Yield:
		e.head(wamp.YIELD, 3+payloadLen(x.Args, x.Kwargs))
		e.id(x.Request)
		e.dict(x.Options)
		e.payload(x.Args, x.Kwargs)
	default:
		e.fail(fmt.Errorf("serialize: cannot encode message of type %T", m))
	}
}

// revocable appends UNSUBSCRIBED or UNREGISTERED: Request and optional
// Details, as wamp.ToList does.
func (e *binEncoder) revocable(t wamp.Type, req wamp.ID, details wamp.Dict) {
	if details != nil || req == 0 {
		e.head(t, 3)
		e.id(req)
		e.dict(details)
		return
	}
	e.head(t, 2)
	e.id(req)
}
