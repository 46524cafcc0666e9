package transport

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
)

// The RawSocket wire format (WAMP advanced profile, transport_rawsocket):
// a 4-octet handshake each way, then frames of a 4-octet header and a
// payload. This file is pure: it parses and builds bytes, and reads frames
// from a bufio.Reader, without touching connections.

const (
	rsMagic     = 0x7F
	rsHeaderLen = 4
	// rsMaxPayload is the largest payload the 24-bit length can carry. The
	// handshake's largest announced maximum, 2^24, is one more: it means
	// this in practice.
	rsMaxPayload = 1<<24 - 1
	// rsMaxLenExp is the largest LENGTH nibble: 2^(9+15) = 16 MiB.
	rsMaxLenExp = 15
)

// RawSocket frame types (the low 3 bits of a frame's first octet); 3-7
// are reserved.
const (
	rsFrameMessage byte = 0
	rsFramePing    byte = 1
	rsFramePong    byte = 2
)

// ErrRawSocketProtocol is wrapped by the close cause of a RawSocket
// connection that broke the framing rules (a frame longer than the
// announced maximum, reserved bits or frame types), and by the DialRawSocket
// error for a malformed handshake reply.
var ErrRawSocketProtocol = errors.New("transport: rawsocket protocol violation")

// errNotRawSocket marks a handshake whose first octet is not 0x7F: the
// connection is failed without a reply.
var errNotRawSocket = fmt.Errorf("%w: first handshake octet is not 0x7F", ErrRawSocketProtocol)

// RawSocketErrorCode is the error code of a RawSocket handshake error reply.
type RawSocketErrorCode uint8

// RawSocket handshake error codes.
const (
	// RawSocketErrorIllegal (0) must not be sent; a reply carrying it is
	// still reported as a handshake error.
	RawSocketErrorIllegal RawSocketErrorCode = 0
	// RawSocketErrorSerializerUnsupported (1): the router does not speak
	// the requested serializer.
	RawSocketErrorSerializerUnsupported RawSocketErrorCode = 1
	// RawSocketErrorMaxLengthUnacceptable (2): the announced maximum
	// message length is not acceptable to the router.
	RawSocketErrorMaxLengthUnacceptable RawSocketErrorCode = 2
	// RawSocketErrorReservedBits (3): reserved bits were used (an
	// unsupported feature).
	RawSocketErrorReservedBits RawSocketErrorCode = 3
	// RawSocketErrorMaxConnections (4): the router's connection limit is
	// reached.
	RawSocketErrorMaxConnections RawSocketErrorCode = 4
)

// String names the code.
func (c RawSocketErrorCode) String() string {
	switch c {
	case RawSocketErrorIllegal:
		return "illegal error code 0"
	case RawSocketErrorSerializerUnsupported:
		return "serializer unsupported"
	case RawSocketErrorMaxLengthUnacceptable:
		return "maximum message length unacceptable"
	case RawSocketErrorReservedBits:
		return "use of reserved bits (unsupported feature)"
	case RawSocketErrorMaxConnections:
		return "maximum connection count reached"
	}
	return fmt.Sprintf("unknown error code %d", uint8(c))
}

// RawSocketHandshakeError is the DialRawSocket error when the router
// answered the handshake with an error reply.
type RawSocketHandshakeError struct {
	Code RawSocketErrorCode
}

// Error describes the refusal.
func (e *RawSocketHandshakeError) Error() string {
	return fmt.Sprintf("transport: rawsocket handshake refused: %s (%d)", e.Code, uint8(e.Code))
}

// rsMaxLen is the maximum message length a LENGTH nibble announces, capped
// at what a frame can carry.
func rsMaxLen(lenExp byte) int { return min(1<<(9+int(lenExp)), rsMaxPayload) }

// rsLenExp returns the LENGTH nibble to announce for a limit of maxBytes:
// the largest power of two not above it, within 512 B..16 MiB.
func rsLenExp(maxBytes int) byte {
	e := byte(0)
	for e < rsMaxLenExp && 1<<(9+int(e)+1) <= maxBytes {
		e++
	}
	return e
}

// rsHello is the client's 4-octet handshake.
func rsHello(serializer, lenExp byte) [4]byte {
	return [4]byte{rsMagic, lenExp<<4 | serializer&0x0F, 0, 0}
}

// rsErrorReply is the router's 4-octet error reply.
func rsErrorReply(code RawSocketErrorCode) [4]byte {
	return [4]byte{rsMagic, byte(code) << 4, 0, 0}
}

// parseRawSocketHello parses a client handshake. It returns errNotRawSocket
// (fail without reply) or a *RawSocketHandshakeError whose code the router
// replies with. The serializer is not checked against any list here,
// except that 0 is illegal.
func parseRawSocketHello(b [4]byte) (serializer, lenExp byte, err error) {
	if b[0] != rsMagic {
		return 0, 0, errNotRawSocket
	}
	if b[2] != 0 || b[3] != 0 {
		return 0, 0, &RawSocketHandshakeError{RawSocketErrorReservedBits}
	}
	serializer, lenExp = b[1]&0x0F, b[1]>>4
	if serializer == 0 {
		return 0, 0, &RawSocketHandshakeError{RawSocketErrorSerializerUnsupported}
	}
	return serializer, lenExp, nil
}

