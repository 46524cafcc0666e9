package serialize

import (
	"bytes"
	"encoding/json"
	"errors"
	"math"
	"reflect"
	"strings"
	"testing"

	"github.com/switchboard-wamp/switchboard/core/wamp"
)

func TestRegistry(t *testing.T) {
	for _, tt := range []struct {
		get  func() (Serializer, bool)
		want Serializer
	}{
		{func() (Serializer, bool) { return ByName("json") }, JSON},
		{func() (Serializer, bool) { return BySubProtocol("wamp.2.json") }, JSON},
		{func() (Serializer, bool) { return ByRawSocketID(1) }, JSON},
		{func() (Serializer, bool) { return ByName("ubjson") }, nil},
		{func() (Serializer, bool) { return BySubProtocol("wamp.2.json.batched") }, nil},
		{func() (Serializer, bool) { return ByRawSocketID(0) }, nil},
	} {
		got, ok := tt.get()
		if got != tt.want || ok != (tt.want != nil) {
			t.Errorf("got %v, %v; want %v", got, ok, tt.want)
		}
	}
	if JSON.Name() != "json" || JSON.SubProtocol() != "wamp.2.json" || JSON.RawSocketID() != 1 || JSON.Binary() {
		t.Errorf("JSON identity wrong: %s %s %d %v", JSON.Name(), JSON.SubProtocol(), JSON.RawSocketID(), JSON.Binary())
	}
	all := All()
	all[0] = nil
	if All()[0] != JSON {
		t.Error("All() does not return a copy")
	}
}

func TestJSONEncodeExact(t *testing.T) {
	tests := []struct {
		name string
		m    wamp.Message
		want string
	}{
		{"call", &wamp.Call{Request: 7814135, Procedure: "com.myapp.myprocedure1", Args: wamp.List{"Hello, world!"}},
			`[48,7814135,{},"com.myapp.myprocedure1",["Hello, world!"]]`},
		{"kwargs only", &wamp.Call{Request: 1, Procedure: "p", Kwargs: wamp.Dict{"b": 1, "a": 2}},
			`[48,1,{},"p",[],{"a":2,"b":1}]`},
		{"sorted keys", &wamp.Publish{Request: 1, Topic: "t", Options: wamp.Dict{"z": 1, "a": true, "m": nil, "b": "x"}},
			`[16,1,{"a":true,"b":"x","m":null,"z":1},"t"]`},
		{"many keys", &wamp.Hello{Realm: "r", Details: manyKeys(20)},
			`[1,"r",{"k00":0,"k01":1,"k02":2,"k03":3,"k04":4,"k05":5,"k06":6,"k07":7,"k08":8,"k09":9,"k10":10,"k11":11,"k12":12,"k13":13,"k14":14,"k15":15,"k16":16,"k17":17,"k18":18,"k19":19}]`},
		{"binary", &wamp.Event{Subscription: 1, Publication: 2, Args: wamp.List{[]byte{0, 1, 2, 0xff}}},
			`[36,1,2,{},["\u0000AAEC/w=="]]`},
		{"floats", &wamp.Yield{Request: 1, Args: wamp.List{23.5, 42.0, math.Copysign(0, -1), 1e21, 1e-7, 0.1, float32(1.5), float32(3)}},
			`[70,1,{},[23.5,42.0,-0.0,1e+21,1e-7,0.1,1.5,3.0]]`},
		{"ints", &wamp.Result{Request: 1, Args: wamp.List{int64(-1), int64(math.MaxInt64), uint64(math.MaxUint64), int8(-8),
			int16(16), int32(32), uint(1), uint8(8), uint16(16), uint32(32), uintptr(9), wamp.ID(5), wamp.CALL, 7}},
			`[50,1,{},[-1,9223372036854775807,18446744073709551615,-8,16,32,1,8,16,32,9,5,48,7]]`},
		{"strings", &wamp.Result{Request: 1, Args: wamp.List{"q\"b\\s/\b\f\n\r\t\x00\x1f<>&\u2028\u2029é😀", "bad\xffutf8", wamp.URI("u")}},
			`[50,1,{},["q\"b\\s/\b\f\n\r\t\u0000\u001f<>&\u2028\u2029é😀","bad\ufffdutf8","u"]]`},
		{"nested", &wamp.Result{Request: 1, Args: wamp.List{wamp.List{wamp.Dict{"a": wamp.List{}}}, nil, true, false}},
			`[50,1,{},[[{"a":[]}],null,true,false]]`},
		{"fallback types", &wamp.Result{Request: 1, Args: wamp.List{[]string{"x"}, map[string]string{"b": "1", "a": "2"},
			struct {
				N int `json:"n"`
			}{3}, json.Number("12.5")}},
			`[50,1,{},[["x"],{"a":"2","b":"1"},{"n":3},12.5]]`},
		{"error", &wamp.Error{RequestType: wamp.CALL, Request: 5, Error: wamp.ErrNoSuchProcedure},
			`[8,48,5,{},"wamp.error.no_such_procedure"]`},
		{"unsubscribed revocation", &wamp.Unsubscribed{Details: wamp.Dict{"subscription": 9}},
			`[35,0,{"subscription":9}]`},
		{"unregistered", &wamp.Unregistered{Request: 3}, `[67,3]`},
		{"max id", &wamp.Welcome{Session: wamp.MaxID}, `[2,9007199254740992,{}]`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := JSON.Append([]byte("prefix"), tt.m)
			if err != nil {
				t.Fatal(err)
			}
			if string(got) != "prefix"+tt.want {
				t.Fatalf("Append =\n %s\nwant\n %s", got[6:], tt.want)
			}
			if !json.Valid(got[6:]) {
				t.Errorf("output is not valid JSON per encoding/json")
			}
		})
	}
}

