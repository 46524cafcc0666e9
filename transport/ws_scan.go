package transport

import (
	"bytes"
	"encoding/binary"
	"fmt"
)

// The inbound frame guard. gws sizes a frame's buffer from the payload
// length in its header without checking it: a 64-bit length with the most
// significant bit set (forbidden by RFC 6455 §5.2) becomes a negative int,
// passes the size limit and makes gws panic on the reader goroutine. So
// every byte gws reads is first followed here (wsConn.Read), frame by
// frame, and a header is refused before gws sees all of it.
//
// The scanner only looks at headers: payload bytes are skipped by count,
// so it costs a few operations per frame (a header wholly in the read is
// parsed at once, one split across reads byte by byte), copies nothing and
// allocates nothing. It follows frame boundaries across any split of the stream into
// reads (a header may arrive one byte at a time). gws's bufio reader reads
// ahead, but it only ever parses the bytes it read, in order, so the
// scanner sees the same frames gws will parse. permessage-deflate changes
// payload bytes and sets RSV1, never the header layout; on a server
// connection that negotiated it, the scanner clears RSV1 on the first
// frame of each compressed message and notes the message as compressed,
// so that gws hands the compressed bytes on and the peer inflates them
// itself against the inbound budget (ws_inflate.go).

// wsMaxLen63 is the largest payload length RFC 6455 admits.
const wsMaxLen63 = 1<<63 - 1

// wsMaxGWSPayload is the largest frame payload gws sizes correctly: it
// takes a buffer for the payload plus 9 octets from a pool that rounds the
// size up to a power of two in a uint32, which wraps above 2^31 and hands
// back a 128-octet buffer that gws then slices to the full length (a
// panic). The guard never admits more, whatever MaxMessageBytes says.
const wsMaxGWSPayload = 1<<31 - 9

// wsFrameError is why the scanner refused a frame header: the read that
// reaches it fails with this error, the connection is failed with close
// code Code, and Handler.Closed gets a *CloseError with that code.
type wsFrameError struct {
	Code   uint16 // WebSocket close code: 1002 or 1009
	Reason string // close reason sent to the peer
	Length uint64 // the payload length the header declared
	Max    int    // the connection's maximum message size
}

// Unwrap makes a refusal for the inbound budget match ErrInboundBudget.
func (e *wsFrameError) Unwrap() error {
	if e.Code == closeTryAgainLater {
		return ErrInboundBudget
	}
	return nil
}

func (e *wsFrameError) Error() string {
	return fmt.Sprintf("transport: websocket frame refused: %s (declared payload length %d, limit %d)",
		e.Reason, e.Length, e.Max)
}

// wsFrameScanner follows the frames of one inbound WebSocket stream. The
// zero value (but max) is at a frame boundary. Reader goroutine only.
type wsFrameScanner struct {
	max    uint64 // largest payload length admitted (see newWSConn)
	skip   uint64 // payload octets of the current frame still to come
	length uint64 // the current header's payload length, being assembled
	pos    uint8  // octets of the current header seen; 0 at a frame boundary
	lenEnd uint8  // header octets up to the end of the length: 2, 4 or 10
	hdrEnd uint8  // header octets including the masking key
	b0     byte   // the current header's first octet: FIN and opcode

	// The inbound budget (budget.go): what the data frames of the message
	// being scanned took (cur), and of the messages scanned whole but not
	// yet delivered (pend, by their number: seqScan counts the messages
	// scanned, seqDone those delivered). gws may read ahead of its
	// deliveries, so a message is given back when it is delivered.
	budget  *InboundBudget // nil: none
	cur     int64
	pend    []inboundHold
	seqScan uint64
	seqDone uint64

	// inflate: the connection negotiated permessage-deflate and inflates
	// here (server side); curDeflated: the message being scanned is
	// compressed.
	inflate     bool
	curDeflated bool
}

// inboundHold is what one message scanned whole holds of the budget, and
// whether it is compressed.
type inboundHold struct {
	seq      uint64
	n        int64
	deflated bool
}

// noteCompressed clears RSV1 ("compressed") in *b0, the first octet of a
// header, when it starts a compressed data message, and remembers that the
// message is compressed: gws then hands its bytes on as they are.
func (s *wsFrameScanner) noteCompressed(b0 *byte) {
	op := *b0 & 0x0F
	if s.inflate && *b0&0x40 != 0 && (op == 1 || op == 2) {
		*b0 &^= 0x40
		s.curDeflated = true
	}
}