// parseRawSocketReply parses the router's reply to a hello that asked for
// serializer want. It returns the router's LENGTH nibble, a
// *RawSocketHandshakeError for an error reply, or an error wrapping
// ErrRawSocketProtocol.
func parseRawSocketReply(b [4]byte, want byte) (lenExp byte, err error) {
	switch {
	case b[0] != rsMagic:
		return 0, fmt.Errorf("%w: reply starts with 0x%02X, want 0x7F", ErrRawSocketProtocol, b[0])
	case b[2] != 0 || b[3] != 0:
		return 0, fmt.Errorf("%w: reply has non-zero reserved octets", ErrRawSocketProtocol)
	case b[1]&0x0F == 0:
		return 0, &RawSocketHandshakeError{RawSocketErrorCode(b[1] >> 4)}
	case b[1]&0x0F != want:
		return 0, fmt.Errorf("%w: asked for serializer %d, router answered %d", ErrRawSocketProtocol, want, b[1]&0x0F)
	}
	return b[1] >> 4, nil
}

// appendRawSocketHeader appends a frame header for a payload of n bytes
// (n <= rsMaxPayload).
func appendRawSocketHeader(dst []byte, typ byte, n int) []byte {
	return append(dst, typ, byte(n>>16), byte(n>>8), byte(n))
}

// parseRawSocketHeader parses a frame header; max is the largest payload
// this end announced.
func parseRawSocketHeader(h []byte, max int) (typ byte, n int, err error) {
	typ = h[0]
	n = int(h[1])<<16 | int(binary.BigEndian.Uint16(h[2:]))
	switch {
	case typ&^0x07 != 0:
		return 0, 0, fmt.Errorf("%w: reserved bits set in frame header 0x%02X", ErrRawSocketProtocol, typ)
	case typ > rsFramePong:
		return 0, 0, fmt.Errorf("%w: reserved frame type %d", ErrRawSocketProtocol, typ)
	case n > max:
		return 0, 0, fmt.Errorf("%w: frame of %d bytes exceeds the announced maximum %d", ErrRawSocketProtocol, n, max)
	}
	return typ, n, nil
}

// rsKeepBuf is the largest payload buffer a frame reader keeps between
// frames; larger messages get a buffer of their own.
const rsKeepBuf = 64 << 10

// rsFrameReader reads frames from br. A payload that fits br's buffer is
// returned in place (no copy); a larger one is read into buf, never
// allocated beyond the announced maximum. A payload is valid until the
// next call. Not safe for concurrent use: the reader goroutine owns it.
type rsFrameReader struct {
	br      *idleReader
	max     int // payload limit this end announced
	buf     []byte
	hdr     [rsHeaderLen]byte
	discard int            // bytes of the last in-place payload still to skip
	budget  *InboundBudget // nil: none
	held    int64          // taken from budget for the last frame
}

// release gives back what the last frame took from the inbound budget:
// it has been delivered, or the connection ended.
func (fr *rsFrameReader) release() {
	if fr.held != 0 {
		fr.budget.give(fr.held)
		fr.held = 0
	}
}

// idle reports whether nothing is buffered past the frames returned (and
// no read error is waiting): the next frame needs a read. An idle reader
// gives its pooled buffer back.
func (fr *rsFrameReader) idle() bool {
	if fr.discard > 0 {
		fr.br.Discard(fr.discard)
		fr.discard = 0
	}
	if fr.br.Buffered() != 0 || fr.br.err != nil {
		return false
	}
	fr.br.release()
	return true
}

// next returns the next frame. io.EOF means the stream ended cleanly
// between frames; io.ErrUnexpectedEOF that it ended inside one; an error
// wrapping ErrRawSocketProtocol that the frame breaks the rules.
func (fr *rsFrameReader) next() (typ byte, payload []byte, err error) {
	fr.release()
	if fr.discard > 0 {
		fr.br.Discard(fr.discard) // peeked already
		fr.discard = 0
	}
	if _, err = io.ReadFull(fr.br, fr.hdr[:]); err != nil {
		return 0, nil, err
	}
	typ, n, err := parseRawSocketHeader(fr.hdr[:], fr.max)
	if err != nil {
		return 0, nil, err
	}
	if n <= fr.br.Size() {
		payload, err = fr.br.Peek(n)
		if err != nil {
			if errors.Is(err, io.EOF) {
				err = io.ErrUnexpectedEOF
			}
			return 0, nil, err
		}
		fr.discard = n
		return typ, payload, nil
	}
	if n > inboundFree && fr.budget != nil {
		if !fr.budget.take(int64(n)) {
			return 0, nil, ErrInboundBudget
		}
		fr.held = int64(n)
	}
	if cap(fr.buf) < n {
		fr.buf = nil // let the old one go before allocating
		fr.buf = make([]byte, n)
	}
	payload = fr.buf[:n]
	if cap(fr.buf) > rsKeepBuf {
		fr.buf = nil
	}
	if _, err = io.ReadFull(fr.br, payload); err != nil {
		if errors.Is(err, io.EOF) {
			err = io.ErrUnexpectedEOF
		}
		return 0, nil, err
	}
	return typ, payload, nil
}
