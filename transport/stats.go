package transport

import (
	"sync/atomic"

	"github.com/switchboard-wamp/switchboard/core/wamp"
)

// Stats holds transport counters. A server or client configured with the
// same *Stats adds to it; the router's metrics read it. All fields are safe
// for concurrent use.
type Stats struct {
	// Accepted counts connections that completed the WebSocket or
	// RawSocket handshake.
	Accepted atomic.Int64
	// Rejected counts handshakes refused before the upgrade (origin,
	// subprotocol, server closed), failed during it, or RawSocket
	// handshakes answered with an error or failed.
	Rejected atomic.Int64
	// LimitRefusals counts the connections of Rejected refused because
	// MaxConnections or MaxConnectionsPerAddress was reached (WebSocket
	// HTTP 503 or 429, RawSocket error 4).
	LimitRefusals atomic.Int64
	// Closed counts connections that ended (Handler.Closed was due).
	Closed atomic.Int64
	// SlowConsumers counts peers closed because their outbound queue was full.
	SlowConsumers atomic.Int64
	// MalformedFrames counts inbound frames the serializer could not decode.
	MalformedFrames atomic.Int64
	// KeepaliveTimeouts counts peers closed for silence.
	KeepaliveTimeouts atomic.Int64
	// WriteTimeouts counts peers closed because a socket write stalled.
	WriteTimeouts atomic.Int64
	// ProtocolErrors counts connections failed for breaking the framing
	// rules: RawSocket (oversize frame, reserved bits or frame types) and
	// WebSocket frames refused by the frame guard before gws reads them (a
	// 64-bit payload length with its most significant bit set, close 1002;
	// a payload length above MaxMessageBytes, close 1009).
	ProtocolErrors atomic.Int64
	// EncodeErrors counts outbound messages not sent because they could not
	// be encoded with the peer's serializer or were larger than its limit.
	// The peer stays connected; its Handler learns of each (Refuser).
	EncodeErrors atomic.Int64
	// Throttled counts the times a congested peer held a sender's reader
	// (flow control: the sender of a burst is slowed down, see FlowControl).
	Throttled atomic.Int64
	// StallReleases counts the senders let go by a congested peer whose
	// socket took no bytes for EventStallTimeout while it held them for
	// EVENTs (a subscriber that stopped reading frees its publisher).
	StallReleases atomic.Int64
	// InboundBudgetRefusals counts connections failed because a frame
	// they sent did not fit in the server's InboundBudget.
	InboundBudgetRefusals atomic.Int64
	// OverdraftHolds counts messages queued for a peer with nothing
	// queued while both the OutboundBudget and its overdraft were
	// exhausted: each was sent anyway, and held its sender until written.
	OverdraftHolds atomic.Int64
	// InflateRefusals counts WebSocket connections failed because a
	// compressed message (permessage-deflate) inflated past
	// MaxMessageBytes (close 1009) or past what the InboundBudget had left
	// (close 1013; also counted in InboundBudgetRefusals).
	InflateRefusals atomic.Int64
	// Panics counts panics recovered on a goroutine handling a peer's input
	// (WebSocket and RawSocket readers and handshakes, the Mux's
	// dispatch): each is logged with its stack and closes only its
	// connection (cause wrapping ErrReaderPanic).
	Panics atomic.Int64

	// MessagesIn counts decoded inbound messages by type code (index
	// wamp.Type; see ByType); MessagesOut counts messages written, after
	// encoding. BytesIn and BytesOut count their encoded sizes (WAMP
	// payloads, without framing).
	MessagesIn, MessagesOut [MaxTypeCode + 1]atomic.Int64
	BytesIn, BytesOut       atomic.Int64
}

// MaxTypeCode is the highest WAMP message type code (YIELD): the last index
// of Stats.MessagesIn and MessagesOut.
const MaxTypeCode = int(wamp.YIELD)

// countIn records one decoded inbound message of n bytes. Reader goroutine.
func (s *Stats) countIn(m wamp.Message, n int) {
	if t := int(m.Type()); t <= MaxTypeCode {
		s.MessagesIn[t].Add(1)
	}
	s.BytesIn.Add(int64(n))
}

// countOut records one message of n bytes written. Writer goroutine.
func (s *Stats) countOut(m wamp.Message, n int) {
	if t := int(m.Type()); t <= MaxTypeCode {
		s.MessagesOut[t].Add(1)
	}
	s.BytesOut.Add(int64(n))
}
