package serialize

import (
	"fmt"

	"github.com/switchboard-wamp/switchboard/core/wamp"
)

// message appends m's wire list, element by element in spec order; the
// layout matches wamp.ToList.
func (e *jsonEncoder) message(m wamp.Message) {
	switch x := m.(type) {
	case *wamp.Hello:
		e.head(wamp.HELLO)
		e.str(string(x.Realm))
		e.dict(x.Details)
	case *wamp.Welcome:
		e.head(wamp.WELCOME)
		e.id(x.Session)
		e.dict(x.Details)
	case *wamp.Abort:
		e.head(wamp.ABORT)
		e.dict(x.Details)
		e.str(string(x.Reason))
	case *wamp.Challenge:
		e.head(wamp.CHALLENGE)
		e.str(x.AuthMethod)
		e.dict(x.Extra)
	case *wamp.Authenticate:
		e.head(wamp.AUTHENTICATE)
		e.str(x.Signature)
		e.dict(x.Extra)
	case *wamp.Goodbye:
		e.head(wamp.GOODBYE)
		e.dict(x.Details)
		e.str(string(x.Reason))
	case *wamp.Error:
		e.head(wamp.ERROR)
		e.id(wamp.ID(x.RequestType))
		e.id(x.Request)
		e.dict(x.Details)
		e.str(string(x.Error))
		e.payload(x.Args, x.Kwargs)
	default:
		e.pubSubMessage(m)
		return
	}
	e.b = append(e.b, ']')
}

func (e *jsonEncoder) pubSubMessage(m wamp.Message) {
	switch x := m.(type) {
	case *wamp.Publish:
		e.head(wamp.PUBLISH)
		e.id(x.Request)
		e.dict(x.Options)
		e.str(string(x.Topic))
		e.payload(x.Args, x.Kwargs)
	case *wamp.Published:
		e.head(wamp.PUBLISHED)
		e.id(x.Request)
		e.id(x.Publication)
	case *wamp.Subscribe:
		e.head(wamp.SUBSCRIBE)
		e.id(x.Request)
		e.dict(x.Options)
		e.str(string(x.Topic))
	case *wamp.Subscribed:
		e.head(wamp.SUBSCRIBED)
		e.id(x.Request)
		e.id(x.Subscription)
	case *wamp.Unsubscribe:
		e.head(wamp.UNSUBSCRIBE)
		e.id(x.Request)
		e.id(x.Subscription)
	case *wamp.Unsubscribed:
		e.head(wamp.UNSUBSCRIBED)
		e.revocable(x.Request, x.Details)
	case *wamp.Event:
		e.head(wamp.EVENT)
		e.id(x.Subscription)
		e.id(x.Publication)
		e.dict(x.Details)
		e.payload(x.Args, x.Kwargs)
	default:
		e.rpcMessage(m)
		return
	}
	e.b = append(e.b, ']')
}

func (e *jsonEncoder) rpcMessage(m wamp.Message) {
	switch x := m.(type) {
	case *wamp.Call:
		e.head(wamp.CALL)
		e.id(x.Request)
		e.dict(x.Options)
		e.str(string(x.Procedure))
		e.payload(x.Args, x.Kwargs)
	case *wamp.Cancel:
		e.head(wamp.CANCEL)
		e.id(x.Request)
		e.dict(x.Options)
	case *wamp.Result:
		e.head(wamp.RESULT)
		e.id(x.Request)
		e.dict(x.Details)
		e.payload(x.Args, x.Kwargs)
	case *wamp.Register:
		e.head(wamp.REGISTER)
		e.id(x.Request)
		e.dict(x.Options)
		e.str(string(x.Procedure))
	case *wamp.Registered:
		e.head(wamp.REGISTERED)
		e.id(x.Request)
		e.id(x.Registration)
	case *wamp.Unregister:
		e.head(wamp.UNREGISTER)
		e.id(x.Request)
		e.id(x.Registration)
	case *wamp.Unregistered:
		e.head(wamp.UNREGISTERED)
		e.revocable(x.Request, x.Details)
	case *wamp.Invocation:
		e.head(wamp.INVOCATION)
		e.id(x.Request)
		e.id(x.Registration)
		e.dict(x.Details)
		e.payload(x.Args, x.Kwargs)
	case *wamp.Interrupt:
		e.head(wamp.INTERRUPT)
		e.id(x.Request)
		e.dict(x.Options)
	case *wamp.Yield:
		e.head(wamp.YIELD)
		e.id(x.Request)
		e.dict(x.Options)
		e.payload(x.Args, x.Kwargs)
	default:
		e.fail(fmt.Errorf("serialize: cannot encode message of type %T", m))
		return
	}
	e.b = append(e.b, ']')
}

// revocable appends the Request and optional Details of UNSUBSCRIBED and
// UNREGISTERED, as wamp.ToList does.
func (e *jsonEncoder) revocable(req wamp.ID, details wamp.Dict) {
	e.id(req)
	if details != nil || req == 0 {
		e.dict(details)
	}
}
