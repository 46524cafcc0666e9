package wamptest

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"reflect"

	"github.com/switchboard-wamp/switchboard/core/wamp"
)

// ErrPayloadPassthru is returned by ExpectedMessage for a sample whose
// message carries a binary payload in place of Arguments (payload passthru
// mode), which package wamp rejects by design.
var ErrPayloadPassthru = errors.New("wamptest: sample uses payload passthru mode")

// ErrUnknownType is returned by ExpectedMessage for a message type that
// package wamp does not define (e.g. EVENT_RECEIVED, 337).
var ErrUnknownType = errors.New("wamptest: message type not defined by package wamp")

// ExpectedMessage builds the typed message that a vector's expected
// attributes describe. The type comes from "message_type" (a code) or "type"
// (a name, as in multi-session vectors). Attribute names follow the vectors:
// request_id, options, details, procedure, topic, args, kwargs, realm, roles,
// session_id, reason, error, request_type, method, signature, extra, and
// subscription/publication/registration with or without an "_id" suffix.
// Absent or null args/kwargs give nil; "roles" without "details" becomes
// Details{"roles": ...}.
func ExpectedMessage(attrs map[string]any) (wamp.Message, error) {
	t, err := messageType(attrs)
	if err != nil {
		return nil, err
	}
	if p, ok := attrs["payload"]; ok && p != nil {
		return nil, ErrPayloadPassthru
	}
	b := builder{attrs: attrs}
	m := b.build(t)
	if b.err != nil {
		return nil, b.err
	}
	if m == nil {
		return nil, fmt.Errorf("%w: %d", ErrUnknownType, t)
	}
	return m, nil
}

func messageType(attrs map[string]any) (wamp.Type, error) {
	if v, ok := attrs["message_type"]; ok {
		n, ok := wamp.ToInt(v)
		if !ok || n < 0 || n > math.MaxUint16 {
			return 0, fmt.Errorf("wamptest: bad message_type %v", v)
		}
		return wamp.Type(n), nil
	}
	name, _ := attrs["type"].(string)
	for t := wamp.Type(1); t < 1024; t++ {
		if t.Known() && t.String() == name {
			return t, nil
		}
	}
	return 0, fmt.Errorf("%w: %q", ErrUnknownType, name)
}

type builder struct {
	attrs map[string]any
	err   error
}

func (b *builder) build(t wamp.Type) wamp.Message {
	switch t {
	case wamp.HELLO:
		return &wamp.Hello{Realm: b.uri("realm"), Details: b.details()}
	case wamp.WELCOME:
		return &wamp.Welcome{Session: b.id("session_id", "session"), Details: b.details()}
	case wamp.ABORT:
		return &wamp.Abort{Details: b.details(), Reason: b.uri("reason")}
	case wamp.CHALLENGE:
		return &wamp.Challenge{AuthMethod: b.str("method", "authmethod"), Extra: b.dict("extra")}
	case wamp.AUTHENTICATE:
		return &wamp.Authenticate{Signature: b.str("signature"), Extra: b.dict("extra")}
	case wamp.GOODBYE:
		return &wamp.Goodbye{Details: b.details(), Reason: b.uri("reason")}
	case wamp.ERROR:
		return &wamp.Error{RequestType: wamp.Type(b.id("request_type")), Request: b.id("request_id"),
			Details: b.details(), Error: b.uri("error"), Args: b.list("args"), Kwargs: b.dict("kwargs")}
	case wamp.PUBLISH:
		return &wamp.Publish{Request: b.id("request_id"), Options: b.dict("options"), Topic: b.uri("topic"),
			Args: b.list("args"), Kwargs: b.dict("kwargs")}
	case wamp.PUBLISHED:
		return &wamp.Published{Request: b.id("request_id"), Publication: b.id("publication_id", "publication")}
	case wamp.SUBSCRIBE:
		return &wamp.Subscribe{Request: b.id("request_id"), Options: b.dict("options"), Topic: b.uri("topic")}
	case wamp.SUBSCRIBED:
		return &wamp.Subscribed{Request: b.id("request_id"), Subscription: b.id("subscription_id", "subscription")}
	case wamp.UNSUBSCRIBE:
		return &wamp.Unsubscribe{Request: b.id("request_id"), Subscription: b.id("subscription_id", "subscription")}
	case wamp.UNSUBSCRIBED:
		return &wamp.Unsubscribed{Request: b.idOrZero("request_id"), Details: b.dict("details")}
	case wamp.EVENT:
		return &wamp.Event{Subscription: b.id("subscription_id", "subscription"),
			Publication: b.id("publication_id", "publication"), Details: b.details(),
			Args: b.list("args"), Kwargs: b.dict("kwargs")}
	}
	return b.buildRPC(t)
}

