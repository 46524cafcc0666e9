package transport

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"sync"
	"unicode/utf8"

	"github.com/klauspost/compress/flate"

	"github.com/switchboard-wamp/switchboard/core/wamp"
)

// Inflating compressed messages (permessage-deflate, RFC 7692) on server
// connections. gws would inflate a message up to MaxMessageBytes whatever
// it was sent as, so a frame of a few KiB, counted as such by the inbound
// budget, could become 16 MiB per connection. Instead the frame scanner
// clears RSV1 on the first frame of each compressed message (ws_scan.go),
// gws hands the compressed bytes on, and the peer inflates them here: the
// buffers it allocates beyond inboundFree (about twice the inflated size,
// as the buffer doubles) are taken from the inbound budget as the output
// grows and given back once the message is decoded, and inflating stops
// at MaxMessageBytes. Only the offending connection is failed: close
// 1009 past MaxMessageBytes, 1013 when the budget has no room, 1002 for
// bytes that do not inflate; counted in Stats.InflateRefusals (1013 also
// in InboundBudgetRefusals). The server keeps no compression window
// between a client's messages (gws negotiates client_no_context_takeover),
// so each message inflates on its own. gws's UTF-8 check of text messages
// would see compressed bytes, so servers with Compression configured check
// text messages here instead (after inflating).

// flateTail ends every compressed message: the empty stored block the
// sender removed (RFC 7692 §7.2.2), then a final empty stored block, so
// that the decompressor sees the stream end (io.EOF) rather than run out
// of input.
var flateTail = []byte{0x00, 0x00, 0xff, 0xff, 0x01, 0x00, 0x00, 0xff, 0xff}

// flateReaders recycles the decompressors (about 40 KiB of state each),
// so a connection holds one only while it inflates.
var flateReaders = sync.Pool{New: func() any { return flate.NewReader(nil) }}

// inflateError is why a compressed message was refused: the connection is
// closed with Code.
type inflateError struct {
	Code   uint16
	Reason string
	Err    error
}

func (e *inflateError) Error() string {
	return fmt.Sprintf("transport: compressed websocket message refused: %s", e.Reason)
}

// Unwrap makes a refusal for the inbound budget match ErrInboundBudget.
func (e *inflateError) Unwrap() error { return e.Err }

var (
	errInflateTooLarge = &inflateError{Code: closeMessageTooBig, Reason: "decompressed message too large"}
	errInflateBudget   = &inflateError{Code: closeTryAgainLater, Reason: "inbound budget exhausted", Err: ErrInboundBudget}
	errInflateCorrupt  = &inflateError{Code: closeProtocolError, Reason: "invalid compressed data"}
)

// inflate decompresses src into a new buffer, taking what it allocates
// beyond inboundFree from budget as it grows, up to limit bytes. It returns the
// bytes and what it took (to give back once they are decoded); on an
// error it has given everything back.
func inflate(src []byte, limit int, budget *InboundBudget) ([]byte, int64, error) {
	fr := flateReaders.Get().(io.ReadCloser)
	defer flateReaders.Put(fr)
	if err := fr.(flate.Resetter).Reset(io.MultiReader(bytes.NewReader(src), bytes.NewReader(flateTail)), nil); err != nil {
		return nil, 0, errInflateCorrupt
	}
	var out []byte
	var taken int64
	for {
		if len(out) == cap(out) {
			if len(out) > limit {
				budget.give(taken)
				return nil, 0, errInflateTooLarge
			}
			// Double, up to one byte past the limit: reading that byte
			// proves the message too large without inflating more. Every
			// buffer but the first inboundFree bytes is counted until the
			// message is given back, the outgrown ones too (garbage, but
			// memory until collected): about twice the inflated size.
			c := min(max(2*cap(out), 4<<10), limit+1)
			need := int64(c)
			if c <= inboundFree {
				need = 0
			}
			if need > 0 && !budget.take(need) {
				budget.give(taken)
				return nil, 0, errInflateBudget
			}
			taken += need
			grown := make([]byte, len(out), c)
			copy(grown, out)
			out = grown
		}
		n, err := fr.Read(out[len(out):cap(out)])
		out = out[:len(out)+n]
		if err == io.EOF {
			break
		}
		if err != nil {
			budget.give(taken)
			return nil, 0, errInflateCorrupt
		}
	}
	if len(out) > limit {
		budget.give(taken)
		return nil, 0, errInflateTooLarge
	}
	return out, taken, nil
}

// payload returns the bytes of the message gws delivered, inflated if it
// was compressed, checks a text message's UTF-8 when gws did not, and
// reports what to give back to the inbound budget after decoding. On an
// error the connection has been failed and nothing is to be given back.
// Reader goroutine.
func (p *wsPeer) payload(b []byte, text bool) ([]byte, int64, error) {
	var taken int64
	if p.wc != nil && p.wc.scan.nextDeflated() {
		out, n, err := inflate(b, p.cfg.maxMessageBytes, p.cfg.inbound)
		if err != nil {
			p.refuseInflated(err.(*inflateError), len(b))
			return nil, 0, err
		}
		b, taken = out, n
	}
	if text && p.checkUTF8 && !utf8.Valid(b) {
		p.cfg.inbound.give(taken)
		err := &CloseError{Code: 1007, Reason: "invalid UTF-8 in text frame"}
		p.cfg.stats.ProtocolErrors.Add(1)
		p.abort(1007, err.Reason, err)
		return nil, 0, err
	}
	return b, taken, nil
}

// decode decodes b and gives back what inflating it took from the inbound
// budget, even if the serializer panics. Reader goroutine.
func (p *wsPeer) decode(b []byte, taken int64) (wamp.Message, error) {
	defer p.cfg.inbound.give(taken)
	return p.ser.Decode(b)
}

// refuseInflated fails the connection for a compressed message that could
// not be inflated: counted, logged, closed with the error's code; the
// Handler gets a *CloseError (wrapped by ErrInboundBudget for 1013).
func (p *wsPeer) refuseInflated(ie *inflateError, compressed int) {
	p.cfg.stats.InflateRefusals.Add(1)
	var cause error = &CloseError{Code: int(ie.Code), Reason: ie.Reason}
	if errors.Is(ie, ErrInboundBudget) {
		p.cfg.stats.InboundBudgetRefusals.Add(1)
		cause = fmt.Errorf("%w: %w", ErrInboundBudget, cause)
	}
	p.cfg.logger.Warn("transport: websocket compressed message refused; closing connection", "peer", p.info.PeerAddr,
		"reason", ie.Reason, "compressed_bytes", compressed, "limit", p.cfg.maxMessageBytes, "inbound_used", p.cfg.inbound.Used())
	p.abort(ie.Code, ie.Reason, cause)
}
