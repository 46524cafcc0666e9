package router

import (
	"bytes"
	"encoding/json"
	"fmt"
	"sort"
	"strconv"
	"strings"

	"github.com/switchboard-wamp/switchboard/core/wamp"
)

// Test-only conversion between JSON text and typed messages. It mirrors
// what a serializer plus wamp.FromList produce (int64 numbers, []any,
// map[string]any) with just enough checking for test scripts.
//
// TODO(core/wamp): use wamp.FromList/ToList once they are committed.

// parseJSON decodes one JSON value with integers as int64.
func parseJSON(s string) (any, error) {
	dec := json.NewDecoder(strings.NewReader(s))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, err
	}
	if dec.More() {
		return nil, fmt.Errorf("trailing data after JSON value")
	}
	return normalise(v), nil
}

func normalise(v any) any {
	switch x := v.(type) {
	case json.Number:
		if n, err := strconv.ParseInt(string(x), 10, 64); err == nil {
			return n
		}
		if n, err := strconv.ParseUint(string(x), 10, 64); err == nil {
			return n
		}
		f, _ := x.Float64()
		return f
	case []any:
		for i := range x {
			x[i] = normalise(x[i])
		}
	case map[string]any:
		for k := range x {
			x[k] = normalise(x[k])
		}
	}
	return v
}

// listReader pulls typed fields out of a wire list, remembering the first error.
type listReader struct {
	l   wamp.List
	err error
}

func (r *listReader) fail(i int, what string) {
	if r.err == nil {
		r.err = fmt.Errorf("element %d: want %s, got %#v", i, what, r.at(i))
	}
}

func (r *listReader) at(i int) any {
	if i < len(r.l) {
		return r.l[i]
	}
	return nil
}

func (r *listReader) id(i int) wamp.ID {
	n, ok := toInt(r.at(i))
	if !ok || n < 0 {
		r.fail(i, "id")
	}
	return wamp.ID(n)
}

func (r *listReader) str(i int) string {
	s, ok := r.at(i).(string)
	if !ok {
		r.fail(i, "string")
	}
	return s
}

func (r *listReader) uri(i int) wamp.URI { return wamp.URI(r.str(i)) }

func (r *listReader) dict(i int) wamp.Dict {
	d, ok := r.at(i).(map[string]any)
	if !ok {
		r.fail(i, "dict")
	}
	return d
}

func (r *listReader) args(i int) wamp.List {
	if i >= len(r.l) {
		return nil
	}
	l, ok := r.l[i].([]any)
	if !ok {
		r.fail(i, "list")
	}
	return l
}

func (r *listReader) kwargs(i int) wamp.Dict {
	if i >= len(r.l) {
		return nil
	}
	return r.dict(i)
}

// fromList converts a wire list to a typed message.
func fromList(l wamp.List) (wamp.Message, error) {
	r := &listReader{l: l}
	var m wamp.Message
	switch wamp.Type(r.id(0)) {
	case wamp.HELLO:
		m = &wamp.Hello{Realm: r.uri(1), Details: r.dict(2)}
	case wamp.WELCOME:
		m = &wamp.Welcome{Session: r.id(1), Details: r.dict(2)}
	case wamp.ABORT:
		m = &wamp.Abort{Details: r.dict(1), Reason: r.uri(2)}
	case wamp.CHALLENGE:
		m = &wamp.Challenge{AuthMethod: r.str(1), Extra: r.dict(2)}
	case wamp.AUTHENTICATE:
		m = &wamp.Authenticate{Signature: r.str(1), Extra: r.dict(2)}
	case wamp.GOODBYE:
		m = &wamp.Goodbye{Details: r.dict(1), Reason: r.uri(2)}
	case wamp.ERROR:
		m = &wamp.Error{RequestType: wamp.Type(r.id(1)), Request: r.id(2), Details: r.dict(3), Error: r.uri(4), Args: r.args(5), Kwargs: r.kwargs(6)}
	case wamp.PUBLISH:
		m = &wamp.Publish{Request: r.id(1), Options: r.dict(2), Topic: r.uri(3), Args: r.args(4), Kwargs: r.kwargs(5)}
	case wamp.PUBLISHED:
		m = &wamp.Published{Request: r.id(1), Publication: r.id(2)}
	case wamp.SUBSCRIBE:
		m = &wamp.Subscribe{Request: r.id(1), Options: r.dict(2), Topic: r.uri(3)}
	case wamp.SUBSCRIBED:
		m = &wamp.Subscribed{Request: r.id(1), Subscription: r.id(2)}
	case wamp.UNSUBSCRIBE:
		m = &wamp.Unsubscribe{Request: r.id(1), Subscription: r.id(2)}
	case wamp.UNSUBSCRIBED:
		m = &wamp.Unsubscribed{Request: r.id(1)}
	case wamp.EVENT:
		m = &wamp.Event{Subscription: r.id(1), Publication: r.id(2), Details: r.dict(3), Args: r.args(4), Kwargs: r.kwargs(5)}
	case wamp.CALL:
		m = &wamp.Call{Request: r.id(1), Options: r.dict(2), Procedure: r.uri(3), Args: r.args(4), Kwargs: r.kwargs(5)}
	case wamp.CANCEL:
		m = &wamp.Cancel{Request: r.id(1), Options: r.dict(2)}
	case wamp.RESULT:
		m = &wamp.Result{Request: r.id(1), Details: r.dict(2), Args: r.args(3), Kwargs: r.kwargs(4)}
	case wamp.REGISTER:
		m = &wamp.Register{Request: r.id(1), Options: r.dict(2), Procedure: r.uri(3)}
	case wamp.REGISTERED:
		m = &wamp.Registered{Request: r.id(1), Registration: r.id(2)}
	case wamp.UNREGISTER:
		m = &wamp.Unregister{Request: r.id(1), Registration: r.id(2)}
	case wamp.UNREGISTERED:
		m = &wamp.Unregistered{Request: r.id(1)}
	case wamp.INVOCATION:
		m = &wamp.Invocation{Request: r.id(1), Registration: r.id(2), Details: r.dict(3), Args: r.args(4), Kwargs: r.kwargs(5)}
	case wamp.INTERRUPT:
		m = &wamp.Interrupt{Request: r.id(1), Options: r.dict(2)}
	case wamp.YIELD:
		m = &wamp.Yield{Request: r.id(1), Options: r.dict(2), Args: r.args(3), Kwargs: r.kwargs(4)}
	default:
		return nil, fmt.Errorf("unknown message type %v", r.at(0))
	}
	return m, r.err
}