func (b *builder) buildRPC(t wamp.Type) wamp.Message {
	switch t {
	case wamp.CALL:
		return &wamp.Call{Request: b.id("request_id"), Options: b.dict("options"), Procedure: b.uri("procedure"),
			Args: b.list("args"), Kwargs: b.dict("kwargs")}
	case wamp.CANCEL:
		return &wamp.Cancel{Request: b.id("request_id"), Options: b.dict("options")}
	case wamp.RESULT:
		return &wamp.Result{Request: b.id("request_id"), Details: b.details(), Args: b.list("args"),
			Kwargs: b.dict("kwargs")}
	case wamp.REGISTER:
		return &wamp.Register{Request: b.id("request_id"), Options: b.dict("options"), Procedure: b.uri("procedure")}
	case wamp.REGISTERED:
		return &wamp.Registered{Request: b.id("request_id"), Registration: b.id("registration_id", "registration")}
	case wamp.UNREGISTER:
		return &wamp.Unregister{Request: b.id("request_id"), Registration: b.id("registration_id", "registration")}
	case wamp.UNREGISTERED:
		return &wamp.Unregistered{Request: b.idOrZero("request_id"), Details: b.dict("details")}
	case wamp.INVOCATION:
		return &wamp.Invocation{Request: b.id("request_id"), Registration: b.id("registration_id", "registration"),
			Details: b.details(), Args: b.list("args"), Kwargs: b.dict("kwargs")}
	case wamp.INTERRUPT:
		return &wamp.Interrupt{Request: b.id("request_id"), Options: b.dict("options")}
	case wamp.YIELD:
		return &wamp.Yield{Request: b.id("request_id"), Options: b.dict("options"), Args: b.list("args"),
			Kwargs: b.dict("kwargs")}
	}
	return nil
}

func (b *builder) fail(format string, args ...any) {
	if b.err == nil {
		b.err = fmt.Errorf("wamptest: "+format, args...)
	}
}

// lookup returns the first present attribute among names.
func (b *builder) lookup(names ...string) (any, bool) {
	for _, n := range names {
		if v, ok := b.attrs[n]; ok {
			return v, true
		}
	}
	return nil, false
}

func (b *builder) id(names ...string) wamp.ID {
	v, ok := b.lookup(names...)
	id, valid := wamp.ToID(v)
	if !ok || !valid {
		b.fail("attribute %v: want an ID, got %v", names, v)
	}
	return id
}

func (b *builder) idOrZero(name string) wamp.ID {
	if n, ok := wamp.ToInt(b.attrs[name]); ok && n == 0 {
		return 0
	}
	return b.id(name)
}

func (b *builder) str(names ...string) string {
	v, _ := b.lookup(names...)
	s, ok := v.(string)
	if !ok {
		b.fail("attribute %v: want a string, got %v", names, v)
	}
	return s
}

func (b *builder) uri(name string) wamp.URI { return wamp.URI(b.str(name)) }

func (b *builder) dict(name string) wamp.Dict {
	switch v := b.attrs[name].(type) {
	case nil:
		return nil
	case map[string]any:
		return v
	default:
		b.fail("attribute %s: want a dict, got %T", name, v)
		return nil
	}
}

func (b *builder) list(name string) wamp.List {
	switch v := b.attrs[name].(type) {
	case nil:
		return nil
	case []any:
		return v
	default:
		b.fail("attribute %s: want a list, got %T", name, v)
		return nil
	}
}

// details returns the "details" attribute, or a Details dict holding "roles"
// when only that is given (HELLO, WELCOME vectors).
func (b *builder) details() wamp.Dict {
	if d := b.dict("details"); d != nil {
		return d
	}
	if roles, ok := b.attrs["roles"]; ok {
		return wamp.Dict{"roles": roles}
	}
	return nil
}

// Normalize returns v with every number in one canonical Go type, so that
// values decoded by different libraries compare with reflect.DeepEqual:
// integers (any Go integer kind, wamp.ID, wamp.Type, integral json.Number)
// become int64 (uint64 above MaxInt64 stays uint64), other numbers float64,
// wamp.URI string; lists and dicts are copied recursively. Floats stay floats:
// 42.0 and 42 differ.
func Normalize(v any) any {
	switch x := v.(type) {
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = Normalize(e)
		}
		return out
	case map[string]any:
		if x == nil {
			return x
		}
		out := make(map[string]any, len(x))
		for k, e := range x {
			out[k] = Normalize(e)
		}
		return out
	case json.Number:
		if n, err := x.Int64(); err == nil {
			return n
		}
		f, _ := x.Float64()
		return f
	case float32:
		return float64(x)
	case float64, string, bool, nil, []byte:
		return x
	case uint64:
		if x > math.MaxInt64 {
			return x
		}
		return int64(x)
	case wamp.URI:
		return string(x)
	}
	if n, ok := wamp.ToInt(v); ok {
		return n
	}
	return v
}

// Equal reports whether a and b are the same message up to number
// representation (see Normalize) and nil-versus-empty dicts.
func Equal(a, b wamp.Message) bool {
	if a == nil || b == nil {
		return a == b
	}
	return a.Type() == b.Type() &&
		reflect.DeepEqual(Normalize(wamp.ToList(a)), Normalize(wamp.ToList(b)))
}
