package core

import (
	"fmt"
	"math"
	"reflect"
	"strconv"

	"github.com/switchboard-wamp/switchboard/core/wamp"
)

// Typed parameters. A decoder converts one WAMP value (as a serializer
// produced it: nil, bool, int64/uint64/float64 or another number kind,
// string, []byte, wamp.List, wamp.Dict) into a Go value. Decoders are built
// by reflection once, when the typed handler is created; per call, a value
// whose dynamic type already is the parameter's type is taken as it is,
// and only other values go through the reflective decoder.

// convError is a value that does not fit its parameter. path locates it
// inside the argument (`field "x"`, `[2]`).
type convError struct {
	path    string
	want    string
	got     string
	missing bool // a required value is absent: "<path> is required"
}

func (e *convError) Error() string {
	if e.missing {
		return e.path + " is required"
	}
	if e.path == "" {
		return "want " + e.want + ", got " + e.got
	}
	return e.path + ": want " + e.want + ", got " + e.got
}

// at prefixes the error's location with one more step (outermost first).
func (e *convError) at(step string) *convError {
	if e.path == "" {
		e.path = step
	} else {
		e.path = step + " " + e.path
	}
	return e
}

// decodeFunc stores v into dst, a settable value of the decoder's type.
type decodeFunc func(v any, dst reflect.Value) *convError

// describe names a WAMP value's type for error messages.
func describe(v any) string {
	switch x := v.(type) {
	case nil:
		return "null"
	case bool:
		return "boolean"
	case string:
		return "string"
	case []byte:
		return "binary"
	case []any:
		return "list"
	case map[string]any:
		return "dict"
	case float32, float64:
		if _, ok := wamp.ToInt(x); ok {
			return "integer"
		}
		return "number"
	}
	if _, ok := wamp.ToInt(v); ok {
		return "integer"
	}
	if _, ok := v.(uint64); ok {
		return "integer"
	}
	return fmt.Sprintf("%T", v)
}

// decoderCache builds the decoders of one typed handler. Each type is built
// once; a type met again while it is being built (a recursive type such as
// type Node struct{ Kids []Node }) gets a forwarder to its final decoder.
type decoderCache struct {
	m map[reflect.Type]*decodeFunc
}

func newDecoderCache() *decoderCache { return &decoderCache{m: make(map[reflect.Type]*decodeFunc)} }

// get returns the decoder of t, or reports that t cannot hold WAMP values
// (channels, functions, complex numbers, non-empty interfaces, maps with
// non-string keys).
func (c *decoderCache) get(t reflect.Type) (decodeFunc, error) {
	if p, ok := c.m[t]; ok {
		if *p != nil {
			return *p, nil
		}
		return func(v any, dst reflect.Value) *convError { return (*p)(v, dst) }, nil
	}
	p := new(decodeFunc)
	c.m[t] = p
	d, err := c.build(t)
	if err != nil {
		return nil, err
	}
	*p = d
	return d, nil
}

func (c *decoderCache) build(t reflect.Type) (decodeFunc, error) {
	switch t.Kind() {
	case reflect.Bool:
		return decodeBool, nil
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return decodeInt, nil
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		return decodeUint, nil
	case reflect.Float32, reflect.Float64:
		return decodeFloat, nil
	case reflect.String:
		return decodeString, nil
	case reflect.Interface:
		if t.NumMethod() != 0 {
			return nil, fmt.Errorf("interface type %s (only any can hold a WAMP value)", t)
		}
		return decodeAny, nil
	case reflect.Pointer:
		return c.pointerDecoder(t)
	case reflect.Slice:
		if t.Elem().Kind() == reflect.Uint8 {
			return decodeBytes, nil
		}
		return c.sliceDecoder(t)
	case reflect.Array:
		return c.arrayDecoder(t)
	case reflect.Map:
		return c.mapDecoder(t)
	case reflect.Struct:
		plan, err := c.structPlan(t)
		if err != nil {
			return nil, err
		}
		return plan.decodeDict, nil
	}
	return nil, fmt.Errorf("type %s cannot hold a WAMP value", t)
}

func decodeBool(v any, dst reflect.Value) *convError {
	b, ok := v.(bool)
	if !ok {
		return &convError{want: "boolean", got: describe(v)}
	}
	dst.SetBool(b)
	return nil
}

func decodeInt(v any, dst reflect.Value) *convError {
	n, ok := wamp.ToInt(v)
	if !ok {
		return &convError{want: "integer", got: describe(v)}
	}
	if dst.OverflowInt(n) {
		bits := dst.Type().Bits()
		return &convError{want: fmt.Sprintf("integer in [%d, %d]", int64(-1)<<(bits-1), int64(1)<<(bits-1)-1),
			got: strconv.FormatInt(n, 10)}
	}
	dst.SetInt(n)
	return nil
}