func manyKeys(n int) wamp.Dict {
	d := wamp.Dict{}
	for i := 0; i < n; i++ {
		d[string([]byte{'k', byte('0' + i/10), byte('0' + i%10)})] = i
	}
	return d
}

func TestJSONEncodeErrors(t *testing.T) {
	deep := any("x")
	for i := 0; i < MaxNesting; i++ {
		deep = wamp.List{deep}
	}
	cyclic := wamp.List{nil}
	cyclic[0] = cyclic
	tests := []struct {
		name string
		m    wamp.Message
		want string
	}{
		{"NaN", &wamp.Call{Request: 1, Procedure: "p", Args: wamp.List{math.NaN()}}, "NaN"},
		{"Inf", &wamp.Call{Request: 1, Procedure: "p", Kwargs: wamp.Dict{"x": math.Inf(-1)}}, "-Inf"},
		{"Inf32", &wamp.Call{Request: 1, Procedure: "p", Args: wamp.List{float32(math.Inf(1))}}, "+Inf"},
		{"chan", &wamp.Call{Request: 1, Procedure: "p", Args: wamp.List{make(chan int)}}, "chan int"},
		{"too deep", &wamp.Call{Request: 1, Procedure: "p", Args: wamp.List{deep}}, "MaxNesting"},
		{"cyclic", &wamp.Call{Request: 1, Procedure: "p", Args: cyclic}, "MaxNesting"},
		{"unknown message", fakeMessage{}, "cannot encode message"},
		{"nil message", nil, "cannot encode message"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dst := []byte("keep")
			got, err := JSON.Append(dst, tt.m)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("Append error %v, want one containing %q", err, tt.want)
			}
			if string(got) != "keep" {
				t.Errorf("dst changed on error: %q", got)
			}
		})
	}
}

type fakeMessage struct{}

func (fakeMessage) Type() wamp.Type { return 99 }

func TestJSONNestingLimitSymmetric(t *testing.T) {
	// The deepest value Append accepts decodes; one level more fails both ways.
	ok := any("x")
	for i := 0; i < MaxNesting-2; i++ { // message list + Args list + 62 levels
		ok = wamp.List{ok}
	}
	m := &wamp.Result{Request: 1, Args: wamp.List{ok}}
	b, err := JSON.Append(nil, m)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := JSON.Decode(b); err != nil {
		t.Fatalf("Decode of maximal nesting: %v", err)
	}
	m.Args = wamp.List{wamp.List{ok}}
	if _, err := JSON.Append(nil, m); err == nil {
		t.Fatal("Append accepted nesting beyond MaxNesting")
	}
	deeper := append(append([]byte{}, b[:len(b)-1]...), ']')
	deeper = bytes.Replace(deeper, []byte(`{},[`), []byte(`{},[[`), 1)
	deeper = append(deeper[:len(deeper)-1], ']', ']')
	if _, err := JSON.Decode(deeper); !errors.Is(err, ErrDecode) {
		t.Fatalf("Decode of too deep frame: %v", err)
	}
}

