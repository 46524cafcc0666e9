package wamp

import (
	"fmt"
	"math"
	"strconv"
)

// arity is the allowed element count of a message list, type code included.
type arity struct{ min, max int }

var arities = map[Type]arity{
	HELLO: {3, 3}, WELCOME: {3, 3}, ABORT: {3, 3}, CHALLENGE: {3, 3},
	AUTHENTICATE: {3, 3}, GOODBYE: {3, 3}, ERROR: {5, 7},
	PUBLISH: {4, 6}, PUBLISHED: {3, 3}, SUBSCRIBE: {4, 4}, SUBSCRIBED: {3, 3},
	UNSUBSCRIBE: {3, 3}, UNSUBSCRIBED: {2, 3}, EVENT: {4, 6},
	CALL: {4, 6}, CANCEL: {3, 3}, RESULT: {3, 5}, REGISTER: {4, 4},
	REGISTERED: {3, 3}, UNREGISTER: {3, 3}, UNREGISTERED: {2, 3},
	INVOCATION: {4, 6}, INTERRUPT: {3, 3}, YIELD: {3, 5},
}

// errorRequestTypes are the request types an ERROR message may answer.
var errorRequestTypes = map[Type]bool{
	PUBLISH: true, SUBSCRIBE: true, UNSUBSCRIBE: true, CALL: true,
	REGISTER: true, UNREGISTER: true, INVOCATION: true,
}

// FromList converts the wire list form of a message (as produced by a
// serializer, see the package doc) into a typed Message, validating it:
//
//   - element 0 is an integer message type code (any number kind ToInt
//     accepts) of a type of the basic or advanced profile;
//   - the element count is within the type's minimum and maximum;
//   - IDs are integers in 1..2^53, except the Request of the revocation form
//     of UNSUBSCRIBED/UNREGISTERED ([code, 0, Details]), which may be 0;
//   - dicts are map[string]any, lists []any, URIs and other strings string;
//   - ERROR's REQUEST.Type is a request type ERROR can answer.
//
// URI syntax is not checked here (the rules depend on realm configuration; see
// ValidURI), nor are option values (see ValidateOptions). A dict element that
// is a nil map comes back as a non-nil empty Dict. Trailing Arguments and
// ArgumentsKw stay nil when absent, and keep whatever (possibly empty) value
// the wire had when present. A binary or string in the Arguments position
// (payload passthru mode) is rejected: it is not supported.
//
// The result shares the dicts, lists and values of l. Every error wraps
// ErrProtocolViolation. FromList is pure and safe for concurrent use.
func FromList(l List) (Message, error) {
	if len(l) == 0 {
		return nil, violationf("empty message list")
	}
	code, ok := ToInt(l[0])
	if !ok {
		return nil, violationf("element 0 (message type): not an integer: ", typeName(l[0]))
	}
	t := Type(code)
	if code < 0 || code > 0xFFFF || !t.Known() {
		return nil, violationf("unknown message type ", strconv.FormatInt(code, 10))
	}
	a := arities[t]
	if len(l) < a.min || len(l) > a.max {
		return nil, arityViolation(t, len(l), a)
	}
	r := reader{t: t, l: l}
	var m Message
	if t < PUBLISH {
		m = r.sessionMessage()
	} else if t < CALL {
		m = r.pubSubMessage()
	} else {
		m = r.rpcMessage()
	}
	if r.err != nil {
		return nil, r.err
	}
	return m, nil
}

func arityViolation(t Type, n int, a arity) error {
	want := strconv.Itoa(a.min)
	if a.max != a.min {
		want += ".." + strconv.Itoa(a.max)
	}
	problem := ": too many elements: got "
	if n < a.min {
		problem = ": too few elements: got "
	}
	return violationf(t.String(), problem, strconv.Itoa(n), ", want ", want, " (type code included)")
}

