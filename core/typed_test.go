package core_test

import (
	"context"
	"errors"
	"math"
	"reflect"
	"strings"
	"testing"

	"github.com/switchboard-wamp/switchboard/core"
	"github.com/switchboard-wamp/switchboard/core/wamp"
)

// invoke runs h directly on an invocation with args and kwargs.
func invoke(h core.Handler, args wamp.List, kwargs wamp.Dict) (*core.Result, error) {
	return h(context.Background(), &core.Invocation{Args: args, Kwargs: kwargs})
}

// wantInvalid checks that err is wamp.error.invalid_argument with exactly msg.
func wantInvalid(t *testing.T, err error, msg string) {
	t.Helper()
	var we *core.Error
	if !errors.As(err, &we) || we.URI != wamp.ErrInvalidArgument {
		t.Fatalf("err = %v, want %s", err, wamp.ErrInvalidArgument)
	}
	if len(we.Args) != 1 || we.Args[0] != msg {
		t.Fatalf("error args = %#v, want [%q]", we.Args, msg)
	}
}

func TestFunc2Binding(t *testing.T) {
	add := core.Func2(func(_ context.Context, a, b int64) (int64, error) { return a + b, nil }, "a", "b")
	ok := []struct {
		name   string
		args   wamp.List
		kwargs wamp.Dict
	}{
		{"positional", wamp.List{int64(40), int64(2)}, nil},
		{"kwargs", nil, wamp.Dict{"a": int64(40), "b": int64(2)}},
		{"mixed", wamp.List{int64(40)}, wamp.Dict{"b": int64(2)}},
		{"other number kinds", wamp.List{uint64(40), 2.0}, nil},
		{"unknown kwargs ignored", wamp.List{int64(40), int64(2)}, wamp.Dict{"c": "x"}},
	}
	for _, tt := range ok {
		res, err := invoke(add, tt.args, tt.kwargs)
		if err != nil || len(res.Args) != 1 || res.Args[0] != int64(42) || res.Kwargs != nil {
			t.Errorf("%s: %v %v, want args [42]", tt.name, res, err)
		}
	}
	bad := []struct {
		name   string
		args   wamp.List
		kwargs wamp.Dict
		msg    string
	}{
		{"mistyped", wamp.List{int64(1), "two"}, nil, `argument "b" (position 2): want integer, got string`},
		{"mistyped kwarg", nil, wamp.Dict{"a": 1.5, "b": int64(1)}, `argument "a" (position 1): want integer, got number`},
		{"missing", wamp.List{int64(1)}, nil, `argument "b" (position 2) is required`},
		{"both", wamp.List{int64(1), int64(2)}, wamp.Dict{"b": int64(3)}, `argument "b" (position 2) given both by position and by name`},
		{"too many", wamp.List{int64(1), int64(2), int64(3)}, nil, `too many arguments: want at most 2, got 3`},
		{"null", wamp.List{nil, int64(2)}, nil, `argument "a" (position 1): want integer, got null`},
	}
	for _, tt := range bad {
		t.Run(tt.name, func(t *testing.T) {
			_, err := invoke(add, tt.args, tt.kwargs)
			wantInvalid(t, err, tt.msg)
		})
	}
	// Without names, parameters are positional only.
	anon := core.Func1(func(_ context.Context, s string) (string, error) { return s, nil })
	_, err := invoke(anon, nil, wamp.Dict{"s": "x"})
	wantInvalid(t, err, `argument at position 1 is required`)
	// Errors of the function pass through unchanged.
	boom := &core.Error{URI: "com.example.boom"}
	fail := core.Func0(func(context.Context) (int64, error) { return 0, boom })
	if _, err := invoke(fail, nil, nil); err != boom {
		t.Errorf("err = %v, want the function's own", err)
	}
}