func TestJSONRoundTrip(t *testing.T) {
	args := wamp.List{
		"Hello, world!", "ünïcödé ✓ 😀", "", int64(0), int64(-1), int64(1 << 53), int64(math.MinInt64),
		int64(math.MaxInt64), 23.5, 42.0, 1e300, -2.5e-10, true, false, nil,
		[]byte{}, []byte{0, 0, 0}, []byte("binary\x00data"),
		wamp.List{wamp.List{[]byte{1}}, wamp.Dict{"bin": []byte{2}, "deep": wamp.Dict{"x": wamp.List{}}}},
		wamp.Dict{}, "a\x00b",
	}
	kwargs := wamp.Dict{"count": int64(42), "f": 23.5, "b": []byte("kw"), "nested": wamp.Dict{"l": wamp.List{int64(1)}}}
	msgs := []wamp.Message{
		&wamp.Call{Request: 1, Options: wamp.Dict{"timeout": int64(1000)}, Procedure: "com.example.p", Args: args, Kwargs: kwargs},
		&wamp.Event{Subscription: wamp.MaxID, Publication: 1, Details: wamp.Dict{}, Args: args},
		&wamp.Hello{Realm: "realm1", Details: wamp.Dict{"roles": wamp.Dict{"caller": wamp.Dict{"features": wamp.Dict{"call_timeout": true}}}}},
		&wamp.Unregistered{Request: 0, Details: wamp.Dict{"registration": int64(5), "reason": "wamp.close.killed"}},
		&wamp.Error{RequestType: wamp.INVOCATION, Request: 9, Details: wamp.Dict{}, Error: "app.err", Args: wamp.List{}, Kwargs: wamp.Dict{}},
	}
	for _, m := range msgs {
		t.Run(m.Type().String(), func(t *testing.T) {
			b, err := JSON.Append(nil, m)
			if err != nil {
				t.Fatal(err)
			}
			got, err := JSON.Decode(b)
			if err != nil {
				t.Fatalf("Decode(%s): %v", b, err)
			}
			if !reflect.DeepEqual(got, m) {
				t.Fatalf("round trip of %s:\n got %#v\nwant %#v", b, got, m)
			}
		})
	}
}

func TestJSONDecodeNumberTypes(t *testing.T) {
	m, err := JSON.Decode([]byte(`[50, 1, {}, [42, 23.5, 42.0, 1e3, 9007199254740993, 18446744073709551616, -0, -7]]`))
	if err != nil {
		t.Fatal(err)
	}
	want := wamp.List{int64(42), 23.5, 42.0, 1000.0, int64(9007199254740993), 18446744073709551616.0, int64(0), int64(-7)}
	if got := m.(*wamp.Result).Args; !reflect.DeepEqual(got, want) {
		t.Errorf("Args = %#v, want %#v", got, want)
	}
}

func TestJSONDecodeBinary(t *testing.T) {
	tests := []struct {
		in   string
		want any
	}{
		{`"\u0000AAEC/w=="`, []byte{0, 1, 2, 0xff}},
		{`"\u0000AAEC/w"`, []byte{0, 1, 2, 0xff}}, // unpadded accepted
		{`"\u0000"`, []byte{}},
		{`"a\u0000b"`, "a\x00b"}, // NUL not first: a string
		{`{"k":"\u0000aGk="}`, map[string]any{"k": []byte("hi")}},
		{`[["\u0000aGk="]]`, []any{[]any{[]byte("hi")}}},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			m, err := JSON.Decode([]byte(`[50,1,{},[` + tt.in + `]]`))
			if err != nil {
				t.Fatal(err)
			}
			if got := m.(*wamp.Result).Args[0]; !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got %#v, want %#v", got, tt.want)
			}
		})
	}
}

func TestJSONDecodeDoesNotAlias(t *testing.T) {
	b := []byte(`[48,1,{"k":"value"},"com.example.proc",["argument"]]`)
	m, err := JSON.Decode(b)
	if err != nil {
		t.Fatal(err)
	}
	for i := range b {
		b[i] = 'X'
	}
	c := m.(*wamp.Call)
	if c.Procedure != "com.example.proc" || c.Args[0] != "argument" || c.Options["k"] != "value" {
		t.Errorf("decoded message aliases the input: %#v", c)
	}
}
