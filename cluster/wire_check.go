package cluster

import (
	"encoding/binary"
	"errors"
)

// maxCtlDepth bounds the nesting of a control message (a few levels are
// used: message, entries, entry, value).
const maxCtlDepth = 32

var errCtlShape = errors.New("cluster: control message: malformed msgpack")

// checkCtl walks the msgpack value in b without decoding it and refuses
// one whose declared lengths do not fit in b (a string, binary or
// extension longer than the bytes left, an array or map with more
// elements than bytes left), that nests deeper than maxCtlDepth, or that
// leaves bytes over. The msgpack library allocates what a length
// declares, so a 20-byte message declaring 1.7 GB of binary would make it
// allocate that much (found by FuzzDecodeControl): checked first, a
// control message makes the decoder hold at most about its own size.
func checkCtl(b []byte) error {
	var stack [maxCtlDepth]int // elements still to read in each open container
	depth, i := 0, 0
	pending := 1 // values still to read at the top level
	for {
		for depth > 0 && stack[depth-1] == 0 {
			depth--
		}
		if depth == 0 && pending == 0 {
			break
		}
		if depth > 0 {
			stack[depth-1]--
		} else {
			pending--
		}
		if i >= len(b) {
			return errCtlShape
		}
		c := b[i]
		i++
		skip, count := 0, 0 // bytes of payload to skip; elements of a container opened
		switch {
		case c <= 0x7f || c >= 0xe0, c == 0xc0, c == 0xc2, c == 0xc3: // fixint, nil, bool
		case c <= 0x8f: // fixmap
			count = 2 * int(c&0x0f)
		case c <= 0x9f: // fixarray
			count = int(c & 0x0f)
		case c <= 0xbf: // fixstr
			skip = int(c & 0x1f)
		default:
			var n int
			var ok bool
			switch c {
			case 0xc4, 0xd9: // bin8, str8
				n, i, ok = readLen(b, i, 1)
				skip = n
			case 0xc5, 0xda: // bin16, str16
				n, i, ok = readLen(b, i, 2)
				skip = n
			case 0xc6, 0xdb: // bin32, str32
				n, i, ok = readLen(b, i, 4)
				skip = n
			case 0xc7, 0xc8, 0xc9: // ext8/16/32: length, type, data
				n, i, ok = readLen(b, i, 1<<(c-0xc7))
				skip = n + 1
			case 0xca, 0xce, 0xd2: // float32, uint32, int32
				skip, ok = 4, true
			case 0xcb, 0xcf, 0xd3: // float64, uint64, int64
				skip, ok = 8, true
			case 0xcc, 0xd0: // uint8, int8
				skip, ok = 1, true
			case 0xcd, 0xd1: // uint16, int16
				skip, ok = 2, true
			case 0xd4, 0xd5, 0xd6, 0xd7, 0xd8: // fixext 1..16: type, data
				skip, ok = 1+1<<(c-0xd4), true
			case 0xdc, 0xdd: // array16, array32
				count, i, ok = readLen(b, i, 2<<(c-0xdc))
			case 0xde, 0xdf: // map16, map32
				n, i, ok = readLen(b, i, 2<<(c-0xde))
				count = 2 * n
			}
			if !ok { // 0xc1 (never used), or a length cut short
				return errCtlShape
			}
		}
		if skip > len(b)-i {
			return errCtlShape
		}
		i += skip
		if count > 0 {
			if count > len(b)-i || depth == maxCtlDepth {
				return errCtlShape
			}
			stack[depth] = count
			depth++
		}
	}
	if i != len(b) {
		return errCtlShape
	}
	return nil
}

// readLen reads a big-endian length of size bytes at b[i:].
func readLen(b []byte, i, size int) (n, next int, ok bool) {
	if size > len(b)-i {
		return 0, i, false
	}
	var u uint64
	switch size {
	case 1:
		u = uint64(b[i])
	case 2:
		u = uint64(binary.BigEndian.Uint16(b[i:]))
	case 4:
		u = uint64(binary.BigEndian.Uint32(b[i:]))
	}
	if u > uint64(len(b)) {
		return 0, i, false
	}
	return int(u), i + size, true
}