func TestTypedConversions(t *testing.T) {
	type point struct {
		X, Y int
	}
	type color string
	tests := []struct {
		name string
		h    core.Handler
		in   any
		want any // what the handler returns for in, as the result's value
		msg  string
	}{
		{"int8 in range", echo1[int8](), int64(-128), int64(-128), ""},
		{"int8 overflow", echo1[int8](), int64(300), nil, `argument "v" (position 1): want integer in [-128, 127], got 300`},
		{"uint16 negative", echo1[uint16](), int64(-1), nil, `argument "v" (position 1): want non-negative integer, got -1`},
		{"uint64 large", echo1[uint64](), uint64(math.MaxUint64), uint64(math.MaxUint64), ""},
		{"int from integral float", echo1[int](), 3.0, 3, ""},
		{"float from int", echo1[float64](), int64(3), 3.0, ""},
		{"float32 overflow", echo1[float32](), 1e300, nil, `argument "v" (position 1): want number in float32 range, got 1e+300`},
		{"bool", echo1[bool](), true, true, ""},
		{"bool mistyped", echo1[bool](), "true", nil, `argument "v" (position 1): want boolean, got string`},
		{"bytes", echo1[[]byte](), []byte{1, 2}, []byte{1, 2}, ""},
		{"bytes from string", echo1[[]byte](), "x", nil, `argument "v" (position 1): want binary, got string`},
		{"named string", echo1[color](), "red", "red", ""},
		{"slice", echo1[[]int](), wamp.List{int64(1), int64(2)}, wamp.List{int64(1), int64(2)}, ""},
		{"slice element", echo1[[]int](), wamp.List{int64(1), "x"}, nil, `argument "v" (position 1): [1]: want integer, got string`},
		{"array", echo1[[2]string](), wamp.List{"a", "b"}, wamp.List{"a", "b"}, ""},
		{"array length", echo1[[2]string](), wamp.List{"a"}, nil, `argument "v" (position 1): want list of 2, got list of 1`},
		{"map", echo1[map[string]float64](), wamp.Dict{"k": int64(1)}, wamp.Dict{"k": 1.0}, ""},
		{"map value", echo1[map[string]bool](), wamp.Dict{"k": int64(1)}, nil, `argument "v" (position 1): key "k": want boolean, got integer`},
		{"struct", echo1[point](), wamp.Dict{"X": int64(1), "y": int64(2)}, wamp.Dict{"X": int64(1), "Y": int64(2)}, ""},
		{"struct field", echo1[point](), wamp.Dict{"X": "1"}, nil, `argument "v" (position 1): field "X": want integer, got string`},
		{"nested", echo1[[]map[string][]point](), wamp.List{wamp.Dict{"k": wamp.List{wamp.Dict{"X": true}}}}, nil,
			`argument "v" (position 1): [0] key "k" [0] field "X": want integer, got boolean`},
		{"any", echo1[any](), wamp.Dict{"k": "v"}, wamp.Dict{"k": "v"}, ""},
		{"list", echo1[wamp.List](), wamp.List{"x", "y"}, wamp.List{"x", "y"}, ""},
		{"dict", echo1[wamp.Dict](), wamp.Dict{"k": "v"}, wamp.Dict{"k": "v"}, ""},
		{"pointer present", echo1[*int64](), int64(7), int64(7), ""},
		{"pointer null", echo1[*int64](), nil, nil, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res, err := invoke(tt.h, wamp.List{tt.in}, nil)
			if tt.msg != "" {
				wantInvalid(t, err, tt.msg)
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			got := resultValue(res)
			if !reflect.DeepEqual(got, tt.want) {
				t.Fatalf("got %#v, want %#v", got, tt.want)
			}
		})
	}
	// A pointer parameter is optional.
	res, err := invoke(echo1[*string](), nil, nil)
	if err != nil || !reflect.DeepEqual(res.Args, wamp.List{nil}) {
		t.Errorf("absent optional: %v %v, want args [null]", res, err)
	}
}

// echo1 returns a typed handler that answers its one argument "v".
func echo1[T any]() core.Handler {
	return core.Func1(func(_ context.Context, v T) (T, error) { return v, nil }, "v")
}

