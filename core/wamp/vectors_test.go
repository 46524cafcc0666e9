package wamp_test

import (
	"errors"
	"reflect"
	"strconv"
	"strings"
	"testing"

	"github.com/switchboard-wamp/switchboard/core/wamp"
	"github.com/switchboard-wamp/switchboard/core/wamp/wamptest"
)

const vectorsDir = "testdata/vectors"

// vectorCodecs are the serializers whose vector bytes these tests decode, each
// with a test-only oracle decoder that yields the wire list. Package wamp
// sees only lists, so adding msgpack or cbor is one line here.
var vectorCodecs = []struct {
	name   string
	decode func([]byte) ([]any, error)
}{
	{"json", wamptest.DecodeJSONList},
}

// pptValidationSamples are validation samples that carry a payload-passthru
// payload (a string where Arguments belong). FromList rejects payload passthru
// mode by design, so these fail as "payload passthru" whatever the vector
// expects.
var pptValidationSamples = map[string]bool{
	"PUBLISH.Options.enc_algo cryptobox (valid with payload)":  true,
	"PUBLISH.Options.enc_algo with invalid value":              true,
	"PUBLISH.Options.enc_serializer cbor (valid with payload)": true,
	"EVENT.Details.enc_algo cryptobox (valid with payload)":    true,
	"EVENT.Details.enc_algo with invalid value":                true,
	"EVENT.Details.enc_serializer cbor (valid with payload)":   true,
}

func loadVectors(t *testing.T) []wamptest.File {
	t.Helper()
	files, err := wamptest.LoadSingleMessage(vectorsDir)
	if err != nil {
		t.Fatal(err)
	}
	return files
}

func TestVectorsSerializationSamples(t *testing.T) {
	checked := map[string]int{}
	for _, f := range loadVectors(t) {
		for si, s := range f.Samples {
			if s.IsValidation() {
				continue
			}
			want, wantErr := wamptest.ExpectedMessage(s.ExpectedAttributes)
			if wantErr != nil && !errors.Is(wantErr, wamptest.ErrPayloadPassthru) &&
				!errors.Is(wantErr, wamptest.ErrUnknownType) {
				t.Fatalf("%s sample %d: %v", f.Path, si, wantErr)
			}
			for _, c := range vectorCodecs {
				for vi, v := range s.Serializers[c.name] {
					name := f.Path + "/" + strconv.Itoa(si) + "/" + c.name + "/" + strconv.Itoa(vi)
					t.Run(name, func(t *testing.T) {
						checkVectorVariant(t, c.decode, v, want, wantErr, f.MessageCode)
					})
					checked[f.Path]++
				}
			}
		}
	}
	for _, f := range loadVectors(t) {
		if checked[f.Path] == 0 {
			t.Errorf("%s: no serialization sample checked", f.Path)
		}
	}
}

func checkVectorVariant(t *testing.T, decode func([]byte) ([]any, error), v wamptest.Variant,
	want wamp.Message, wantErr error, code int) {
	data, err := v.Data()
	if err != nil {
		t.Fatal(err)
	}
	l, err := decode(data)
	if err != nil {
		t.Fatalf("oracle decode of %q: %v", data, err)
	}
	got, err := wamp.FromList(l)
	switch {
	case errors.Is(wantErr, wamptest.ErrPayloadPassthru):
		if !errors.Is(err, wamp.ErrProtocolViolation) || !strings.Contains(err.Error(), "payload passthru") {
			t.Fatalf("FromList(%q) = %v, %v; want a payload passthru violation", data, got, err)
		}
		return
	case errors.Is(wantErr, wamptest.ErrUnknownType):
		if !errors.Is(err, wamp.ErrProtocolViolation) ||
			!strings.Contains(err.Error(), "unknown message type "+strconv.Itoa(code)) {
			t.Fatalf("FromList(%q) = %v, %v; want an unknown-type violation", data, got, err)
		}
		return
	}
	if err != nil {
		t.Fatalf("FromList(%q): %v", data, err)
	}
	if !wamptest.Equal(got, want) {
		t.Fatalf("FromList(%q):\n got %#v\nwant %#v", data, got, want)
	}
	if back := wamptest.Normalize(wamp.ToList(got)); !reflect.DeepEqual(back, wamptest.Normalize(l)) {
		t.Errorf("ToList round trip:\n got %#v\nwant %#v", back, wamptest.Normalize(l))
	}
	if err := wamp.ValidateOptions(got); err != nil {
		t.Errorf("ValidateOptions: %v", err)
	}
}

func TestVectorsValidationSamples(t *testing.T) {
	n := 0
	for _, f := range loadVectors(t) {
		for _, s := range f.Samples {
			if !s.IsValidation() {
				continue
			}
			n++
			t.Run(s.Description, func(t *testing.T) {
				m, err := wamp.FromList(s.Wmsg)
				if pptValidationSamples[s.Description] {
					if err == nil || !strings.Contains(err.Error(), "payload passthru") {
						t.Fatalf("FromList = %v, %v; want a payload passthru violation", m, err)
					}
					return
				}
				if err != nil {
					t.Fatalf("FromList(%v): %v", s.Wmsg, err)
				}
				err = wamp.ValidateOptions(m)
				if s.ExpectedError == nil {
					if err != nil {
						t.Fatalf("ValidateOptions: %v", err)
					}
					return
				}
				if s.ExpectedError.Type != "protocol_violation" {
					t.Fatalf("unexpected expected_error type %q", s.ExpectedError.Type)
				}
				if !errors.Is(err, wamp.ErrProtocolViolation) || !strings.Contains(err.Error(), s.ExpectedError.Contains) {
					t.Fatalf("ValidateOptions = %v, want a protocol violation containing %q", err, s.ExpectedError.Contains)
				}
			})
		}
	}
	if n < 50 {
		t.Errorf("only %d validation samples found", n)
	}
}

func TestVectorsMultiSession(t *testing.T) {
	seqs, err := wamptest.LoadMultiSession(vectorsDir)
	if err != nil {
		t.Fatal(err)
	}
	for _, seq := range seqs {
		for _, step := range seq.Steps {
			t.Run(seq.Path+"/"+strconv.Itoa(step.Step), func(t *testing.T) {
				m, err := wamptest.ExpectedMessage(step.Message)
				if err != nil {
					t.Fatal(err)
				}
				if m.Type().String() != step.Message["type"] {
					t.Fatalf("type %v, want %v", m.Type(), step.Message["type"])
				}
				back, err := wamp.FromList(wamptest.Normalize(wamp.ToList(m)).([]any))
				if err != nil {
					t.Fatalf("FromList(ToList(%#v)): %v", m, err)
				}
				if !wamptest.Equal(back, m) {
					t.Errorf("round trip: got %#v, want %#v", back, m)
				}
				if err := wamp.ValidateOptions(m); err != nil {
					t.Errorf("ValidateOptions: %v", err)
				}
			})
		}
	}
}
