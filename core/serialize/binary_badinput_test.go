package serialize

import (
	"bytes"
	"errors"
	"runtime"
	"strings"
	"testing"

	"github.com/switchboard-wamp/switchboard/core/wamp"
)

const (
	syntaxErr   = 1 // ErrDecode only
	protocolErr = 2 // ErrDecode and wamp.ErrProtocolViolation
)

type badInput struct {
	name  string
	in    string // hex, spaces allowed
	class int    // 0: must decode
	want  string // substring of the error
}

// Frames around "p": CALL [48, 1, {}, "p"] and the start of one with Args.
const (
	mpCall    = "94 30 01 80 a170"
	mpCallArg = "95 30 01 80 a170"
	cbCall    = "84 1830 01 a0 6170"
	cbCallArg = "85 1830 01 a0 6170"
)

var msgpackBadInputs = []badInput{
	{"empty", "", syntaxErr, "unexpected end"},
	{"truncated", "95 30 ce0077", syntaxErr, "unexpected end"},
	{"trailing data", "92 43 ce2f0604aa 00", syntaxErr, "trailing data"},
	{"two frames", "92 43 01 92 43 01", syntaxErr, "trailing data"},
	{"map frame", "81 a161 01", protocolErr, "frame is a msgpack map, not an array"},
	{"str frame", "a161", protocolErr, "frame is a msgpack string"},
	{"int frame", "30", protocolErr, "frame is a msgpack number"},
	{"nil frame", "c0", protocolErr, "frame is a msgpack nil"},
	{"bin frame", "c40100", protocolErr, "frame is a msgpack binary"},
	{"bool frame", "c3", protocolErr, "frame is a msgpack boolean"},
	{"empty array", "90", protocolErr, "empty message list"},
	{"type not int", "94 a130 01 80 a170", protocolErr, "element 0 (message type): not an integer"},
	{"unknown type", "91 07", protocolErr, "unknown message type 7"},
	{"event received", "92 cd0151 cf00000001488f41db", protocolErr, "unknown message type 337"},
	{"too few", "93 30 01 80", protocolErr, "CALL: too few elements"},
	{"id zero", "94 30 00 80 a170", protocolErr, "ID out of range"},
	{"id 2^53+1", "94 30 cf0020000000000001 80 a170", protocolErr, "ID out of range"},
	{"id max uint64", "94 30 cfffffffffffffffff 80 a170", protocolErr, "(Request): ID"},
	{"id negative", "94 30 ff 80 a170", protocolErr, "ID out of range"},
	{"id float", "94 30 cb3ff8000000000000 80 a170", protocolErr, "not an integer"},
	{"options list", "94 30 01 90 a170", protocolErr, "(Options): not a dict"},
	{"procedure binary", "94 30 01 80 c40170", protocolErr, "(Procedure): not a string"},
	{"ppt payload", "95 10 01 80 a174 c40101", protocolErr, "payload passthru"},
	{"int map key", mpCallArg + "91 81 01 01", protocolErr, "map key is not a str"},
	{"bin map key", mpCallArg + "91 81 c40161 01", protocolErr, "map key is not a str"},
	{"nil map key", "94 30 01 81 c0 01 a170", protocolErr, "map key is not a str"},
	{"array map key", mpCallArg + "91 81 90 01", protocolErr, "map key is not a str"},
	// msgpack: invalid UTF-8 in str is rejected, as msgpack-python (raw=False)
	// does; binary data belongs in bin.
	{"invalid UTF-8 str", mpCallArg + "91 a2c328", syntaxErr, "not valid UTF-8"},
	{"invalid UTF-8 key", mpCallArg + "91 81 a1ff 01", syntaxErr, "not valid UTF-8"},
	{"invalid UTF-8 procedure", "94 30 01 80 a3eda080", syntaxErr, "not valid UTF-8"},
	{"fixext", mpCallArg + "91 d40101", syntaxErr, "extension type (code 0xd4)"},
	{"ext8", mpCallArg + "91 c7010100", syntaxErr, "extension type (code 0xc7)"},
	{"timestamp ext", mpCallArg + "91 d6ff00000000", syntaxErr, "extension type"},
	{"never used code", mpCallArg + "91 c1", syntaxErr, "never-used code 0xc1"},
	{"huge array32", "dd ffffffff 01", syntaxErr, "unexpected end"},
	{"huge array16", "dc ffff 01", syntaxErr, "unexpected end"},
	{"huge map32", "df ffffffff a161 01", syntaxErr, "unexpected end"},
	{"huge bin32", mpCallArg + "91 c6 ffffffff 00", syntaxErr, "unexpected end"},
	{"huge str32", mpCallArg + "91 db ffffffff 00", syntaxErr, "unexpected end"},
	{"huge nested array", mpCallArg + "dd7fffffff dd7fffffff dd7fffffff", syntaxErr, "unexpected end"},
	{"map count over half the rest", "94 30 01 83 a161 01 a162", syntaxErr, "unexpected end"},
	{"too deep", mpCallArg + strings.Repeat("91", 63) + "90", syntaxErr, "nesting deeper than 64"},
	{"too deep map", mpCallArg + "91" + strings.Repeat("81a16b", 62) + "80", syntaxErr, "nesting deeper than 64"},
	{"very deep", strings.Repeat("91", 1<<20) + "90", syntaxErr, "nesting deeper"},
	{"very deep maps", strings.Repeat("81a0", 1<<19) + "80", syntaxErr, "nesting deeper"},
	{"max depth", mpCallArg + strings.Repeat("91", 62) + "90", 0, ""},
	{"max depth map", mpCallArg + "91" + strings.Repeat("81a16b", 61) + "80", 0, ""},
}

