package serialize

import (
	"github.com/switchboard-wamp/switchboard/core/wamp"
)

// maxEnvelope is the most elements a WAMP message list has (ERROR: 7); the
// top-level array is parsed into that many jsonElems on the stack.
const maxEnvelope = 7

// jsonElem is one element of the top-level array, kept unboxed when it is
// an integer, a string or a list so that the message can be built without
// the intermediate []any (and without boxing its Arguments).
type jsonElem struct {
	kind elemKind
	n    int64
	s    string
	l    []any // elemList
	v    any   // elemAny
}

type elemKind uint8

const (
	elemAny elemKind = iota
	elemInt
	elemStr
	elemList
)

func (e *jsonElem) boxed() any {
	switch e.kind {
	case elemInt:
		return e.n
	case elemStr:
		return e.s
	case elemList:
		return e.l
	}
	return e.v
}

// envelope parses the top-level array at d.i (which holds '['). The first
// maxEnvelope elements go to env; extra ones (a message list that is too
// long, rejected later by wamp.FromList) go boxed to extra.
func (d *jsonDecoder) envelope(env *[maxEnvelope]jsonElem) (n int, extra []any, err error) {
	d.i++
	d.skipSpaces()
	if d.i < len(d.b) && d.b[d.i] == ']' {
		d.i++
		return 0, nil, nil
	}
	for {
		d.skipSpaces()
		var e jsonElem
		if err := d.element(&e); err != nil {
			return 0, nil, err
		}
		if n < maxEnvelope {
			env[n] = e
		} else {
			extra = append(extra, e.boxed())
		}
		n++
		d.skipSpaces()
		if d.i >= len(d.b) {
			return 0, nil, d.syntaxErr("unexpected end of input in array")
		}
		switch d.b[d.i] {
		case ',':
			d.i++
		case ']':
			d.i++
			return n, extra, nil
		default:
			return 0, nil, d.syntaxErr("expected ',' or ']' after array element")
		}
	}
}

// element parses one top-level element into e.
func (d *jsonDecoder) element(e *jsonElem) error {
	if d.i < len(d.b) {
		switch c := d.b[d.i]; {
		case c == '"':
			s, err := d.str()
			if err != nil {
				return err
			}
			if v, ok := d.binaryOf(s); ok {
				e.v = v
				return nil
			}
			e.kind, e.s = elemStr, s
			return nil
		case c == '[':
			l, err := d.list(2)
			e.kind, e.l = elemList, l
			return err
		case c == '-' || (c >= '0' && c <= '9'):
			n, f, isInt, err := d.numberParts()
			if isInt {
				e.kind, e.n = elemInt, n
			} else {
				e.v = f
			}
			return err
		}
	}
	v, err := d.value(2)
	e.v = v
	return err
}

// buildMessage turns the parsed top-level elements into a message. The hot
// message types are built directly when every element has the plain valid
// form; anything else goes through wamp.FromList, which validates and
// reports exactly as for the other serializers.
func buildMessage(env *[maxEnvelope]jsonElem, n int, extra []any) (wamp.Message, error) {
	if extra == nil {
		if m := buildHot(env, n); m != nil {
			return m, nil
		}
	}
	l := make([]any, n)
	for i := range min(n, maxEnvelope) {
		l[i] = env[i].boxed()
	}
	copy(l[min(n, maxEnvelope):], extra)
	return wamp.FromList(l)
}
