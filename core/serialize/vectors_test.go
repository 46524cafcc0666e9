package serialize

import (
	"bytes"
	"errors"
	"reflect"
	"strconv"
	"strings"
	"testing"

	"github.com/switchboard-wamp/switchboard/core/wamp"
	"github.com/switchboard-wamp/switchboard/core/wamp/wamptest"
)

const vectorsDir = "../wamp/testdata/vectors"

// vectorSerializers are checked against the conformance vectors; a new
// serializer joins with one line.
var vectorSerializers = []Serializer{JSON, MsgPack, CBOR}

// semanticOnly lists, per serializer, the samples whose listed variants
// order dict keys in a way our sorted-key encoders cannot reproduce (the
// vectors keep the producing library's insertion order; JSON and msgpack
// sort keys bytewise, CBOR length first as RFC 8949 core deterministic
// encoding does). For these, our bytes are compared semantically (decoded
// by an independent oracle, see oracleList) with the vector's bytes instead.
var semanticOnly = map[string]map[string]string{
	"json": {
		"singlemessage/basic/hello.json/0":   `roles: "subscriber" listed before "publisher"`,
		"singlemessage/basic/publish.json/5": `kwargs: "role" before "active"`,
		"singlemessage/basic/publish.json/6": `kwargs: "priority" before "count"`,
		"singlemessage/basic/publish.json/2": `forward_for entry: "session" before "authid"`,
		"singlemessage/basic/event.json/2":   `forward_for entry: "session" before "authid"`,
	},
	"msgpack": {
		"singlemessage/basic/hello.json/0":   `roles: "subscriber" listed before "publisher"`,
		"singlemessage/basic/publish.json/5": `kwargs: "role" before "active"`,
		"singlemessage/basic/publish.json/6": `kwargs: "priority" before "count"`,
		"singlemessage/basic/publish.json/2": `forward_for entry: "session" before "authid"`,
		"singlemessage/basic/event.json/2":   `forward_for entry: "session" before "authid"`,
	},
	"cbor": {
		// publish.json/5 ("role" before "active") is length-first order already.
		"singlemessage/basic/hello.json/0":   `roles: "subscriber" (10 bytes) before "publisher" (9)`,
		"singlemessage/basic/publish.json/6": `kwargs: "priority" (8 bytes) before "count" (5)`,
		"singlemessage/basic/publish.json/2": `forward_for entry: "session" (7 bytes) before "authid" (6)`,
		"singlemessage/basic/event.json/2":   `forward_for entry: "session" (7 bytes) before "authid" (6)`,
	},
}

func TestVectorsEncode(t *testing.T) {
	files, err := wamptest.LoadSingleMessage(vectorsDir)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range vectorSerializers {
		exact, semantic := 0, 0
		for _, f := range files {
			for si, sample := range f.Samples {
				variants := sample.Serializers[s.Name()]
				if sample.IsValidation() || len(variants) == 0 {
					continue
				}
				want, err := wamptest.ExpectedMessage(sample.ExpectedAttributes)
				if err != nil {
					continue // payload passthru / unknown type: nothing to encode (see TestVectorsDecode)
				}
				key := f.Path + "/" + strconv.Itoa(si)
				t.Run(s.Name()+"/"+key, func(t *testing.T) {
					if checkEncodeVector(t, s, want, variantData(t, variants), semanticOnly[s.Name()][key]) {
						exact++
					} else {
						semantic++
					}
				})
			}
		}
		if exact < 25 {
			t.Errorf("%s: only %d samples matched byte for byte", s.Name(), exact)
		}
		if semantic != len(semanticOnly[s.Name()]) {
			t.Errorf("%s: %d semantic comparisons, want %d (stale semanticOnly entry?)", s.Name(), semantic, len(semanticOnly[s.Name()]))
		}
		t.Logf("%s: %d samples byte-exact, %d semantic (key order)", s.Name(), exact, semantic)
	}
}

