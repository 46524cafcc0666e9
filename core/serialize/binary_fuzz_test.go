package serialize

import (
	"bytes"
	"testing"

	"github.com/switchboard-wamp/switchboard/core/wamp"
	"github.com/switchboard-wamp/switchboard/core/wamp/wamptest"
)

// addBinarySeeds seeds f with every vector variant of the format, our own
// encodings of allMessages, and the bad-input table.
func addBinarySeeds(f *testing.F, s Serializer, bad []badInput) {
	files, err := wamptest.LoadSingleMessage(vectorsDir)
	if err != nil {
		f.Fatal(err)
	}
	for _, file := range files {
		for _, sample := range file.Samples {
			for _, v := range sample.Serializers[s.Name()] {
				if d, err := v.Data(); err == nil {
					f.Add(d)
				}
			}
		}
	}
	for _, m := range allMessages() {
		if b, err := s.Append(nil, m); err == nil && len(b) < 4096 {
			f.Add(b)
		}
	}
	for _, tt := range bad {
		if len(tt.in) < 512 {
			f.Add(unhex(f, tt.in))
		}
	}
}

// fuzzBinaryDecode: Decode never panics, and whatever it accepts re-encodes
// and decodes to an equal message (floats compared by bits, so NaN is
// fine), with stable bytes.
func fuzzBinaryDecode(t *testing.T, s Serializer, b []byte) {
	m, err := s.Decode(b)
	if err != nil {
		return
	}
	enc, err := s.Append(nil, m)
	if err != nil {
		t.Fatalf("Append of decoded %#v: %v", m, err)
	}
	m2, err := s.Decode(enc)
	if err != nil {
		t.Fatalf("Decode(Append(Decode(%x))) = %v; encoded %x", b, err, enc)
	}
	if m.Type() != m2.Type() || !equalBits(wamp.ToList(m), wamp.ToList(m2)) {
		t.Fatalf("round trip differs:\n in  %x\n enc %x\n got %#v\nwant %#v", b, enc, m2, m)
	}
	enc2, err := s.Append(nil, m2)
	if err != nil || !bytes.Equal(enc, enc2) {
		t.Fatalf("encoding not stable: %x vs %x (%v)", enc, enc2, err)
	}
}

// FuzzDecodeMsgpack also checks our hand-written decoder against the
// vmihailenco library: whatever value ours accepts, the library reads the
// same (safe to ask: ours only accepts frames whose lengths are real).
func FuzzDecodeMsgpack(f *testing.F) {
	addBinarySeeds(f, MsgPack, msgpackBadInputs)
	undefinedSeeds(f, MsgPack)
	f.Fuzz(func(t *testing.T, b []byte) {
		fuzzBinaryDecode(t, MsgPack, b)
		d := msgpackDecoder{b: b}
		v, err := d.value(0)
		l, isList := v.([]any)
		if err != nil || d.i != len(b) || !isList || d.undef {
			return // the library knows no undefined (ext type 0)
		}
		want, err := oracleList("msgpack", b)
		if err != nil {
			t.Fatalf("we decode %x, the library does not: %v", b, err)
		}
		if !equalBits(l, wamptest.Normalize(want)) {
			t.Fatalf("decoders differ on %x:\n ours %#v\n lib  %#v", b, l, want)
		}
	})
}

func FuzzDecodeCBOR(f *testing.F) {
	addBinarySeeds(f, CBOR, cborBadInputs)
	undefinedSeeds(f, CBOR)
	f.Fuzz(func(t *testing.T, b []byte) {
		fuzzBinaryDecode(t, CBOR, b)
	})
}