func (r *reader) sessionMessage() Message {
	switch r.t {
	case HELLO:
		return &Hello{Realm: r.uri(1, "Realm"), Details: r.dict(2, "Details")}
	case WELCOME:
		return &Welcome{Session: r.id(1, "Session"), Details: r.dict(2, "Details")}
	case ABORT:
		return &Abort{Details: r.dict(1, "Details"), Reason: r.uri(2, "Reason")}
	case CHALLENGE:
		return &Challenge{AuthMethod: r.str(1, "AuthMethod"), Extra: r.dict(2, "Extra")}
	case AUTHENTICATE:
		return &Authenticate{Signature: r.str(1, "Signature"), Extra: r.dict(2, "Extra")}
	case GOODBYE:
		return &Goodbye{Details: r.dict(1, "Details"), Reason: r.uri(2, "Reason")}
	case ERROR:
		return &Error{RequestType: r.requestType(1), Request: r.id(2, "REQUEST.Request"),
			Details: r.dict(3, "Details"), Error: r.uri(4, "Error"), Args: r.args(5), Kwargs: r.kwargs(6)}
	}
	panic("wamp: unreachable: " + r.t.String())
}

func (r *reader) pubSubMessage() Message {
	switch r.t {
	case PUBLISH:
		return &Publish{Request: r.id(1, "Request"), Options: r.dict(2, "Options"),
			Topic: r.uri(3, "Topic"), Args: r.args(4), Kwargs: r.kwargs(5)}
	case PUBLISHED:
		return &Published{Request: r.id(1, "PUBLISH.Request"), Publication: r.id(2, "Publication")}
	case SUBSCRIBE:
		return &Subscribe{Request: r.id(1, "Request"), Options: r.dict(2, "Options"), Topic: r.uri(3, "Topic")}
	case SUBSCRIBED:
		return &Subscribed{Request: r.id(1, "SUBSCRIBE.Request"), Subscription: r.id(2, "Subscription")}
	case UNSUBSCRIBE:
		return &Unsubscribe{Request: r.id(1, "Request"), Subscription: r.id(2, "SUBSCRIBED.Subscription")}
	case UNSUBSCRIBED:
		req, details := r.revocable("UNSUBSCRIBE.Request")
		return &Unsubscribed{Request: req, Details: details}
	case EVENT:
		return &Event{Subscription: r.id(1, "SUBSCRIBED.Subscription"), Publication: r.id(2, "PUBLISHED.Publication"),
			Details: r.dict(3, "Details"), Args: r.args(4), Kwargs: r.kwargs(5)}
	}
	panic("wamp: unreachable: " + r.t.String())
}

func (r *reader) rpcMessage() Message {
	switch r.t {
	case CALL:
		return &Call{Request: r.id(1, "Request"), Options: r.dict(2, "Options"),
			Procedure: r.uri(3, "Procedure"), Args: r.args(4), Kwargs: r.kwargs(5)}
	case CANCEL:
		return &Cancel{Request: r.id(1, "CALL.Request"), Options: r.dict(2, "Options")}
	case RESULT:
		return &Result{Request: r.id(1, "CALL.Request"), Details: r.dict(2, "Details"),
			Args: r.args(3), Kwargs: r.kwargs(4)}
	case REGISTER:
		return &Register{Request: r.id(1, "Request"), Options: r.dict(2, "Options"), Procedure: r.uri(3, "Procedure")}
	case REGISTERED:
		return &Registered{Request: r.id(1, "REGISTER.Request"), Registration: r.id(2, "Registration")}
	case UNREGISTER:
		return &Unregister{Request: r.id(1, "Request"), Registration: r.id(2, "REGISTERED.Registration")}
	case UNREGISTERED:
		req, details := r.revocable("UNREGISTER.Request")
		return &Unregistered{Request: req, Details: details}
	case INVOCATION:
		return &Invocation{Request: r.id(1, "Request"), Registration: r.id(2, "REGISTERED.Registration"),
			Details: r.dict(3, "Details"), Args: r.args(4), Kwargs: r.kwargs(5)}
	case INTERRUPT:
		return &Interrupt{Request: r.id(1, "INVOCATION.Request"), Options: r.dict(2, "Options")}
	case YIELD:
		return &Yield{Request: r.id(1, "INVOCATION.Request"), Options: r.dict(2, "Options"),
			Args: r.args(3), Kwargs: r.kwargs(4)}
	}
	panic("wamp: unreachable: " + r.t.String())
}