// resultValue is the single value a result carries: its kwargs, its
// single positional argument, or its args list.
func resultValue(res *core.Result) any {
	switch {
	case res.Kwargs != nil:
		return res.Kwargs
	case len(res.Args) == 1:
		if _, isList := res.Args[0].([]any); !isList {
			return res.Args[0]
		}
	}
	return res.Args
}

func TestTypedResults(t *testing.T) {
	type out struct {
		Sum   int64  `wamp:"sum"`
		Note  string `wamp:"note,omitempty"`
		Skip  bool   `wamp:"-"`
		Inner struct{ A []uint8 }
	}
	var nilOut *out
	tests := []struct {
		name string
		v    any
		want *core.Result
	}{
		{"scalar", int64(3), &core.Result{Args: wamp.List{int64(3)}}},
		{"nil", nil, &core.Result{Args: wamp.List{nil}}},
		{"string", "s", &core.Result{Args: wamp.List{"s"}}},
		{"binary is a scalar", []byte{1}, &core.Result{Args: wamp.List{[]byte{1}}}},
		{"list", wamp.List{1, "a"}, &core.Result{Args: wamp.List{1, "a"}}},
		{"typed slice", []int32{1, 2}, &core.Result{Args: wamp.List{int64(1), int64(2)}}},
		{"dict", wamp.Dict{"k": 1}, &core.Result{Kwargs: wamp.Dict{"k": 1}}},
		{"typed map", map[string]uint{"k": 1}, &core.Result{Kwargs: wamp.Dict{"k": uint64(1)}}},
		{"struct", out{Sum: 3, Skip: true}, &core.Result{Kwargs: wamp.Dict{"sum": int64(3), "Inner": wamp.Dict{"A": []byte(nil)}}}},
		{"struct pointer", &out{Sum: 1, Note: "n"}, &core.Result{Kwargs: wamp.Dict{"sum": int64(1), "note": "n", "Inner": wamp.Dict{"A": []byte(nil)}}}},
		{"nil pointer", nilOut, &core.Result{Args: wamp.List{nil}}},
		{"result", &core.Result{Args: wamp.List{"as is"}}, &core.Result{Args: wamp.List{"as is"}}},
		{"nil result", (*core.Result)(nil), &core.Result{}},
	}
	for _, tt := range tests {
		h := core.Func0(func(context.Context) (any, error) { return tt.v, nil })
		res, err := invoke(h, nil, nil)
		if err != nil || !reflect.DeepEqual(res, tt.want) {
			t.Errorf("%s: got %#v (%v), want %#v", tt.name, res, err, tt.want)
		}
	}
	// A statically typed struct result.
	h := core.Func0(func(context.Context) (out, error) { return out{Sum: 9}, nil })
	if res, _ := invoke(h, nil, nil); res.Kwargs["sum"] != int64(9) || res.Args != nil {
		t.Errorf("struct result: %#v", res)
	}
}

