package serialize

import (
	"testing"

	"github.com/switchboard-wamp/switchboard/core/wamp"
)

// The msgpack and CBOR counterparts of the JSON benchmarks, on the same
// messages (benchCall, benchEvent).

func benchDecode(b *testing.B, s Serializer, m wamp.Message) {
	frame, err := s.Append(nil, m)
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(frame)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := s.Decode(frame); err != nil {
			b.Fatal(err)
		}
	}
}

func benchEncode(b *testing.B, s Serializer, m wamp.Message) {
	buf := make([]byte, 0, 256)
	b.ReportAllocs()
	for b.Loop() {
		var err error
		if buf, err = s.Append(buf[:0], m); err != nil {
			b.Fatal(err)
		}
	}
	b.SetBytes(int64(len(buf)))
}

func BenchmarkMsgpackDecodeCall(b *testing.B)  { benchDecode(b, MsgPack, benchCall) }
func BenchmarkMsgpackEncodeCall(b *testing.B)  { benchEncode(b, MsgPack, benchCall) }
func BenchmarkMsgpackDecodeEvent(b *testing.B) { benchDecode(b, MsgPack, benchEvent) }
func BenchmarkMsgpackEncodeEvent(b *testing.B) { benchEncode(b, MsgPack, benchEvent) }
func BenchmarkCBORDecodeCall(b *testing.B)     { benchDecode(b, CBOR, benchCall) }
func BenchmarkCBOREncodeCall(b *testing.B)     { benchEncode(b, CBOR, benchCall) }
func BenchmarkCBORDecodeEvent(b *testing.B)    { benchDecode(b, CBOR, benchEvent) }
func BenchmarkCBOREncodeEvent(b *testing.B)    { benchEncode(b, CBOR, benchEvent) }

// BenchmarkCBORScanEvent measures the pre-scan alone, the part of CBOR
// decoding that is ours.
func BenchmarkCBORScanEvent(b *testing.B) {
	frame, err := CBOR.Append(nil, benchEvent)
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(frame)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := scanCBOR(frame); err != nil {
			b.Fatal(err)
		}
	}
}
