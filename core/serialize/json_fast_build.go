package serialize

import "github.com/switchboard-wamp/switchboard/core/wamp"

// hotFields reads the typed elements of one message list; ok turns false
// as soon as an element is not of the plain valid form, and the caller then
// defers to wamp.FromList.
type hotFields struct {
	env *[maxEnvelope]jsonElem
	n   int
	ok  bool
}

func (h *hotFields) id(i int) wamp.ID {
	e := &h.env[i]
	if e.kind != elemInt || e.n < 1 || e.n > int64(wamp.MaxID) {
		h.ok = false
		return 0
	}
	return wamp.ID(e.n)
}

func (h *hotFields) dict(i int) wamp.Dict {
	d, ok := h.env[i].v.(map[string]any)
	if !ok || h.env[i].kind != elemAny {
		h.ok = false
	}
	return d
}

func (h *hotFields) uri(i int) wamp.URI {
	e := &h.env[i]
	if e.kind != elemStr {
		h.ok = false
	}
	return wamp.URI(e.s)
}

// payload reads the optional Arguments at i and ArgumentsKw at i+1.
func (h *hotFields) payload(i int) (wamp.List, wamp.Dict) {
	var args wamp.List
	var kwargs wamp.Dict
	if i < h.n {
		if e := &h.env[i]; e.kind == elemList {
			args = e.l
		} else {
			h.ok = false
		}
	}
	if i+1 < h.n {
		kwargs = h.dict(i + 1)
	}
	return args, kwargs
}

// errorRequestType reads ERROR's REQUEST.Type.
func (h *hotFields) errorRequestType(i int) wamp.Type {
	e := &h.env[i]
	if e.kind == elemInt {
		switch t := wamp.Type(e.n); t {
		case wamp.PUBLISH, wamp.SUBSCRIBE, wamp.UNSUBSCRIBE, wamp.CALL,
			wamp.REGISTER, wamp.UNREGISTER, wamp.INVOCATION:
			if e.n == int64(t) {
				return t
			}
		}
	}
	h.ok = false
	return 0
}

// buildHot builds the payload-carrying messages (CALL, YIELD, RESULT,
// INVOCATION, PUBLISH, EVENT, ERROR) when every element is in its plain
// valid form, with exactly the result wamp.FromList would give; otherwise
// it returns nil.
func buildHot(env *[maxEnvelope]jsonElem, n int) wamp.Message {
	if n < 3 || env[0].kind != elemInt {
		return nil
	}
	h := hotFields{env: env, n: n, ok: true}
	m := h.rpcMessage()
	if m == nil {
		m = h.otherMessage()
	}
	if m == nil || !h.ok {
		return nil
	}
	return m
}

// rpcMessage builds CALL, YIELD, RESULT and INVOCATION; nil for other
// types or a wrong element count.
func (h *hotFields) rpcMessage() wamp.Message {
	switch h.env[0].n {
	case int64(wamp.CALL):
		if h.n < 4 || h.n > 6 {
			return nil
		}
		c := &wamp.Call{Request: h.id(1), Options: h.dict(2), Procedure: h.uri(3)}
		c.Args, c.Kwargs = h.payload(4)
		return c
	case int64(wamp.YIELD):
		if h.n > 5 {
			return nil
		}
		y := &wamp.Yield{Request: h.id(1), Options: h.dict(2)}
		y.Args, y.Kwargs = h.payload(3)
		return y
	case int64(wamp.RESULT):
		if h.n > 5 {
			return nil
		}
		r := &wamp.Result{Request: h.id(1), Details: h.dict(2)}
		r.Args, r.Kwargs = h.payload(3)
		return r
	case int64(wamp.INVOCATION):
		if h.n < 4 || h.n > 6 {
			return nil
		}
		v := &wamp.Invocation{Request: h.id(1), Registration: h.id(2), Details: h.dict(3)}
		v.Args, v.Kwargs = h.payload(4)
		return v
	}
	return nil
}

// otherMessage builds PUBLISH, EVENT and ERROR; nil for other types or a
// wrong element count.
func (h *hotFields) otherMessage() wamp.Message {
	switch h.env[0].n {
	case int64(wamp.PUBLISH):
		if h.n < 4 || h.n > 6 {
			return nil
		}
		p := &wamp.Publish{Request: h.id(1), Options: h.dict(2), Topic: h.uri(3)}
		p.Args, p.Kwargs = h.payload(4)
		return p
	case int64(wamp.EVENT):
		if h.n < 4 || h.n > 6 {
			return nil
		}
		e := &wamp.Event{Subscription: h.id(1), Publication: h.id(2), Details: h.dict(3)}
		e.Args, e.Kwargs = h.payload(4)
		return e
	case int64(wamp.ERROR):
		if h.n < 5 {
			return nil
		}
		e := &wamp.Error{RequestType: h.errorRequestType(1), Request: h.id(2), Details: h.dict(3), Error: h.uri(4)}
		e.Args, e.Kwargs = h.payload(5)
		return e
	}
	return nil
}
