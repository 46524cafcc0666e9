package cluster

import (
	"bytes"
	"reflect"
	"strings"
	"testing"

	"github.com/switchboard-wamp/switchboard/core/wamp"
)

// Realm names become one subject token each, injectively.
func TestEscapeRealm(t *testing.T) {
	seen := map[string]wamp.URI{}
	for _, realm := range []wamp.URI{"realm1", "com.example", "com_2Eexample", "com_example", "a b", "a.b.c", "ä", "x-y", "*", ">", "com.example."} {
		tok := escapeRealm(realm)
		if tok == "" || strings.IndexFunc(tok, func(c rune) bool { return c > 127 || !tokenByte(byte(c)) }) >= 0 {
			t.Errorf("escapeRealm(%q) = %q: not a subject token", realm, tok)
		}
		if other, dup := seen[tok]; dup {
			t.Errorf("escapeRealm(%q) = escapeRealm(%q) = %q", realm, other, tok)
		}
		seen[tok] = realm
	}
	if got := escapeRealm("com.example"); got != "com_2Eexample" {
		t.Errorf("escapeRealm(com.example) = %q", got)
	}
	s := msgSubject("sb", "com.example", "b", "a")
	if s != "sb.m.com_2Eexample.b.a" || fromOfSubject(s) != "a" {
		t.Errorf("msgSubject = %q, from %q", s, fromOfSubject(s))
	}
}

// Control messages round-trip; garbage is an error, never a panic.
func TestControlMessageRoundTrip(t *testing.T) {
	in := &ctlMsg{Kind: ctlSnapshot, Node: "a", Inc: 7, Ver: 42, Realm: "realm1", Last: true,
		Entries: []entry{{Kind: KindSubscription, Key: "exact x", Value: []any{"x", "exact"}}}}
	b, err := encodeCtl(in)
	if err != nil {
		t.Fatal(err)
	}
	out, err := decodeCtl(b)
	if err != nil {
		t.Fatal(err)
	}
	if out.Kind != in.Kind || out.Node != in.Node || out.Inc != in.Inc || out.Ver != in.Ver || out.Realm != in.Realm ||
		!out.Last || len(out.Entries) != 1 || out.Entries[0].Key != "exact x" || !reflect.DeepEqual(out.Entries[0].Value, []any{"x", "exact"}) {
		t.Fatalf("round trip: %+v", out)
	}
	for _, bad := range [][]byte{nil, {0xc1}, {0x91, 0xc1}, []byte("not msgpack"), {0x9a}} {
		if _, err := decodeCtl(bad); err == nil {
			t.Errorf("decodeCtl(%x): no error", bad)
		}
	}
}

func FuzzDecodeControl(f *testing.F) {
	b, _ := encodeCtl(&ctlMsg{Kind: ctlDelta, Node: "a", Ver: 1, Realm: "r", Entries: []entry{{Kind: 1, Key: "k", Value: []any{"t", "exact"}}}})
	f.Add(b)
	f.Add([]byte{0x93, 0x01, 0xa1, 0x61, 0x05})
	f.Fuzz(func(t *testing.T, b []byte) {
		c, err := decodeCtl(b)
		if err == nil && c == nil {
			t.Fatal("nil message without error")
		}
	})
}

// checkCtl accepts every control message the encoder makes, and refuses
// declared lengths the bytes cannot hold before the msgpack library
// allocates them.
func TestCheckCtl(t *testing.T) {
	for _, m := range []*ctlMsg{
		{Kind: ctlDelta, Node: "a", Ver: 1, Realm: "r", Entries: []entry{{Kind: 1, Key: "k", Value: []any{"t", "exact", int64(-5), 3.5, true, nil, []byte{1, 2}, map[string]any{"x": []any{uint64(1 << 40)}}}}}},
		{Kind: ctlSnapshot, Node: strings.Repeat("n", 300), Ver: 1 << 40, Last: true, Entries: make([]entry, 70)},
		{Kind: ctlSync, Target: "b"},
		{},
	} {
		b, err := encodeCtl(m)
		if err != nil {
			t.Fatal(err)
		}
		if err := checkCtl(b); err != nil {
			t.Fatalf("%+v encoded as % x: refused: %v", m, b, err)
		}
		if _, err := decodeCtl(b); err != nil {
			t.Fatalf("%+v: %v", m, err)
		}
		if err := checkCtl(b[:len(b)-1]); err == nil && len(b) > 1 {
			t.Fatalf("%+v cut short: accepted", m)
		}
	}
	deep := append(bytes.Repeat([]byte{0x91}, maxCtlDepth+1), 0x01)
	for name, b := range map[string][]byte{
		"bin32 of 1.7 GB":   []byte("\x8f\xa10\xc6j0000\xa6000000\xa60"),
		"str32 of 4 GB":     {0xdb, 0xff, 0xff, 0xff, 0xff, 'x'},
		"array32 of 4G":     {0xdd, 0xff, 0xff, 0xff, 0xff, 0x01},
		"map16 over bytes":  {0xde, 0x00, 0x10, 0x01, 0x01},
		"too deep":          deep,
		"trailing bytes":    {0x01, 0x02},
		"never used (0xc1)": {0xc1},
		"empty":             {},
	} {
		if err := checkCtl(b); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}