var cborBadInputs = []badInput{
	{"empty", "", syntaxErr, "unexpected end"},
	{"truncated", "85 1830 1a0077", syntaxErr, "unexpected end"},
	{"truncated indefinite", "9f 1830 01", syntaxErr, "unexpected end"},
	{"trailing data", "82 1843 03 00", syntaxErr, "extraneous data"},
	{"two frames", "82 1843 03 82 1843 03", syntaxErr, "extraneous data"},
	{"map frame", "a1 6161 01", protocolErr, "frame is a CBOR map, not an array"},
	{"text frame", "6161", protocolErr, "frame is a CBOR string"},
	{"int frame", "1830", protocolErr, "frame is a CBOR number"},
	{"null frame", "f6", protocolErr, "frame is a CBOR nil"},
	{"bytes frame", "4100", protocolErr, "frame is a CBOR binary"},
	{"bool frame", "f5", protocolErr, "frame is a CBOR boolean"},
	{"empty array", "80", protocolErr, "empty message list"},
	{"type not int", "84 6130 01 a0 6170", protocolErr, "element 0 (message type): not an integer"},
	{"unknown type", "81 07", protocolErr, "unknown message type 7"},
	{"id zero", "84 1830 00 a0 6170", protocolErr, "ID out of range"},
	{"id 2^53+1", "84 1830 1b0020000000000001 a0 6170", protocolErr, "ID out of range"},
	{"id negative", "84 1830 20 a0 6170", protocolErr, "ID out of range"},
	{"id float", "84 1830 fb3ff8000000000000 a0 6170", protocolErr, "not an integer"},
	{"options list", "84 1830 01 80 6170", protocolErr, "(Options): not a dict"},
	{"procedure bytes", "84 1830 01 a0 4170", protocolErr, "(Procedure): not a string"},
	{"ppt payload", "85 10 01 a0 6174 4101", protocolErr, "payload passthru"},
	{"int map key", cbCallArg + "81 a1 01 01", protocolErr, "map key is not a text string"},
	{"null map key", "84 1830 01 a1 f6 01 6170", protocolErr, "map key is not a text string"},
	{"undefined map key", cbCallArg + "81 a1 f7 01", protocolErr, "map key is not a text string"},
	{"bytes map key", cbCallArg + "81 a1 4161 01", protocolErr, "map key is not a text string"},
	{"array map key", cbCallArg + "81 a1 80 01", protocolErr, "map key is not a text string"},
	{"null key in indefinite map", cbCallArg + "81 bf f6 01 ff", protocolErr, "map key is not a text string"},
	{"invalid UTF-8 text", cbCallArg + "81 62c328", syntaxErr, "invalid UTF-8"},
	{"invalid UTF-8 key", cbCallArg + "81 a1 61ff 01", syntaxErr, "invalid UTF-8"},
	{"tag", cbCallArg + "81 c11a514b67b0", syntaxErr, "tags are not supported"},
	{"bignum tag", cbCallArg + "81 c249010000000000000000", syntaxErr, "tags are not supported"},
	{"unassigned simple value", cbCallArg + "81 f0", syntaxErr, "invalid CBOR"},
	{"8-bit simple value", cbCallArg + "81 f820", syntaxErr, "invalid CBOR"},
	{"reserved info", cbCallArg + "81 1c", syntaxErr, "malformed"},
	{"break outside indefinite", cbCallArg + "81 ff", syntaxErr, "malformed"},
	{"indefinite int", cbCallArg + "81 1f", syntaxErr, "malformed"},
	{"bad chunk type", cbCallArg + "81 5f 6161 ff", syntaxErr, "bad chunk"},
	{"nested indefinite chunk", cbCallArg + "81 7f 7fff ff", syntaxErr, "bad chunk"},
	{"uint above int64", cbCallArg + "81 1bffffffffffffffff", syntaxErr, "overflows"},
	{"negative below int64", cbCallArg + "81 3bffffffffffffffff", syntaxErr, "overflows"},
	{"huge array", "9b ffffffffffffffff 01", syntaxErr, "unexpected end"},
	{"huge array32", "9a ffffffff 01", syntaxErr, "unexpected end"},
	{"huge map", "ba ffffffff 6161 01", syntaxErr, "unexpected end"},
	{"huge bytes", cbCallArg + "81 5b7fffffffffffffff 00", syntaxErr, "unexpected end"},
	{"huge text", cbCallArg + "81 7a ffffffff 00", syntaxErr, "unexpected end"},
	{"huge chunk", cbCallArg + "81 5f 5affffffff 00", syntaxErr, "unexpected end"},
	{"huge nested array", cbCallArg + "9a7fffffff 9a7fffffff 9a7fffffff", syntaxErr, "unexpected end"},
	{"too deep", cbCallArg + strings.Repeat("81", 63) + "80", syntaxErr, "nesting deeper than 64"},
	{"too deep map", cbCallArg + "81" + strings.Repeat("a1616b", 62) + "a0", syntaxErr, "nesting deeper than 64"},
	{"very deep", strings.Repeat("81", 1<<20) + "80", syntaxErr, "nesting deeper"},
	{"very deep indefinite", strings.Repeat("9f", 1<<20), syntaxErr, "nesting deeper"},
	{"max depth", cbCallArg + strings.Repeat("81", 62) + "80", 0, ""},
	{"max depth indefinite", cbCallArg + strings.Repeat("9f", 62) + "9fff" + strings.Repeat("ff", 62), 0, ""},
	{"max depth map", cbCallArg + "81" + strings.Repeat("a1616b", 61) + "a0", 0, ""},
}