// reader reads typed elements of one message list, keeping the first error.
// Element indexes below the type's minimum arity are always in range.
type reader struct {
	t   Type
	l   List
	err error
}

func (r *reader) fail(i int, name, problem string) {
	if r.err == nil {
		r.err = elemViolation(r.t, i, name, problem)
	}
}

func (r *reader) id(i int, name string) ID {
	id, ok := ToID(r.l[i])
	if !ok {
		r.fail(i, name, idProblem(r.l[i]))
	}
	return id
}

func idProblem(v any) string {
	var f float64
	switch x := v.(type) {
	case float64:
		f = x
	case float32:
		f = float64(x)
	default:
		if _, isInt := ToInt(v); isInt {
			return "ID out of range 1..2^53"
		}
		return "ID is not an integer: " + typeName(v)
	}
	switch {
	case f != math.Trunc(f): // NaN included
		return "ID is not an integer: float"
	case f >= 1<<53:
		return "ID out of range for a float: below 2^53 wanted (a larger float may be a rounded integer)"
	}
	return "ID out of range 1..2^53"
}

func (r *reader) dict(i int, name string) Dict {
	if d, ok := r.l[i].(map[string]any); ok {
		if d == nil {
			return Dict{}
		}
		return d
	}
	r.fail(i, name, "not a dict: "+typeName(r.l[i]))
	return nil
}

func (r *reader) str(i int, name string) string {
	if s, ok := r.l[i].(string); ok {
		return s
	}
	r.fail(i, name, "not a string: "+typeName(r.l[i]))
	return ""
}

func (r *reader) uri(i int, name string) URI { return URI(r.str(i, name)) }

func (r *reader) args(i int) List {
	if i >= len(r.l) {
		return nil
	}
	switch a := r.l[i].(type) {
	case []any:
		if a == nil {
			return List{}
		}
		return a
	case []byte, string:
		r.fail(i, "Arguments", "binary payload (payload passthru mode) is not supported")
		return nil
	}
	r.fail(i, "Arguments", "not a list: "+typeName(r.l[i]))
	return nil
}

func (r *reader) kwargs(i int) Dict {
	if i >= len(r.l) {
		return nil
	}
	return r.dict(i, "ArgumentsKw")
}

func (r *reader) requestType(i int) Type {
	n, ok := ToInt(r.l[i])
	if !ok {
		r.fail(i, "REQUEST.Type", "not an integer: "+typeName(r.l[i]))
		return 0
	}
	if n < 0 || n > 0xFFFF || !errorRequestTypes[Type(n)] {
		r.fail(i, "REQUEST.Type", "not a request type ERROR can answer: "+strconv.FormatInt(n, 10))
		return 0
	}
	return Type(n)
}

// revocable reads the Request and optional Details of UNSUBSCRIBED and
// UNREGISTERED: [code, Request] or [code, Request|0, Details].
func (r *reader) revocable(name string) (ID, Dict) {
	if len(r.l) == 2 {
		return r.id(1, name), nil
	}
	if n, ok := ToInt(r.l[1]); ok && n == 0 {
		return 0, r.dict(2, "Details")
	}
	return r.id(1, name), r.dict(2, "Details")
}

// typeName names a decoded value's kind for error messages.
func typeName(v any) string {
	switch v.(type) {
	case nil:
		return "null"
	case bool:
		return "bool"
	case string:
		return "string"
	case []byte:
		return "binary"
	case []any:
		return "list"
	case map[string]any:
		return "dict"
	case float32, float64:
		return "float"
	}
	if _, ok := ToInt(v); ok {
		return "integer"
	}
	return fmt.Sprintf("%T", v)
}
