package serialize

import (
	"bytes"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/switchboard-wamp/switchboard/core/wamp"
)

// jsonPlainLenRef is jsonPlainLen one byte at a time.
func jsonPlainLenRef(b []byte) int {
	for i, c := range b {
		if c < 0x20 || c == '"' || c == '\\' || c >= utf8.RuneSelf {
			return i
		}
	}
	return len(b)
}

// TestJSONPlainLen puts every byte value at every offset of a plain text
// long enough for two blocks of two words and a tail, and a quote after
// it: the word test must stop at the first byte that needs work, whatever
// its neighbours. The plain text cycles through every plain byte, so
// that a test that mixed two words' bytes would be caught.
func TestJSONPlainLen(t *testing.T) {
	const n = 43
	var plain []byte
	for c := byte(0x20); c < 0x80; c++ {
		if c != '"' && c != '\\' {
			plain = append(plain, c)
		}
	}
	for c := range 256 {
		for at := range n {
			for shift := range 3 {
				for _, after := range []int{-1, at + 1, at + 8, n - 1} {
					b := make([]byte, n)
					for i := range b {
						b[i] = plain[(i*7+shift*31+c)%len(plain)]
					}
					b[at] = byte(c)
					if after > at && after < n {
						b[after] = '"'
					}
					want := jsonPlainLenRef(b)
					if got := jsonPlainLen(b); got != want {
						t.Fatalf("byte %#x at %d in %q: []byte %d, want %d", c, at, b, got, want)
					}
					if got := jsonPlainLenString(string(b)); got != want {
						t.Fatalf("byte %#x at %d in %q: string %d, want %d", c, at, b, got, want)
					}
				}
			}
		}
	}
}

// jsonSpecialPieces are the texts a JSON string cannot copy as they are:
// escapes, control characters, DEL (copied), non-ASCII (valid, invalid,
// and the two line separators JavaScript needs escaped).
var jsonSpecialPieces = []string{`"`, `\`, "\n", "\x01", "\x1f", "\x7f", "é", "\u2028", "\u2029", "\xff", "\xe2\x82", "😀"}

// TestJSONStringEveryPosition places each special piece at every offset
// of a long ASCII string: the encoder writes what the byte-at-a-time
// reference writes, and the fast decoder reads it back as the reference
// decoder does (the string with invalid UTF-8 replaced by U+FFFD).
func TestJSONStringEveryPosition(t *testing.T) {
	for _, piece := range jsonSpecialPieces {
		for at := range 40 {
			s := strings.Repeat("x", at) + piece + strings.Repeat("y", 40-at)
			checkJSONString(t, s)
		}
	}
}

func checkJSONString(t *testing.T, s string) {
	t.Helper()
	got := appendJSONString(nil, s)
	if want := appendJSONStringRef(nil, s); !bytes.Equal(got, want) {
		t.Fatalf("%q: encoded %s, want %s", s, got, want)
	}
	if strings.HasPrefix(s, "\x00") {
		return // the binary convention: TestJSONDecodeBinary
	}
	frame := append(append([]byte(`[16,1,{},"a.b",[`), got...), "]]"...)
	m, err := JSON.Decode(frame)
	if err != nil {
		t.Fatalf("%q: decode %s: %v", s, frame, err)
	}
	ref, err := decodeJSONReference(frame)
	if err != nil {
		t.Fatalf("%q: reference decode %s: %v", s, frame, err)
	}
	gotS, refS := m.(*wamp.Publish).Args[0], ref.(*wamp.Publish).Args[0]
	if gotS != refS || gotS != perByteValidUTF8(s) {
		t.Fatalf("%q: decoded %q, reference %q", s, gotS, refS)
	}
}

// perByteValidUTF8 is s with each byte of invalid UTF-8 replaced by
// U+FFFD, as the encoder writes it.
func perByteValidUTF8(s string) string {
	var b strings.Builder
	for _, r := range s {
		b.WriteRune(r) // an invalid byte ranges as RuneError, one byte long
	}
	return b.String()
}

// FuzzJSONString checks the encoder against the byte-at-a-time reference
// and the decoder against the reference decoder for any string.
func FuzzJSONString(f *testing.F) {
	for _, p := range jsonSpecialPieces {
		f.Add(strings.Repeat("ab", 9) + p + "cd")
	}
	f.Fuzz(func(t *testing.T, s string) { checkJSONString(t, s) })
}

// appendJSONStringRef is the encoder's former byte-at-a-time loop, the
// reference of the word-at-a-time one.
func appendJSONStringRef(b []byte, s string) []byte {
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' {
				i++
				continue
			}
			b = append(b, s[start:i]...)
			b = appendEscapedASCII(b, c)
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			b = append(b, s[start:i]...)
			b = append(b, `\ufffd`...)
		case r == '\u2028' || r == '\u2029':
			b = append(b, s[start:i]...)
			b = append(b, `\u202`...)
			b = append(b, hexDigits[r&0xF])
		default:
			i += size
			continue
		}
		i += size
		start = i
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}
