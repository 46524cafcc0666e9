package transport

import (
	"errors"
	"sync/atomic"

	"github.com/switchboard-wamp/switchboard/core/serialize/shared"
	"github.com/switchboard-wamp/switchboard/core/wamp"
)

// Byte budgets of the outbound queues. A message's bytes are estimated
// with wamp.SizeHint when it is queued (once per fan-out message, cached
// by the shared.Message) and given back when the writer has written it or
// the queue is discarded.
const (
	// DefaultOutboundQueueBytes is a peer's outbound byte budget: twice
	// the default message limit, so that a peer that reads is never closed
	// for receiving two maximum-size messages back to back. (With another
	// MaxMessageBytes the default is twice that, and at least 1 MiB.)
	DefaultOutboundQueueBytes = 2 * DefaultMaxMessageBytes
	// DefaultOutboundBudgetBytes is what the peers of one server (or of
	// every server sharing an OutboundBudget) may have queued in all.
	DefaultOutboundBudgetBytes = 1 << 30
	// minOutboundQueueBytes is the smallest default byte budget, for small
	// message limits: a burst of small messages to a reading peer must hit
	// the message bound, not this one.
	minOutboundQueueBytes = 1 << 20
)

// OutboundBudget bounds the bytes queued for every peer that shares it:
// give one to several servers (WebSocketConfig.OutboundBudget,
// RawSocketConfig.OutboundBudget) to bound a whole process. When queueing a
// message would exceed it, a peer that still has something queued is
// closed as a slow consumer (the peers holding the most are the ones most
// likely to be behind); a peer with nothing queued always gets its message,
// so the bound is Max plus at most one message per connection. Safe for
// concurrent use.
type OutboundBudget struct {
	max  int64
	used atomic.Int64
}

// NewOutboundBudget returns a budget of maxBytes (<= 0:
// DefaultOutboundBudgetBytes).
func NewOutboundBudget(maxBytes int64) *OutboundBudget {
	if maxBytes <= 0 {
		maxBytes = DefaultOutboundBudgetBytes
	}
	return &OutboundBudget{max: maxBytes}
}

// Max is the budget's size in bytes.
func (b *OutboundBudget) Max() int64 { return b.max }

// Used is the number of bytes queued now, as estimated.
func (b *OutboundBudget) Used() int64 { return b.used.Load() }

func (b *OutboundBudget) fits(n int) bool { return b.used.Load()+int64(n) <= b.max }

func (b *OutboundBudget) add(n int) { b.used.Add(int64(n)) }

// messageBytes is the estimated size of a queued message.
func messageBytes(m wamp.Message) int {
	if sm, ok := m.(*shared.Message); ok {
		return sm.SizeHint()
	}
	return wamp.SizeHint(m)
}

// overBudgetLocked reports why queueing n more bytes for q is refused, or
// "" when it is not. A peer with nothing pending is never refused for
// bytes: one message always fits.
func (q *peerCore) overBudgetLocked(n int) string {
	switch {
	case q.pending >= q.cfg.queueMax:
		return "outbound queue full"
	case q.pending == 0:
		return ""
	case q.pendingBytes+n > q.cfg.queueBytes:
		return "outbound queue over its byte budget"
	case !q.cfg.budget.fits(n):
		return "outbound byte budget of the server exhausted"
	}
	return ""
}

// releaseBytesLocked gives n written or discarded bytes back.
func (q *peerCore) releaseBytesLocked(n int) {
	if n == 0 {
		return
	}
	q.pendingBytes -= n
	q.cfg.budget.add(-n)
}

// Inbound budget: the bytes of inbound messages being read. A WebSocket
// or RawSocket reader sizes its buffer from the length a frame header
// declares, before the payload arrives, so 10,000 connections each part
// way through a maximum-size message would hold 10,000 x MaxMessageBytes.
// Every frame larger than inboundFree takes its declared length from the
// server's InboundBudget when its header is read, and gives it back once
// its message has been decoded (or the connection ends); a frame that
// does not fit fails its connection (WebSocket close 1013 "inbound budget
// exhausted", RawSocket: the connection is closed), counted in
// Stats.InboundBudgetRefusals. Smaller frames are read within the
// per-connection buffers.
const (
	// DefaultInboundBudgetBytes is what the readers of one server (or of
	// every server sharing an InboundBudget) may hold in all.
	DefaultInboundBudgetBytes = 1 << 30
	// inboundFree is the largest frame read without taking from the
	// inbound budget.
	inboundFree = 4 << 10
)

// ErrInboundBudget is the close cause of a connection whose next message
// did not fit in its server's InboundBudget.
var ErrInboundBudget = errors.New("transport: inbound byte budget of the server exhausted")

// InboundBudget bounds the bytes of inbound messages being read by every
// peer that shares it: give one to several servers
// (WebSocketConfig.InboundBudget, RawSocketConfig.InboundBudget) to bound a
// whole process. Safe for concurrent use.
type InboundBudget struct {
	max  int64
	used atomic.Int64
}

// NewInboundBudget returns a budget of maxBytes (<= 0:
// DefaultInboundBudgetBytes).
func NewInboundBudget(maxBytes int64) *InboundBudget {
	if maxBytes <= 0 {
		maxBytes = DefaultInboundBudgetBytes
	}
	return &InboundBudget{max: maxBytes}
}

// Max is the budget's size in bytes.
func (b *InboundBudget) Max() int64 { return b.max }

// Used is the number of bytes held by readers now.
func (b *InboundBudget) Used() int64 { return b.used.Load() }

// take reserves n bytes, or reports false when they do not fit.
func (b *InboundBudget) take(n int64) bool {
	if b.used.Add(n) > b.max {
		b.used.Add(-n)
		return false
	}
	return true
}

// give returns n reserved bytes.
func (b *InboundBudget) give(n int64) {
	if n != 0 {
		b.used.Add(-n)
	}
}
