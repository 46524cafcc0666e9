package serialize

import (
	"testing"

	"github.com/switchboard-wamp/switchboard/core/wamp"
)

// The messages of DEPENDENCIES.md's codec micro-benchmark, for comparison.
var (
	benchCall = &wamp.Call{Request: 123456, Options: wamp.Dict{}, Procedure: "com.example.add",
		Args: wamp.List{int64(1), int64(2)}, Kwargs: wamp.Dict{"k": "v"}}
	benchEvent = &wamp.Event{Subscription: 5512315355, Publication: 7881439201934568,
		Details: wamp.Dict{"publisher": int64(3335656), "topic": "com.myapp.topic1"},
		Args:    wamp.List{"Hello, world!", 23.5, true},
		Kwargs:  wamp.Dict{"count": int64(42), "label": "x", "nested": wamp.Dict{"a": int64(1), "b": wamp.List{int64(1), int64(2)}}}}
)

func BenchmarkJSONDecodeCall(b *testing.B) {
	frame, err := JSON.Append(nil, benchCall)
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(frame)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := JSON.Decode(frame); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkJSONEncodeCall(b *testing.B) {
	buf := make([]byte, 0, 256)
	b.ReportAllocs()
	for b.Loop() {
		var err error
		if buf, err = JSON.Append(buf[:0], benchCall); err != nil {
			b.Fatal(err)
		}
	}
	b.SetBytes(int64(len(buf)))
}

func BenchmarkJSONEncodeEvent(b *testing.B) {
	buf := make([]byte, 0, 256)
	b.ReportAllocs()
	for b.Loop() {
		var err error
		if buf, err = JSON.Append(buf[:0], benchEvent); err != nil {
			b.Fatal(err)
		}
	}
	b.SetBytes(int64(len(buf)))
}

func BenchmarkJSONDecodeEvent(b *testing.B) {
	frame, err := JSON.Append(nil, benchEvent)
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(frame)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := JSON.Decode(frame); err != nil {
			b.Fatal(err)
		}
	}
}
