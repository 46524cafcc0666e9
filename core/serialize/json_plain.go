package serialize

import "encoding/binary"

// Word-at-a-time scanning of JSON string text. Most string text is plain
// ASCII that both directions copy as it is; testing words of eight bytes
// for the few that need work keeps a long string's cost near a copy.
// Measured with callgrind (BenchmarkRoutedCallCodec, a 4 KiB string
// argument): the argument's share of decoding and encoding the four
// messages of a routed call went from 58 to 16 instructions per byte.

// Byte masks of the SWAR tests below: one in every byte, 0x80 in every
// byte.
const (
	swarOnes = 0x0101010101010101
	swarHigh = 0x8080808080808080
)

// jsonPlainLen returns the length of the longest prefix of b made of
// bytes a JSON string holds as they are, decoding and encoding: ASCII at
// or above 0x20 other than '"' and '\\'. It reads sixteen bytes at a
// time while none of them needs work, then one at a time.
func jsonPlainLen(b []byte) int {
	rest := b
	for len(rest) >= 16 && swarNotPlain(binary.LittleEndian.Uint64(rest))|swarNotPlain(binary.LittleEndian.Uint64(rest[8:])) == 0 {
		rest = rest[16:]
	}
	i := len(b) - len(rest)
	for ; i < len(b); i++ {
		if c := b[i]; c < 0x20 || c == '"' || c == '\\' || c >= 0x80 {
			return i
		}
	}
	return i
}

// jsonPlainLenString is jsonPlainLen of a string. (The eight loads of a
// word compile to one.)
func jsonPlainLenString(s string) int {
	rest := s
	for len(rest) >= 16 && swarNotPlain(stringWord(rest[:8]))|swarNotPlain(stringWord(rest[8:16])) == 0 {
		rest = rest[16:]
	}
	i := len(s) - len(rest)
	for ; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c == '"' || c == '\\' || c >= 0x80 {
			return i
		}
	}
	return i
}

// stringWord is the little-endian word of the eight bytes of w.
func stringWord(w string) uint64 {
	return uint64(w[0]) | uint64(w[1])<<8 | uint64(w[2])<<16 | uint64(w[3])<<24 |
		uint64(w[4])<<32 | uint64(w[5])<<40 | uint64(w[6])<<48 | uint64(w[7])<<56
}

// swarNotPlain returns a non-zero word if any byte of w is below 0x20,
// '"', '\\' or at or above 0x80, and zero otherwise. Each test is exact
// about whether some byte matches (a borrow only starts at a matching
// byte), not about which one. Two words are tested by OR-ing the results,
// never the words.
func swarNotPlain(w uint64) uint64 {
	ctl := (w - swarOnes*0x20) &^ w
	q := w ^ (swarOnes * '"')
	bs := w ^ (swarOnes * '\\')
	return (ctl | (q-swarOnes)&^q | (bs-swarOnes)&^bs | w) & swarHigh
}