// checkEncodeVector encodes want with s and compares with the variants:
// byte for byte, or semantically when why (the reason) is set. Either way
// the oracle must read our bytes as want's wire list. It reports whether
// the match was exact.
func checkEncodeVector(t *testing.T, s Serializer, want wamp.Message, datas [][]byte, why string) (exact bool) {
	t.Helper()
	got, err := s.Append(nil, want)
	if err != nil {
		t.Fatalf("Append(%#v): %v", want, err)
	}
	gotList, err := oracleList(s.Name(), got)
	if err != nil {
		t.Fatalf("oracle cannot decode our %x: %v", got, err)
	}
	if !reflect.DeepEqual(wamptest.Normalize(gotList), wamptest.Normalize(wamp.ToList(want))) {
		t.Fatalf("oracle reads our bytes %x as\n %#v\nwant\n %#v", got, gotList, wamp.ToList(want))
	}
	for _, d := range datas {
		if bytes.Equal(got, d) {
			if why != "" {
				t.Errorf("sample now matches byte for byte; remove it from semanticOnly")
			}
			return true
		}
	}
	if why == "" {
		t.Fatalf("Append = %q (%x), want one of %q", got, got, datas)
	}
	wantList, err := oracleList(s.Name(), datas[0])
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(wamptest.Normalize(gotList), wamptest.Normalize(wantList)) {
		t.Fatalf("Append = %x, not equivalent to %x", got, datas[0])
	}
	return false
}

func variantData(t *testing.T, vs []wamptest.Variant) [][]byte {
	t.Helper()
	var out [][]byte
	for _, v := range vs {
		d, err := v.Data()
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, d)
	}
	return out
}

func TestVectorsDecode(t *testing.T) {
	files, err := wamptest.LoadSingleMessage(vectorsDir)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, s := range vectorSerializers {
		for _, f := range files {
			for si, sample := range f.Samples {
				if sample.IsValidation() {
					continue
				}
				want, wantErr := wamptest.ExpectedMessage(sample.ExpectedAttributes)
				for vi, v := range sample.Serializers[s.Name()] {
					n++
					name := s.Name() + "/" + f.Path + "/" + strconv.Itoa(si) + "/" + strconv.Itoa(vi)
					t.Run(name, func(t *testing.T) {
						data, err := v.Data()
						if err != nil {
							t.Fatal(err)
						}
						checkDecodeVector(t, s, data, want, wantErr, f.MessageCode)
					})
				}
			}
		}
	}
	if n < 40 {
		t.Errorf("only %d variants decoded", n)
	}
}

func checkDecodeVector(t *testing.T, s Serializer, data []byte, want wamp.Message, wantErr error, code int) {
	t.Helper()
	got, err := s.Decode(data)
	switch {
	case errors.Is(wantErr, wamptest.ErrPayloadPassthru):
		if !errors.Is(err, ErrDecode) || !errors.Is(err, wamp.ErrProtocolViolation) ||
			!strings.Contains(err.Error(), "payload passthru") {
			t.Fatalf("Decode(%q) = %v, %v; want a payload passthru violation", data, got, err)
		}
		return
	case errors.Is(wantErr, wamptest.ErrUnknownType):
		if !errors.Is(err, ErrDecode) || !errors.Is(err, wamp.ErrProtocolViolation) ||
			!strings.Contains(err.Error(), "unknown message type "+strconv.Itoa(code)) {
			t.Fatalf("Decode(%q) = %v, %v; want an unknown-type violation", data, got, err)
		}
		return
	case wantErr != nil:
		t.Fatal(wantErr)
	}
	if err != nil {
		t.Fatalf("Decode(%q): %v", data, err)
	}
	if !wamptest.Equal(got, want) {
		t.Fatalf("Decode(%q):\n got %#v\nwant %#v", data, got, want)
	}
	// Integers must come back as int64 exactly, not merely normalise equal.
	if !reflect.DeepEqual(wamp.ToList(got), wamptest.Normalize(wamp.ToList(got))) {
		t.Errorf("decoded values are not in canonical form: %#v", wamp.ToList(got))
	}
}