// scan follows the frames through b, the next bytes of the stream. It
// returns len(b) and nil if every header in b is acceptable. Otherwise it
// returns the refusal and the offset in b of the refused frame's first
// octet (0 when that header began in an earlier read): the bytes before it
// hold only whole frames, or the start of the refused header.
func (s *wsFrameScanner) scan(b []byte) (int, *wsFrameError) {
	for i := 0; i < len(b); {
		if s.skip > 0 {
			rest := uint64(len(b) - i)
			if s.skip >= rest {
				s.skip -= rest
				return len(b), nil
			}
			i += int(s.skip)
			s.skip = 0
			continue
		}
		if s.pos == 0 && len(b)-i >= wsMaxHeader { // a whole header is here
			s.noteCompressed(&b[i])
			s.b0 = b[i]
			b1 := b[i+1]
			n, h := uint64(b1&0x7F), 2
			switch n {
			case 126:
				n, h = uint64(binary.BigEndian.Uint16(b[i+2:])), 4
			case 127:
				n, h = binary.BigEndian.Uint64(b[i+2:]), 10
			}
			s.length = n
			if err := s.check(); err != nil {
				return i, err
			}
			if b1&0x80 != 0 {
				h += 4
			}
			s.skip, s.length = n, 0
			i += h
			continue
		}
		c := b[i]
		switch {
		case s.pos == 0: // FIN, RSV and opcode: gws checks them
			s.noteCompressed(&b[i])
			s.b0 = b[i]
		case s.pos == 1:
			s.lenEnd = 2
			switch n := c & 0x7F; n {
			case 126:
				s.lenEnd = 4
			case 127:
				s.lenEnd = 10
			default:
				s.length = uint64(n)
			}
			if c&0x80 != 0 {
				s.hdrEnd = s.lenEnd + 4
			} else {
				s.hdrEnd = s.lenEnd
			}
		case s.pos < s.lenEnd:
			s.length = s.length<<8 | uint64(c)
		}
		s.pos++
		i++
		if s.pos >= 2 && s.pos == s.lenEnd {
			if err := s.check(); err != nil {
				return max(i-int(s.pos), 0), err // where the header began
			}
		}
		if s.pos >= 2 && s.pos == s.hdrEnd {
			s.skip, s.length, s.pos = s.length, 0, 0
		}
	}
	return len(b), nil
}

// check validates the payload length once the header's length field is
// complete.
func (s *wsFrameScanner) check() *wsFrameError {
	switch {
	case s.length > wsMaxLen63:
		return &wsFrameError{Code: closeProtocolError, Reason: "invalid frame length",
			Length: s.length, Max: int(s.max)}
	case s.length > s.max:
		return &wsFrameError{Code: closeMessageTooBig, Reason: "frame too large",
			Length: s.length, Max: int(s.max)}
	}
	return s.reserve()
}

// reserve takes a data frame larger than inboundFree from the inbound
// budget, and files what its message took once its last frame is seen.
func (s *wsFrameScanner) reserve() *wsFrameError {
	if s.b0&0x08 != 0 { // control frames are small
		return nil
	}
	if s.budget != nil && s.length > inboundFree {
		if !s.budget.take(int64(s.length)) {
			return &wsFrameError{Code: closeTryAgainLater, Reason: "inbound budget exhausted",
				Length: s.length, Max: int(s.max)}
		}
		s.cur += int64(s.length)
	}
	if s.b0&0x80 != 0 { // FIN: the message is whole
		if s.cur > 0 || s.curDeflated {
			s.pend = append(s.pend, inboundHold{s.seqScan, s.cur, s.curDeflated})
			s.cur, s.curDeflated = 0, false
		}
		s.seqScan++
	}
	return nil
}

// nextDeflated reports whether the next message to be delivered is
// compressed (its RSV1 was cleared by noteCompressed).
func (s *wsFrameScanner) nextDeflated() bool {
	return len(s.pend) > 0 && s.pend[0].seq == s.seqDone && s.pend[0].deflated
}

// delivered gives back what the next message to be delivered took from
// the inbound budget: it has been decoded.
func (s *wsFrameScanner) delivered() {
	if len(s.pend) > 0 && s.pend[0].seq == s.seqDone {
		if s.budget != nil {
			s.budget.give(s.pend[0].n)
		}
		s.pend = s.pend[1:]
		if len(s.pend) == 0 {
			s.pend = nil
		}
	}
	s.seqDone++
}

// releaseAll gives back everything: the connection has ended.
func (s *wsFrameScanner) releaseAll() {
	if s.budget == nil {
		return
	}
	n := s.cur
	for _, h := range s.pend {
		n += h.n
	}
	s.budget.give(n)
	s.cur, s.pend = 0, nil
}

// closeTryAgainLater is the close code for a frame that did not fit in the
// server's inbound budget (RFC 6455's registry: 1013 Try Again Later).
const closeTryAgainLater = 1013

// closeMessageTooBig is the close code for a frame above MaxMessageBytes.
const closeMessageTooBig = 1009

// wsPreamble finds the end of the HTTP response headers in the bytes a
// WebSocket client reads during its handshake, where its frames begin: gws
// reads the response through a bufio reader that may read ahead into the
// first frames, and those bytes must be scanned too. The end is the first
// empty line as net/http parses it (textproto: lines end with "\n", a
// trailing "\r" is dropped, so an empty line is "\n" or "\r\n"). Whitespace
// lines are header continuations there, never the end, and so here.
type wsPreamble struct {
	n       int  // octets seen
	midLine bool // not at the start of a line
	cr      bool // the line so far is exactly "\r"
}

// wsMaxPreamble bounds a handshake response (net/http's default bound on
// request headers); a server sending more fails the handshake.
const wsMaxPreamble = 1 << 20

// find returns the offset in b just past the end of the headers, or -1 if
// they do not end in b.
func (p *wsPreamble) find(b []byte) int {
	for i := 0; i < len(b); i++ {
		c := b[i]
		switch {
		case c == '\n':
			if !p.midLine || p.cr {
				p.n += i + 1
				return i + 1
			}
			p.midLine, p.cr = false, false
		case !p.midLine && c == '\r':
			p.midLine, p.cr = true, true
		default:
			p.midLine, p.cr = true, false
			// Skip to the end of the line.
			j := bytes.IndexByte(b[i:], '\n')
			if j < 0 {
				i = len(b)
				break
			}
			i += j - 1
		}
	}
	p.n += len(b)
	return -1
}