// payload appends the optional trailing Args and Kwargs.
func payload(l wamp.List, args wamp.List, kwargs wamp.Dict) wamp.List {
	if args == nil && kwargs == nil {
		return l
	}
	if args == nil {
		args = wamp.List{}
	}
	l = append(l, args)
	if kwargs != nil {
		l = append(l, kwargs)
	}
	return l
}

// toList converts a typed message to its wire list.
func toList(m wamp.Message) wamp.List {
	t := uint64(m.Type())
	switch x := m.(type) {
	case *wamp.Hello:
		return wamp.List{t, string(x.Realm), x.Details}
	case *wamp.Welcome:
		return wamp.List{t, uint64(x.Session), x.Details}
	case *welcomeMarker:
		return wamp.List{t, uint64(x.Session), "<standard details>"}
	case *wamp.Abort:
		return wamp.List{t, x.Details, string(x.Reason)}
	case *wamp.Goodbye:
		return wamp.List{t, x.Details, string(x.Reason)}
	case *wamp.Error:
		return payload(wamp.List{t, uint64(x.RequestType), uint64(x.Request), x.Details, string(x.Error)}, x.Args, x.Kwargs)
	case *wamp.Published:
		return wamp.List{t, uint64(x.Request), uint64(x.Publication)}
	case *wamp.Subscribed:
		return wamp.List{t, uint64(x.Request), uint64(x.Subscription)}
	case *wamp.Unsubscribed:
		return wamp.List{t, uint64(x.Request)}
	case *wamp.Event:
		return payload(wamp.List{t, uint64(x.Subscription), uint64(x.Publication), x.Details}, x.Args, x.Kwargs)
	case *wamp.Result:
		return payload(wamp.List{t, uint64(x.Request), x.Details}, x.Args, x.Kwargs)
	case *wamp.Registered:
		return wamp.List{t, uint64(x.Request), uint64(x.Registration)}
	case *wamp.Unregistered:
		return wamp.List{t, uint64(x.Request)}
	case *wamp.Invocation:
		return payload(wamp.List{t, uint64(x.Request), uint64(x.Registration), x.Details}, x.Args, x.Kwargs)
	case *wamp.Interrupt:
		return wamp.List{t, uint64(x.Request), x.Options}
	}
	return wamp.List{t, fmt.Sprintf("<no test rendering for %T>", m)}
}

// idNamer names integers in rendered output: it returns "" to print the
// number itself. kind is the ID's role at that list position ("sub", "reg",
// "pub" or "" elsewhere).
type idNamer func(n uint64, kind string) string

// idKinds marks the list positions holding router-assigned IDs.
var idKinds = map[wamp.Type]map[int]string{
	wamp.SUBSCRIBED: {2: "sub"},
	wamp.REGISTERED: {2: "reg"},
	wamp.PUBLISHED:  {2: "pub"},
	wamp.EVENT:      {1: "sub", 2: "pub"},
	wamp.INVOCATION: {2: "reg"},
}

// render prints a message as compact JSON with sorted keys, naming
// integers through name (nil: plain numbers).
func render(m wamp.Message, name idNamer) string {
	var b bytes.Buffer
	kinds := idKinds[m.Type()]
	b.WriteByte('[')
	for i, v := range toList(m) {
		if i > 0 {
			b.WriteByte(',')
		}
		writeValue(&b, v, kinds[i], name)
	}
	b.WriteByte(']')
	return b.String()
}

func writeValue(b *bytes.Buffer, v any, kind string, name idNamer) {
	if n, ok := toInt(v); ok && n >= 0 {
		if _, isFloat := v.(float64); !isFloat {
			if name != nil {
				if s := name(uint64(n), kind); s != "" {
					b.WriteString(s)
					return
				}
			}
			b.WriteString(strconv.FormatInt(n, 10))
			return
		}
	}
	switch x := v.(type) {
	case []any:
		b.WriteByte('[')
		for i, e := range x {
			if i > 0 {
				b.WriteByte(',')
			}
			writeValue(b, e, "", name)
		}
		b.WriteByte(']')
	case map[string]any:
		keys := make([]string, 0, len(x))
		for k := range x {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		b.WriteByte('{')
		for i, k := range keys {
			if i > 0 {
				b.WriteByte(',')
			}
			writeValue(b, k, "", nil)
			b.WriteByte(':')
			writeValue(b, x[k], idKindForKey(k), name)
		}
		b.WriteByte('}')
	default:
		enc := json.NewEncoder(b)
		enc.SetEscapeHTML(false)
		if err := enc.Encode(v); err != nil {
			fmt.Fprintf(b, "%q", fmt.Sprint(v))
		} else {
			b.Truncate(b.Len() - 1) // Encode's newline
		}
	}
}

// idKindForKey lets session IDs inside details render as their names.
func idKindForKey(k string) string {
	switch k {
	case "caller", "publisher":
		return "session"
	}
	return ""
}
