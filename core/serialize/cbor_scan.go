package serialize

import (
	"encoding/binary"
	"fmt"

	"github.com/switchboard-wamp/switchboard/core/wamp"
)

// scanCBOR walks the first data item of b without building values and
// checks what the decoding library does not, or does later:
//
//   - every map key is a text string (fxamacker/cbor would silently decode a
//     null or undefined key as ""): else a protocol violation;
//   - arrays and maps nest at most MaxNesting deep, so hostile nesting is
//     rejected before any allocation;
//   - a declared length fits in the remaining bytes;
//   - no tag is used (WAMP defines none);
//   - the only simple values are false, true, null and undefined (20..23).
//
// It returns the offsets of the undefined items (simple value 23, f7), in
// order, for the decoder to treat them as absent (see Decode); nil when
// there are none, as in every frame but a JavaScript client's.
//
// It stops at the first item: trailing data is left to the decoder, which
// rejects it. Malformed heads and misplaced breaks fail here too.
func scanCBOR(b []byte) (undef []int, err error) {
	s := cborScanner{b: b}
	err = s.item(0)
	return s.undef, err
}

var (
	errCBORTruncated = fmt.Errorf("%w: invalid CBOR: unexpected end of data", ErrDecode)
	errCBORNesting   = fmt.Errorf("%w: nesting deeper than %d levels", ErrDecode, MaxNesting)
	errCBORMapKey    = fmt.Errorf("%w: %w: CBOR map key is not a text string", ErrDecode, wamp.ErrProtocolViolation)
	errCBORTag       = fmt.Errorf("%w: invalid CBOR: tags are not supported", ErrDecode)
	errCBORMalformed = fmt.Errorf("%w: invalid CBOR: malformed initial byte", ErrDecode)
	errCBORChunk     = fmt.Errorf("%w: invalid CBOR: bad chunk in an indefinite-length string", ErrDecode)
	errCBORSimple    = fmt.Errorf("%w: invalid CBOR: simple value other than false, true, null, undefined", ErrDecode)
)

type cborScanner struct {
	b     []byte
	i     int
	undef []int // offsets of undefined (f7) items
}

// cborIndefinite is the additional information of an indefinite length.
const cborIndefinite = 31

// head reads an initial byte and its argument. For info 31 (indefinite
// length or break) the argument is 0.
func (s *cborScanner) head() (major, info byte, arg uint64, err error) {
	if s.i >= len(s.b) {
		return 0, 0, 0, errCBORTruncated
	}
	c := s.b[s.i]
	s.i++
	major, info = c&0xe0, c&0x1f
	var size int
	switch {
	case info < 24:
		return major, info, uint64(info), nil
	case info == cborIndefinite:
		return major, info, 0, nil
	case info > 27:
		return 0, 0, 0, errCBORMalformed
	default:
		size = 1 << (info - 24)
	}
	if size > len(s.b)-s.i {
		return 0, 0, 0, errCBORTruncated
	}
	p := s.b[s.i : s.i+size]
	s.i += size
	switch size {
	case 1:
		arg = uint64(p[0])
	case 2:
		arg = uint64(binary.BigEndian.Uint16(p))
	case 4:
		arg = uint64(binary.BigEndian.Uint32(p))
	default:
		arg = binary.BigEndian.Uint64(p)
	}
	return major, info, arg, nil
}

// skip advances over n bytes of string content.
func (s *cborScanner) skip(n uint64) error {
	if n > uint64(len(s.b)-s.i) {
		return errCBORTruncated
	}
	s.i += int(n)
	return nil
}

// atBreak consumes a break byte if one is next.
func (s *cborScanner) atBreak() bool {
	if s.i < len(s.b) && s.b[s.i] == cborBreak {
		s.i++
		return true
	}
	return false
}

// item scans one data item; depth is the number of enclosing containers.
func (s *cborScanner) item(depth int) error {
	major, info, arg, err := s.head()
	if err != nil {
		return err
	}
	switch major {
	case cborUint, cborNeg:
		if info == cborIndefinite {
			return errCBORMalformed
		}
		return nil
	case cborBytes, cborText:
		if info == cborIndefinite {
			return s.chunks(major)
		}
		return s.skip(arg)
	case cborArray, cborMap:
		if depth >= MaxNesting {
			return errCBORNesting
		}
		return s.container(major == cborMap, info == cborIndefinite, arg, depth+1)
	case cborTag:
		return errCBORTag
	}
	switch {
	case info == cborIndefinite: // a break outside an indefinite-length item
		return errCBORMalformed
	case info == cborUndefined&0x1f:
		s.undef = append(s.undef, s.i-1)
	case info < cborFalse&0x1f || info == 24: // unassigned simple values
		return errCBORSimple
	}
	return nil // the other simple values and floats: head consumed them
}

// container scans the elements of an array or map at level depth.
func (s *cborScanner) container(isMap, indefinite bool, n uint64, depth int) error {
	per := uint64(1) // minimum bytes per element
	if isMap {
		per = 2
	}
	if !indefinite && n > uint64(len(s.b)-s.i)/per {
		return errCBORTruncated
	}
	for k := uint64(0); indefinite || k < n; k++ {
		if indefinite && s.atBreak() {
			return nil
		}
		if isMap {
			if err := s.key(); err != nil {
				return err
			}
		}
		if err := s.item(depth); err != nil {
			return err
		}
	}
	return nil
}

// key scans a map key, which must be a text string.
func (s *cborScanner) key() error {
	if s.i >= len(s.b) {
		return errCBORTruncated
	}
	if s.b[s.i]&0xe0 != cborText {
		return errCBORMapKey
	}
	return s.item(0)
}

// chunks scans the chunks of an indefinite-length string up to the break:
// each must be a definite-length string of the same major type.
func (s *cborScanner) chunks(major byte) error {
	for !s.atBreak() {
		m, info, n, err := s.head()
		if err != nil {
			return err
		}
		if m != major || info == cborIndefinite {
			return errCBORChunk
		}
		if err := s.skip(n); err != nil {
			return err
		}
	}
	return nil
}