func TestBinaryDecodeBadInput(t *testing.T) {
	for _, c := range []struct {
		s     Serializer
		table []badInput
	}{{MsgPack, msgpackBadInputs}, {CBOR, cborBadInputs}} {
		for _, tt := range c.table {
			t.Run(c.s.Name()+"/"+tt.name, func(t *testing.T) {
				in := unhex(t, tt.in)
				m, err := c.s.Decode(in)
				if tt.class == 0 {
					if err != nil {
						t.Fatalf("unexpected error %v", err)
					}
					return
				}
				checkDecodeError(t, in, m, err, tt.class, tt.want)
			})
		}
	}
}

func checkDecodeError(t *testing.T, in []byte, m wamp.Message, err error, class int, want string) {
	t.Helper()
	if err == nil {
		t.Fatalf("Decode(%.40x) = %#v, want error", in, m)
	}
	if m != nil {
		t.Errorf("message %#v returned with error", m)
	}
	if !errors.Is(err, ErrDecode) {
		t.Errorf("error %v does not wrap ErrDecode", err)
	}
	if got := errors.Is(err, wamp.ErrProtocolViolation); got != (class == protocolErr) {
		t.Errorf("errors.Is(%v, ErrProtocolViolation) = %v", err, got)
	}
	if !strings.Contains(err.Error(), want) {
		t.Errorf("error %q does not contain %q", err, want)
	}
}

// TestBinaryDecodeHugeLengthsDoNotAllocate: a few bytes declaring huge
// lengths fail without allocating by the declared size (the measured bound
// is generous: it only has to tell kilobytes from gigabytes).
func TestBinaryDecodeHugeLengthsDoNotAllocate(t *testing.T) {
	for _, c := range []struct {
		s     Serializer
		table []badInput
	}{{MsgPack, msgpackBadInputs}, {CBOR, cborBadInputs}} {
		for _, tt := range c.table {
			if !strings.HasPrefix(tt.name, "huge") {
				continue
			}
			in := unhex(t, tt.in)
			const runs = 100
			var before, after runtime.MemStats
			runtime.ReadMemStats(&before)
			for range runs {
				if _, err := c.s.Decode(in); err == nil {
					t.Fatalf("%s/%s decoded", c.s.Name(), tt.name)
				}
			}
			runtime.ReadMemStats(&after)
			if perRun := (after.TotalAlloc - before.TotalAlloc) / runs; perRun > 64<<10 {
				t.Errorf("%s/%s: %d bytes allocated per decode", c.s.Name(), tt.name, perRun)
			}
		}
	}
}