func TestBind(t *testing.T) {
	type opts struct {
		Verbose bool `wamp:"verbose"`
	}
	type args struct {
		Name    string   `wamp:"name,required"`
		Count   int      `wamp:"count"`
		Ratio   *float64 // untagged: "Ratio", or any case of it
		Opts    opts     `wamp:"opts"`
		Ignored string   `wamp:"-"`
		hidden  int
	}
	var got args
	h := core.Bind(func(_ context.Context, in args) (*core.Result, error) {
		got = in
		return &core.Result{Args: wamp.List{in.Name}}, nil
	})
	res, err := invoke(h, wamp.List{"n", int64(2)}, wamp.Dict{"ratio": 0.5, "opts": wamp.Dict{"verbose": true}, "Ignored": "x"})
	if err != nil || res.Args[0] != "n" {
		t.Fatalf("%v %v", res, err)
	}
	if got.Name != "n" || got.Count != 2 || got.Ratio == nil || *got.Ratio != 0.5 || !got.Opts.Verbose || got.Ignored != "" {
		t.Fatalf("bound %+v", got)
	}
	bad := []struct {
		name   string
		args   wamp.List
		kwargs wamp.Dict
		msg    string
	}{
		{"required", nil, wamp.Dict{"count": int64(1)}, `argument "name" (position 1) is required`},
		{"mistyped", nil, wamp.Dict{"name": "n", "count": "1"}, `argument "count" (position 2): want integer, got string`},
		{"nested", nil, wamp.Dict{"name": "n", "opts": wamp.Dict{"verbose": int64(1)}}, `argument "opts" (position 4): field "verbose": want boolean, got integer`},
		{"too many", wamp.List{"n", int64(1), 1.0, wamp.Dict{}, "x"}, nil, `too many arguments: want at most 4, got 5`},
		{"both", wamp.List{"n"}, wamp.Dict{"name": "m"}, `argument "name" (position 1) given both by position and by name`},
	}
	for _, tt := range bad {
		_, err := invoke(h, tt.args, tt.kwargs)
		t.Run(tt.name, func(t *testing.T) { wantInvalid(t, err, tt.msg) })
	}
}

func TestTypedConstructionPanics(t *testing.T) {
	tests := []struct {
		name  string
		build func()
		want  string
	}{
		{"chan param", func() { core.Func1(func(context.Context, chan int) (int, error) { return 0, nil }) }, "chan int"},
		{"interface param", func() { core.Func1(func(context.Context, error) (int, error) { return 0, nil }) }, "interface"},
		{"int-keyed map", func() { core.Func1(func(context.Context, map[int]string) (int, error) { return 0, nil }) }, "keys"},
		{"too many names", func() { core.Func1(func(context.Context, int) (int, error) { return 0, nil }, "a", "b") }, "2 names"},
		{"Bind non-struct", func() { core.Bind(func(context.Context, int) (int, error) { return 0, nil }) }, "not a struct"},
		{"Bind bad field", func() {
			core.Bind(func(context.Context, struct{ F func() }) (int, error) { return 0, nil })
		}, "field F"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			defer func() {
				v := recover()
				if s, _ := v.(string); !strings.Contains(s, tt.want) {
					t.Fatalf("panic %v, want one mentioning %q", v, tt.want)
				}
			}()
			tt.build()
		})
	}
}

// A recursive type binds (the decoder refers to itself).
func TestTypedRecursive(t *testing.T) {
	type node struct {
		Name string
		Kids []node
	}
	h := core.Func1(func(_ context.Context, n node) (int, error) {
		count := 0
		var walk func(node)
		walk = func(n node) {
			count++
			for _, k := range n.Kids {
				walk(k)
			}
		}
		walk(n)
		return count, nil
	})
	tree := wamp.Dict{"Name": "a", "Kids": wamp.List{wamp.Dict{"Name": "b"}, wamp.Dict{"Name": "c", "Kids": wamp.List{wamp.Dict{"Name": "d"}}}}}
	res, err := invoke(h, wamp.List{tree}, nil)
	if err != nil || res.Args[0] != 4 {
		t.Fatalf("%v %v, want [4]", res, err)
	}
}

func BenchmarkFunc2Int64(b *testing.B) {
	add := core.Func2(func(_ context.Context, a, b int64) (int64, error) { return a + b, nil }, "a", "b")
	inv := &core.Invocation{Args: wamp.List{int64(40), int64(2)}}
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := add(ctx, inv); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkBindStruct(b *testing.B) {
	type args struct {
		A int64 `wamp:"a,required"`
		B int64 `wamp:"b,required"`
	}
	h := core.Bind(func(_ context.Context, in args) (int64, error) { return in.A + in.B, nil })
	inv := &core.Invocation{Kwargs: wamp.Dict{"a": int64(40), "b": int64(2)}}
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := h(ctx, inv); err != nil {
			b.Fatal(err)
		}
	}
}
