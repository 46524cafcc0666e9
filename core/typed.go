package core

import (
	"context"
	"fmt"
	"reflect"

	"github.com/switchboard-wamp/switchboard/core/wamp"
)

// invalidArgument wraps a binding failure as the caller's error.
func invalidArgument(err error) error {
	return &Error{URI: wamp.ErrInvalidArgument, Args: wamp.List{err.Error()}}
}

// param binds one parameter of a typed handler.
type param[T any] struct {
	pos      int    // 1-based
	name     string // kwarg name; "" = positional only
	optional bool   // a pointer type
	dec      decodeFunc
}

func newParam[T any](pos int, names []string) param[T] {
	t := reflect.TypeFor[T]()
	dec, err := newDecoderCache().get(t)
	if err != nil {
		panic(fmt.Sprintf("core: typed handler: parameter %d: %v", pos, err))
	}
	p := param[T]{pos: pos, dec: dec, optional: t.Kind() == reflect.Pointer}
	if pos <= len(names) {
		p.name = names[pos-1]
	}
	return p
}

func (p *param[T]) label() string {
	if p.name == "" {
		return fmt.Sprintf("at position %d", p.pos)
	}
	return fmt.Sprintf("%q (position %d)", p.name, p.pos)
}

// bind extracts and converts the parameter's value.
func (p *param[T]) bind(args wamp.List, kwargs wamp.Dict) (out T, err error) {
	var v any
	present := false
	if p.name != "" {
		v, present = kwargs[p.name]
	}
	if p.pos <= len(args) {
		if present {
			return out, fmt.Errorf("argument %s given both by position and by name", p.label())
		}
		v, present = args[p.pos-1], true
	}
	if !present {
		if p.optional {
			return out, nil
		}
		return out, fmt.Errorf("argument %s is required", p.label())
	}
	if x, ok := v.(T); ok {
		return x, nil
	}
	if e := p.dec(v, reflect.ValueOf(&out).Elem()); e != nil {
		return out, fmt.Errorf("argument %s: %w", p.label(), e)
	}
	return out, nil
}

func checkNames(n int, names []string) {
	if len(names) > n {
		panic(fmt.Sprintf("core: typed handler: %d names for %d parameters", len(names), n))
	}
}

func checkArity(args wamp.List, n int) error {
	if len(args) > n {
		return invalidArgument(fmt.Errorf("too many arguments: want at most %d, got %d", n, len(args)))
	}
	return nil
}

// Func0 adapts a procedure without parameters (it accepts no positional
// arguments and ignores kwargs); results as for Func2.
func Func0[R any](f func(ctx context.Context) (R, error)) Handler {
	return func(ctx context.Context, inv *Invocation) (*Result, error) {
		if err := checkArity(inv.Args, 0); err != nil {
			return nil, err
		}
		r, err := f(ctx)
		if err != nil {
			return nil, err
		}
		return resultOf(r), nil
	}
}

// Func1 adapts a procedure with one parameter; names[0], if given, is its
// kwarg name. Binding, errors and results are as for Func2.
func Func1[A, R any](f func(ctx context.Context, a A) (R, error), names ...string) Handler {
	checkNames(1, names)
	pa := newParam[A](1, names)
	return func(ctx context.Context, inv *Invocation) (*Result, error) {
		if err := checkArity(inv.Args, 1); err != nil {
			return nil, err
		}
		a, err := pa.bind(inv.Args, inv.Kwargs)
		if err != nil {
			return nil, invalidArgument(err)
		}
		r, err := f(ctx, a)
		if err != nil {
			return nil, err
		}
		return resultOf(r), nil
	}
}

