package wamptest

import (
	"bytes"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
)

// File is one single-message vector file (singlemessage/*/*.json).
type File struct {
	Path        string   `json:"-"` // relative to the vectors directory, slash-separated
	Description string   `json:"description"`
	MessageType string   `json:"wamp_message_type"`
	MessageCode int      `json:"wamp_message_code"`
	Samples     []Sample `json:"samples"`
}

// Sample is one sample of a vector file: a serialization sample (Serializers
// and ExpectedAttributes set) or a validation sample (Wmsg set).
type Sample struct {
	Description string `json:"description"`

	// Serializers maps a serializer name (json, msgpack, cbor, ...) to the
	// accepted byte variants.
	Serializers map[string][]Variant `json:"serializers"`
	// ExpectedAttributes are the decoded message's attributes, numbers
	// decoded as json.Number.
	ExpectedAttributes map[string]any `json:"expected_attributes"`

	// Wmsg is the raw wire list of a validation sample, numbers decoded as
	// json.Number; nil for serialization samples.
	Wmsg []any `json:"wmsg"`
	// ExpectedError is set when Wmsg must be rejected.
	ExpectedError *ExpectedError `json:"expected_error"`
}

// IsValidation reports whether s is a validation sample.
func (s Sample) IsValidation() bool { return s.Wmsg != nil }

// ExpectedError describes a required rejection of a validation sample.
type ExpectedError struct {
	Type     string `json:"type"`     // e.g. "protocol_violation"
	Contains string `json:"contains"` // a substring of the error message
}

// Variant is one accepted byte representation of a sample.
type Variant struct {
	Bytes       string `json:"bytes"`
	BytesHex    string `json:"bytes_hex"`
	BytesBase64 string `json:"bytes_base64"`
	Note        string `json:"note"`
}

// Data returns the variant's bytes, preferring bytes_hex, then bytes_base64,
// then the literal bytes string. If several are present they must agree.
func (v Variant) Data() ([]byte, error) {
	var out [][]byte
	if v.BytesHex != "" {
		b, err := hex.DecodeString(v.BytesHex)
		if err != nil {
			return nil, fmt.Errorf("wamptest: bytes_hex: %w", err)
		}
		out = append(out, b)
	}
	if v.BytesBase64 != "" {
		b, err := base64.StdEncoding.DecodeString(v.BytesBase64)
		if err != nil {
			return nil, fmt.Errorf("wamptest: bytes_base64: %w", err)
		}
		out = append(out, b)
	}
	if v.Bytes != "" {
		out = append(out, []byte(v.Bytes))
	}
	if len(out) == 0 {
		return nil, errors.New("wamptest: variant has no bytes")
	}
	for _, b := range out[1:] {
		if !bytes.Equal(b, out[0]) {
			return nil, fmt.Errorf("wamptest: variant representations disagree: %q vs %q", out[0], b)
		}
	}
	return out[0], nil
}

// LoadSingleMessage reads every singlemessage/*/*.json file under dir, sorted
// by path.
func LoadSingleMessage(dir string) ([]File, error) {
	root := filepath.Join(dir, "singlemessage")
	var files []File
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(path, ".json") {
			return err
		}
		var f File
		if err := decodeFile(path, &f); err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, path)
		f.Path = filepath.ToSlash(rel)
		files = append(files, f)
		return nil
	})
	if err != nil {
		return nil, err
	}
	if len(files) == 0 {
		return nil, fmt.Errorf("wamptest: no vector files under %s", root)
	}
	sort.Slice(files, func(i, j int) bool { return files[i].Path < files[j].Path })
	return files, nil
}

// Sequence is a multi-session vector (multisession/*/*.json): an ordered list
// of messages between sessions and the router.
type Sequence struct {
	Path        string `json:"-"`
	Description string `json:"description"`
	Feature     string `json:"feature"`
	Steps       []Step `json:"sequence"`
}

// Step is one message of a Sequence. Message holds "type" (a message type
// name such as "PUBLISH") and the message's attributes.
type Step struct {
	Step        int            `json:"step"`
	Description string         `json:"description"`
	From        string         `json:"from"`
	To          string         `json:"to"`
	Message     map[string]any `json:"message"`
}

// LoadMultiSession reads every multisession/*/*.json file under dir.
func LoadMultiSession(dir string) ([]Sequence, error) {
	paths, err := filepath.Glob(filepath.Join(dir, "multisession", "*", "*.json"))
	if err != nil {
		return nil, err
	}
	if len(paths) == 0 {
		return nil, fmt.Errorf("wamptest: no multisession vectors under %s", dir)
	}
	sort.Strings(paths)
	seqs := make([]Sequence, 0, len(paths))
	for _, p := range paths {
		var s Sequence
		if err := decodeFile(p, &s); err != nil {
			return nil, err
		}
		rel, _ := filepath.Rel(dir, p)
		s.Path = filepath.ToSlash(rel)
		seqs = append(seqs, s)
	}
	return seqs, nil
}

func decodeFile(path string, v any) error {
	b, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	if err := dec.Decode(v); err != nil {
		return fmt.Errorf("wamptest: %s: %w", path, err)
	}
	return nil
}

// DecodeJSONList decodes b with encoding/json (UseNumber) into a wire list:
// the test oracle for JSON. It does not apply WAMP's binary convention.
func DecodeJSONList(b []byte) ([]any, error) {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var l []any
	if err := dec.Decode(&l); err != nil {
		return nil, err
	}
	if dec.More() {
		return nil, errors.New("wamptest: trailing data after JSON value")
	}
	return l, nil
}
