package serialize

import (
	"math"
	"reflect"
	"testing"

	"github.com/switchboard-wamp/switchboard/core/wamp"
)

// crossArgs and crossKwargs hold every kind of value, in the one Go
// representation all decoders produce.
var (
	crossArgs = wamp.List{
		int64(42), int64(-1), int64(1 << 53), int64(math.MinInt64), int64(math.MaxInt64), int64(0),
		23.5, 1.0, -0.5, 1e-300, true, false, nil,
		"str", "ünïcödé ✓ 😀", "", "a\x00b",
		[]byte{0, 1, 255}, []byte{},
		wamp.List{int64(1), wamp.List{"x", wamp.Dict{"k": []byte{7}}}, wamp.List{}},
		wamp.Dict{"nested": wamp.Dict{"list": wamp.List{int64(2), 2.5}}, "empty": wamp.Dict{}},
	}
	crossKwargs = wamp.Dict{
		"int": int64(42), "float": 23.5, "whole": 1.0, "bool": true, "nil": nil, "bytes": []byte{0, 1, 255},
		"str": "ünïcödé", "list": wamp.List{int64(-1), "x"}, "dict": wamp.Dict{"a": wamp.List{}}, "": "empty key",
	}
)

// TestCrossSerializer: a message decoded by X, re-encoded by Y and decoded
// by Y has exactly the values it started with, for every pair (X, Y): 42
// stays int64, 23.5 and 1.0 stay float64, bytes stay []byte. This is what a
// router does when a publisher and a subscriber use different formats.
func TestCrossSerializer(t *testing.T) {
	msgs := []wamp.Message{
		&wamp.Publish{Request: 1, Options: wamp.Dict{"acknowledge": true}, Topic: "com.example.t", Args: crossArgs, Kwargs: crossKwargs},
		&wamp.Event{Subscription: 5512315355, Publication: wamp.MaxID, Details: wamp.Dict{"publisher": int64(3)}, Args: crossArgs, Kwargs: crossKwargs},
		&wamp.Call{Request: 7, Options: wamp.Dict{"timeout": int64(1000)}, Procedure: "com.example.p", Args: crossArgs},
		&wamp.Yield{Request: 7, Options: wamp.Dict{}, Kwargs: crossKwargs, Args: wamp.List{}},
	}
	for _, x := range All() {
		for _, y := range All() {
			for _, m := range msgs {
				t.Run(x.Name()+"→"+y.Name()+"/"+m.Type().String(), func(t *testing.T) {
					bx, err := x.Append(nil, m)
					if err != nil {
						t.Fatal(err)
					}
					mx, err := x.Decode(bx)
					if err != nil {
						t.Fatal(err)
					}
					by, err := y.Append(nil, mx)
					if err != nil {
						t.Fatal(err)
					}
					my, err := y.Decode(by)
					if err != nil {
						t.Fatal(err)
					}
					if !reflect.DeepEqual(my, m) {
						t.Fatalf("got  %#v\nwant %#v", my, m)
					}
					// And the bytes are stable: re-encoding gives the same frame.
					if again, _ := y.Append(nil, my); string(again) != string(by) {
						t.Fatalf("%s encoding not stable", y.Name())
					}
				})
			}
		}
	}
}

// TestCrossSerializerTypes spells out the type guarantees on single values.
func TestCrossSerializerTypes(t *testing.T) {
	for _, x := range All() {
		for _, y := range All() {
			m := &wamp.Result{Request: 1, Details: wamp.Dict{}, Args: wamp.List{42, float32(23.5), uint64(7), []byte{1}, wamp.ID(9)}}
			bx, err := x.Append(nil, m)
			if err != nil {
				t.Fatal(err)
			}
			mx, err := x.Decode(bx)
			if err != nil {
				t.Fatal(err)
			}
			by, err := y.Append(nil, mx)
			if err != nil {
				t.Fatal(err)
			}
			my, err := y.Decode(by)
			if err != nil {
				t.Fatal(err)
			}
			want := wamp.List{int64(42), 23.5, int64(7), []byte{1}, int64(9)}
			if got := my.(*wamp.Result).Args; !reflect.DeepEqual(got, want) {
				t.Errorf("%s→%s: Args = %#v, want %#v", x.Name(), y.Name(), got, want)
			}
		}
	}
}

// TestLargeUnsigned pins what happens to an integer above math.MaxInt64,
// which only Go peers can produce: msgpack keeps it as uint64, JSON reads
// it back as float64 (segmentio's overflow rule), CBOR refuses the frame.
func TestLargeUnsigned(t *testing.T) {
	m := &wamp.Result{Request: 1, Details: wamp.Dict{}, Args: wamp.List{uint64(math.MaxUint64)}}
	for _, tt := range []struct {
		s    Serializer
		want any // nil: decode error
	}{
		{JSON, float64(math.MaxUint64)},
		{MsgPack, uint64(math.MaxUint64)},
		{CBOR, nil},
	} {
		b, err := tt.s.Append(nil, m)
		if err != nil {
			t.Fatal(err)
		}
		got, err := tt.s.Decode(b)
		if tt.want == nil {
			if err == nil {
				t.Errorf("%s: decoded %#v, want an error", tt.s.Name(), got)
			}
			continue
		}
		if err != nil {
			t.Fatalf("%s: %v", tt.s.Name(), err)
		}
		if v := got.(*wamp.Result).Args[0]; !reflect.DeepEqual(v, tt.want) {
			t.Errorf("%s: got %#v, want %#v", tt.s.Name(), v, tt.want)
		}
	}
}