// TestBinaryDecodeEveryPrefix: no strict prefix of a valid frame decodes,
// and none panics.
func TestBinaryDecodeEveryPrefix(t *testing.T) {
	for _, s := range []Serializer{MsgPack, CBOR} {
		for _, m := range allMessages()[:17] {
			frame, err := s.Append(nil, m)
			if err != nil {
				t.Fatal(err)
			}
			if len(frame) > 4096 {
				frame = frame[:4096] // the long string argument: its prefixes add nothing
			} else if _, err := s.Decode(frame); err != nil {
				t.Fatalf("%s: full frame %x: %v", s.Name(), frame, err)
			}
			for n := 0; n < len(frame); n++ {
				if got, err := s.Decode(frame[:n]); err == nil || !errors.Is(err, ErrDecode) {
					t.Fatalf("%s: prefix %x decoded to %#v, %v", s.Name(), frame[:n], got, err)
				}
			}
		}
	}
}

// TestBinaryDecodeAmplification bounds the memory a frame can make the
// decoder hold: a frame of n empty containers. Logged for the record; the
// assertion only catches a per-element cost far above the Go value sizes.
func TestBinaryDecodeAmplification(t *testing.T) {
	const n = 1 << 16
	for _, c := range []struct {
		s              Serializer
		head, elem, nm string
	}{
		{MsgPack, "95 30 01 80 a170 dd00010000", "90", "empty lists"},
		{MsgPack, "95 30 01 80 a170 dd00010000", "80", "empty dicts"},
		{MsgPack, "95 30 01 80 a170 dd00010000", "c0", "nils"},
		{CBOR, "85 1830 01 a0 6170 9a00010000", "80", "empty lists"},
		{CBOR, "85 1830 01 a0 6170 9a00010000", "a0", "empty dicts"},
		{CBOR, "85 1830 01 a0 6170 9a00010000", "f6", "nils"},
	} {
		in := append(unhex(t, c.head), bytes.Repeat(unhex(t, c.elem), n)...)
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		if _, err := c.s.Decode(in); err != nil {
			t.Fatal(err)
		}
		runtime.ReadMemStats(&after)
		perByte := float64(after.TotalAlloc-before.TotalAlloc) / float64(len(in))
		t.Logf("%s, %d %s: %.0f bytes allocated per input byte", c.s.Name(), n, c.nm, perByte)
		if perByte > 200 {
			t.Errorf("%s %s: %.0f bytes per input byte", c.s.Name(), c.nm, perByte)
		}
	}
}

// TestBinaryDecodePresizeBomb: 63 nested arrays, each declaring as many
// elements as bytes remain, then 1 MiB of filler that is not a value. Had
// every level reserved its declared count, the decoder would allocate about
// 63 × 16 bytes per input byte.
func TestBinaryDecodePresizeBomb(t *testing.T) {
	const filler = 1 << 20
	for _, c := range []struct {
		s    Serializer
		head func(n uint32) []byte
		bad  byte
	}{
		{MsgPack, func(n uint32) []byte { return appendMsgpackArrayHeader(nil, n) }, 0xc1},
		{CBOR, func(n uint32) []byte { return appendCBORHead(nil, cborArray, uint64(n)) }, 0xff},
	} {
		var in []byte
		for level := 62; level >= 0; level-- {
			// Headers are 5 bytes for counts >= 65536.
			in = append(in, c.head(uint32(filler+5*level))...)
		}
		in = append(in, bytes.Repeat([]byte{c.bad}, filler)...)
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		_, err := c.s.Decode(in)
		runtime.ReadMemStats(&after)
		if !errors.Is(err, ErrDecode) {
			t.Fatalf("%s: Decode = %v", c.s.Name(), err)
		}
		perByte := float64(after.TotalAlloc-before.TotalAlloc) / float64(len(in))
		t.Logf("%s: %.1f bytes allocated per input byte (%v)", c.s.Name(), perByte, err)
		if perByte > 32 {
			t.Errorf("%s: %.1f bytes allocated per input byte", c.s.Name(), perByte)
		}
	}
}