func decodeUint(v any, dst reflect.Value) *convError {
	var u uint64
	if x, ok := v.(uint64); ok {
		u = x
	} else if n, ok := wamp.ToInt(v); ok && n >= 0 {
		u = uint64(n)
	} else {
		if ok {
			return &convError{want: "non-negative integer", got: strconv.FormatInt(n, 10)}
		}
		return &convError{want: "non-negative integer", got: describe(v)}
	}
	if dst.OverflowUint(u) {
		max := uint64(1)<<dst.Type().Bits() - 1
		return &convError{want: fmt.Sprintf("integer in [0, %d]", max), got: strconv.FormatUint(u, 10)}
	}
	dst.SetUint(u)
	return nil
}

func decodeFloat(v any, dst reflect.Value) *convError {
	var f float64
	switch x := v.(type) {
	case float64:
		f = x
	case float32:
		f = float64(x)
	case uint64:
		f = float64(x)
	default:
		n, ok := wamp.ToInt(v)
		if !ok {
			return &convError{want: "number", got: describe(v)}
		}
		f = float64(n)
	}
	if dst.Kind() == reflect.Float32 && !math.IsInf(f, 0) && dst.OverflowFloat(f) {
		return &convError{want: "number in float32 range", got: strconv.FormatFloat(f, 'g', -1, 64)}
	}
	dst.SetFloat(f)
	return nil
}

func decodeString(v any, dst reflect.Value) *convError {
	s, ok := v.(string)
	if !ok {
		return &convError{want: "string", got: describe(v)}
	}
	dst.SetString(s)
	return nil
}

func decodeBytes(v any, dst reflect.Value) *convError {
	switch b := v.(type) {
	case []byte:
		dst.SetBytes(b)
	case nil:
		dst.SetZero()
	default:
		return &convError{want: "binary", got: describe(v)}
	}
	return nil
}

func decodeAny(v any, dst reflect.Value) *convError {
	if v == nil {
		dst.SetZero()
	} else {
		dst.Set(reflect.ValueOf(v))
	}
	return nil
}

func (c *decoderCache) pointerDecoder(t reflect.Type) (decodeFunc, error) {
	elem, err := c.get(t.Elem())
	if err != nil {
		return nil, err
	}
	return func(v any, dst reflect.Value) *convError {
		if v == nil {
			dst.SetZero()
			return nil
		}
		p := reflect.New(t.Elem())
		if e := elem(v, p.Elem()); e != nil {
			return e
		}
		dst.Set(p)
		return nil
	}, nil
}

func (c *decoderCache) sliceDecoder(t reflect.Type) (decodeFunc, error) {
	elem, err := c.get(t.Elem())
	if err != nil {
		return nil, err
	}
	return func(v any, dst reflect.Value) *convError {
		if v == nil {
			dst.SetZero()
			return nil
		}
		l, ok := v.([]any)
		if !ok {
			return &convError{want: "list", got: describe(v)}
		}
		s := reflect.MakeSlice(t, len(l), len(l))
		for i, x := range l {
			if e := elem(x, s.Index(i)); e != nil {
				return e.at("[" + strconv.Itoa(i) + "]")
			}
		}
		dst.Set(s)
		return nil
	}, nil
}

func (c *decoderCache) arrayDecoder(t reflect.Type) (decodeFunc, error) {
	elem, err := c.get(t.Elem())
	if err != nil {
		return nil, err
	}
	return func(v any, dst reflect.Value) *convError {
		l, ok := v.([]any)
		if !ok || len(l) != t.Len() {
			return &convError{want: "list of " + strconv.Itoa(t.Len()), got: describeLen(v)}
		}
		for i, x := range l {
			if e := elem(x, dst.Index(i)); e != nil {
				return e.at("[" + strconv.Itoa(i) + "]")
			}
		}
		return nil
	}, nil
}

func describeLen(v any) string {
	if l, ok := v.([]any); ok {
		return "list of " + strconv.Itoa(len(l))
	}
	return describe(v)
}

func (c *decoderCache) mapDecoder(t reflect.Type) (decodeFunc, error) {
	if t.Key().Kind() != reflect.String {
		return nil, fmt.Errorf("map type %s: WAMP dict keys are strings", t)
	}
	elem, err := c.get(t.Elem())
	if err != nil {
		return nil, err
	}
	return func(v any, dst reflect.Value) *convError {
		if v == nil {
			dst.SetZero()
			return nil
		}
		d, ok := v.(map[string]any)
		if !ok {
			return &convError{want: "dict", got: describe(v)}
		}
		m := reflect.MakeMapWithSize(t, len(d))
		ev := reflect.New(t.Elem()).Elem()
		for k, x := range d {
			ev.SetZero()
			if e := elem(x, ev); e != nil {
				return e.at("key " + strconv.Quote(k))
			}
			m.SetMapIndex(reflect.ValueOf(k).Convert(t.Key()), ev)
		}
		dst.Set(m)
		return nil
	}, nil
}