// Func2 adapts a procedure with two parameters into a Handler; names are
// their kwarg names, in order. Func0, Func1, Func3 and Bind work the same
// way: they bind a call's arguments to Go parameters and turn a Go return
// value into the call's result, so that a procedure is a plain Go
// function:
//
//	rs.Handle("com.example.add", core.Func2(func(ctx context.Context, a, b int64) (int64, error) {
//		return a + b, nil
//	}, "a", "b"))
//
// Arguments. Positional arguments fill the parameters in order; a
// parameter without a positional argument is taken from kwargs by the name
// given for it (names are optional, in parameter order). Unknown kwargs are
// ignored. Non-pointer parameters are required; pointer parameters are
// optional (nil when absent or null). A value converts to the parameter's
// type when it fits: integers of any kind (range-checked; integral floats
// count as integers), floats (integers convert), string, bool, []byte
// (binary), []T from a list, map[string]T and structs from a dict (see
// Bind for struct fields), arrays from a list of that length, any,
// wamp.List, wamp.Dict, and named types of those kinds. A missing required
// argument, a mistyped one, an argument given both by position and by name,
// or too many positional arguments answer ERROR wamp.error.invalid_argument
// with Args [message], the message naming the argument:
//
//	argument "b" (position 2): want integer, got string
//
// A value whose dynamic type already is the parameter's type (an int64
// from any serializer for an int64 parameter, a string, a wamp.Dict, ...)
// is taken without reflection; other values go through a decoder built by
// reflection when the handler is created.
//
// Results. The returned value R becomes the result as serverwamp maps it:
// a *Result passes through (nil = empty result); a list (wamp.List, a
// slice other than []byte, an array) becomes the positional arguments; a
// dict (wamp.Dict, a map with string keys, a struct or pointer to struct)
// becomes the keyword arguments; anything else, including nil, becomes
// the single positional argument [v]. Typed Go values (structs, typed
// slices and maps, named scalars) are converted into WAMP values; a
// wamp.List or wamp.Dict is sent as it is. A returned error is answered
// as for any Handler.
//
// The invocation (details, calling session, Progress) is available through
// InvocationFrom(ctx) and SessionFrom(ctx).
//
// The adapters panic when a parameter type cannot hold WAMP values
// (channels, functions, complex numbers, non-empty interfaces, maps with
// non-string keys) or when more names than parameters are given: those are
// programming errors, reported when the handler is built, never per call.
func Func2[A, B, R any](f func(ctx context.Context, a A, b B) (R, error), names ...string) Handler {
	checkNames(2, names)
	pa, pb := newParam[A](1, names), newParam[B](2, names)
	return func(ctx context.Context, inv *Invocation) (*Result, error) {
		if err := checkArity(inv.Args, 2); err != nil {
			return nil, err
		}
		a, err := pa.bind(inv.Args, inv.Kwargs)
		if err != nil {
			return nil, invalidArgument(err)
		}
		b, err := pb.bind(inv.Args, inv.Kwargs)
		if err != nil {
			return nil, invalidArgument(err)
		}
		r, err := f(ctx, a, b)
		if err != nil {
			return nil, err
		}
		return resultOf(r), nil
	}
}

// Func3 adapts a procedure with three parameters; names are their kwarg
// names, in order. Binding, errors and results are as for Func2.
func Func3[A, B, C, R any](f func(ctx context.Context, a A, b B, c C) (R, error), names ...string) Handler {
	checkNames(3, names)
	pa, pb, pc := newParam[A](1, names), newParam[B](2, names), newParam[C](3, names)
	return func(ctx context.Context, inv *Invocation) (*Result, error) {
		if err := checkArity(inv.Args, 3); err != nil {
			return nil, err
		}
		a, err := pa.bind(inv.Args, inv.Kwargs)
		if err != nil {
			return nil, invalidArgument(err)
		}
		b, err := pb.bind(inv.Args, inv.Kwargs)
		if err != nil {
			return nil, invalidArgument(err)
		}
		c, err := pc.bind(inv.Args, inv.Kwargs)
		if err != nil {
			return nil, invalidArgument(err)
		}
		r, err := f(ctx, a, b, c)
		if err != nil {
			return nil, err
		}
		return resultOf(r), nil
	}
}

// Bind adapts a procedure whose parameters are the fields of a struct T:
// positional arguments fill the fields in declaration order, kwargs fill
// them by name (`wamp:"name"` tag, else the field name, matched exactly or
// ignoring case). Fields are optional unless tagged `wamp:"name,required"`;
// `wamp:"-"` and unexported fields are skipped; nested structs fill from
// dicts by the same rules. Errors and results are as for Func2. Bind panics
// if T is not a struct or has a field that cannot hold WAMP values.
//
//	type addArgs struct {
//		A int64 `wamp:"a,required"`
//		B int64 `wamp:"b,required"`
//	}
//	core.Bind(func(ctx context.Context, in addArgs) (int64, error) { return in.A + in.B, nil })
func Bind[T, R any](f func(ctx context.Context, in T) (R, error)) Handler {
	t := reflect.TypeFor[T]()
	if t.Kind() != reflect.Struct {
		panic(fmt.Sprintf("core: Bind: %s is not a struct type", t))
	}
	plan, err := newDecoderCache().structPlan(t)
	if err != nil {
		panic(fmt.Sprintf("core: Bind: %s: %v", t, err))
	}
	return func(ctx context.Context, inv *Invocation) (*Result, error) {
		var in T
		if err := plan.bindArgs(inv.Args, inv.Kwargs, reflect.ValueOf(&in).Elem()); err != nil {
			return nil, invalidArgument(err)
		}
		r, err := f(ctx, in)
		if err != nil {
			return nil, err
		}
		return resultOf(r), nil
	}
}
