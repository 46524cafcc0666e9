package serialize

import (
	"math"
	"strconv"
	"unicode/utf16"
	"unicode/utf8"
)

// str parses the string at d.i (which holds '"') and returns its decoded,
// freshly allocated text.
func (d *jsonDecoder) str() (string, error) {
	d.i++
	start := d.i
	b := d.b
	i := start + jsonPlainLen(b[start:])
	if i == len(b) {
		d.i = i
		return "", d.syntaxErr("unterminated string")
	}
	if b[i] == '"' {
		d.i = i + 1
		return string(b[start:i]), nil
	}
	d.i = i
	return d.slowStr(start)
}

// slowStr continues a string from d.i whose text began at start, handling
// escapes, control characters and non-ASCII bytes.
func (d *jsonDecoder) slowStr(start int) (string, error) {
	b := d.b
	buf := make([]byte, d.i-start, d.i-start+16)
	copy(buf, b[start:d.i])
	for d.i < len(b) {
		c := b[d.i]
		switch {
		case c == '"':
			d.i++
			return string(buf), nil
		case c == '\\':
			var err error
			if buf, err = d.escape(buf); err != nil {
				return "", err
			}
		case c < 0x20:
			return "", d.syntaxErr("control character in string")
		case c < utf8.RuneSelf:
			n := 1 + jsonPlainLen(b[d.i+1:])
			buf = append(buf, b[d.i:d.i+n]...)
			d.i += n
		default:
			r, size := utf8.DecodeRune(b[d.i:])
			if r == utf8.RuneError && size == 1 {
				buf = utf8.AppendRune(buf, utf8.RuneError)
			} else {
				buf = append(buf, b[d.i:d.i+size]...)
			}
			d.i += size
		}
	}
	return "", d.syntaxErr("unterminated string")
}

// escape appends the character of the escape sequence at d.i (which holds
// '\\') to buf. A \u surrogate that does not pair with a following \u escape
// becomes U+FFFD and the following escape stands on its own.
func (d *jsonDecoder) escape(buf []byte) ([]byte, error) {
	if d.i+1 >= len(d.b) {
		d.i = len(d.b)
		return buf, d.syntaxErr("unterminated string")
	}
	c := d.b[d.i+1]
	d.i += 2
	switch c {
	case '"', '\\', '/':
		return append(buf, c), nil
	case 'n':
		return append(buf, '\n'), nil
	case 'r':
		return append(buf, '\r'), nil
	case 't':
		return append(buf, '\t'), nil
	case 'b':
		return append(buf, '\b'), nil
	case 'f':
		return append(buf, '\f'), nil
	case 'u':
	default:
		return buf, d.syntaxErr("invalid escape in string")
	}
	r, ok := hex4(d.b[d.i:])
	if !ok {
		return buf, d.syntaxErr("invalid \\u escape in string")
	}
	d.i += 4
	if utf16.IsSurrogate(r) {
		if d.i+1 < len(d.b) && d.b[d.i] == '\\' && d.b[d.i+1] == 'u' {
			r2, ok := hex4(d.b[d.i+2:])
			if !ok {
				return buf, d.syntaxErr("invalid \\u escape in string")
			}
			if r = utf16.DecodeRune(r, r2); r != utf8.RuneError {
				d.i += 6
			}
		} else {
			r = utf8.RuneError
		}
	}
	return utf8.AppendRune(buf, r), nil
}

// hex4 decodes four hex digits at the start of b.
func hex4(b []byte) (rune, bool) {
	if len(b) < 4 {
		return 0, false
	}
	var r rune
	for _, c := range b[:4] {
		switch {
		case c >= '0' && c <= '9':
			c -= '0'
		case c >= 'a' && c <= 'f':
			c -= 'a' - 10
		case c >= 'A' && c <= 'F':
			c -= 'A' - 10
		default:
			return 0, false
		}
		r = r<<4 | rune(c)
	}
	return r, true
}

// number parses the number at d.i: an int64 when it is an integer literal
// that fits, else a float64 (an error if out of float64 range).
func (d *jsonDecoder) number() (any, error) {
	n, f, isInt, err := d.numberParts()
	if err != nil {
		return nil, err
	}
	if isInt {
		return n, nil
	}
	return f, nil
}

// numberParts is number, unboxed: n when isInt, else f.
func (d *jsonDecoder) numberParts() (n int64, f float64, isInt bool, err error) {
	b := d.b
	start := d.i
	i := start
	neg := b[i] == '-'
	if neg {
		i++
	}
	if i >= len(b) || b[i] < '0' || b[i] > '9' {
		d.i = i
		return 0, 0, false, d.syntaxErr("expected a digit in number")
	}
	var u uint64
	overflow := false
	if b[i] == '0' {
		i++
	} else {
		for ; i < len(b) && b[i] >= '0' && b[i] <= '9'; i++ {
			x := uint64(b[i] - '0')
			if u > (math.MaxUint64-x)/10 {
				overflow = true
			}
			u = u*10 + x
		}
	}
	isFloat := false
	if i < len(b) && b[i] == '.' {
		isFloat = true
		if i = digits(b, i+1); i < 0 {
			d.i = -i
			return 0, 0, false, d.syntaxErr("expected a digit after '.' in number")
		}
	}
	if i < len(b) && (b[i] == 'e' || b[i] == 'E') {
		isFloat = true
		i++
		if i < len(b) && (b[i] == '+' || b[i] == '-') {
			i++
		}
		if i = digits(b, i); i < 0 {
			d.i = -i
			return 0, 0, false, d.syntaxErr("expected a digit in number exponent")
		}
	}
	d.i = i
	if !isFloat && !overflow {
		switch {
		case !neg && u <= math.MaxInt64:
			return int64(u), 0, true, nil
		case neg && u <= 1<<63:
			return -int64(u-1) - 1, 0, true, nil
		}
	}
	f, err = strconv.ParseFloat(string(b[start:i]), 64)
	if err != nil {
		d.i = start
		return 0, 0, false, d.syntaxErr("number out of float64 range")
	}
	d.floats = true
	return 0, f, false, nil
}

// digits skips one or more decimal digits from i and returns the index after
// them, or -i when there is none.
func digits(b []byte, i int) int {
	j := i
	for j < len(b) && b[j] >= '0' && b[j] <= '9' {
		j++
	}
	if j == i {
		return -i
	}
	return j
}
