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

// byteBudget is a shared count of bytes against a maximum, the shape both
// OutboundBudget and InboundBudget have. Safe for concurrent use.
type byteBudget struct {
	max  int64
	used atomic.Int64
}

// fits reports whether n more bytes fit now.
func (b *byteBudget) fits(n int64) bool { return b.used.Load()+n <= b.max }

// take reserves n bytes, or reports false when they do not fit.
func (b *byteBudget) take(n int64) bool {
	if b.used.Add(n) > b.max {
		b.used.Add(-n)
		return false
	}
	return true
}

// force counts n bytes whether they fit or not: memory the router holds
// already and may not refuse.
func (b *byteBudget) force(n int64) { b.used.Add(n) }

// give returns n bytes.
func (b *byteBudget) give(n int64) {
	if n != 0 {
		b.used.Add(-n)
	}
}

// DefaultOutboundOverdraftBytes is the default allowance, shared like
// the budget, for the messages a peer with nothing queued gets past its
// own byte budget or the exhausted shared one.
const DefaultOutboundOverdraftBytes = 256 << 20

// OutboundBudget bounds the bytes queued for every peer that shares it:
// give one to several servers (WebSocketConfig.OutboundBudget,
// RawSocketConfig.OutboundBudget) to bound a whole process. When queueing a
// message would exceed it, a peer that still has something queued is
// closed as a slow consumer (the peers holding the most are the ones most
// likely to be behind). A peer with nothing queued always gets its
// message, even one larger than its own OutboundQueueBytes: such a message
// draws from the budget's overdraft, an allowance shared the same way.
// When the overdraft is exhausted too, the message is still queued (it
// may have been acknowledged to its sender already), counted in the
// server's InboundBudget until written (it holds memory read from a peer,
// so larger inbound frames are refused meanwhile), the peer counts as
// congested so that its sender is held (FlowControl.Throttle) until it is
// written, and Stats.OverdraftHolds is incremented. Safe for concurrent
// use.
type OutboundBudget struct {
	byteBudget
	overdraft byteBudget
}

// NewOutboundBudget returns a budget of maxBytes (<= 0:
// DefaultOutboundBudgetBytes) with an overdraft of
// DefaultOutboundOverdraftBytes.
func NewOutboundBudget(maxBytes int64) *OutboundBudget {
	return NewOutboundBudgetOverdraft(maxBytes, 0)
}

// NewOutboundBudgetOverdraft returns a budget of maxBytes (<= 0:
// DefaultOutboundBudgetBytes) with an overdraft of overdraftBytes (0:
// DefaultOutboundOverdraftBytes; < 0: none, so that every message past
// the budget to a peer with nothing queued holds its sender).
func NewOutboundBudgetOverdraft(maxBytes, overdraftBytes int64) *OutboundBudget {
	if maxBytes <= 0 {
		maxBytes = DefaultOutboundBudgetBytes
	}
	switch {
	case overdraftBytes == 0:
		overdraftBytes = DefaultOutboundOverdraftBytes
	case overdraftBytes < 0:
		overdraftBytes = 0
	}
	b := &OutboundBudget{}
	b.max, b.overdraft.max = maxBytes, overdraftBytes
	return b
}

// Max is the budget's size in bytes.
func (b *OutboundBudget) Max() int64 { return b.max }

// Used is the number of bytes queued now within the budget, as estimated.
func (b *OutboundBudget) Used() int64 { return b.used.Load() }

// OverdraftMax is the size of the overdraft in bytes.
func (b *OutboundBudget) OverdraftMax() int64 { return b.overdraft.max }

// OverdraftUsed is the number of bytes queued now past the budget, for
// peers that had nothing queued: drawn from the overdraft, or beyond it
// (those are also counted in the InboundBudget and hold their senders).
func (b *OutboundBudget) OverdraftUsed() int64 { return b.overdraft.used.Load() }

// messageBytes is the estimated size of a queued message.
func messageBytes(m wamp.Message) int {
	if sm, ok := m.(*shared.Message); ok {
		return sm.SizeHint()
	}
	return wamp.SizeHint(m)
}

// overBudgetLocked reports why queueing n more bytes for q is refused, or
// "" when it is not. A peer with nothing pending is never refused for
// bytes: one message always fits (chargeLocked says against what).
func (q *peerCore) overBudgetLocked(n int) string {
	switch {
	case q.pending >= q.cfg.queueMax:
		return "outbound queue full"
	case q.pending == 0:
		return ""
	case q.pendingBytes+n > q.cfg.queueBytes:
		return "outbound queue over its byte budget"
	case !q.cfg.budget.fits(int64(n)):
		return "outbound byte budget of the server exhausted"
	}
	return ""
}

// chargeLocked counts n bytes queued for q, which overBudgetLocked let
// through. A message to a peer with nothing pending that exceeds the
// peer's byte budget or the shared one draws from the shared overdraft;
// when that is exhausted too it is held (see OutboundBudget): counted in
// the inbound budget, and q congested so that the engine holds its
// sender until q has written it.
func (q *peerCore) chargeLocked(n int) {
	b, n64 := q.cfg.budget, int64(n)
	if q.pending > 0 || (n <= q.cfg.queueBytes && b.take(n64)) {
		if q.pending > 0 {
			b.force(n64) // checked by overBudgetLocked under q.mu; a race may pass it by one message
		}
		return
	}
	q.overdrawn = n
	if b.overdraft.take(n64) {
		return
	}
	b.overdraft.force(n64)
	q.cfg.inbound.force(n64)
	q.heldIn = n
	q.cfg.stats.OverdraftHolds.Add(1)
	q.congested.Store(true)
}

// releaseBytesLocked gives n written or discarded bytes back. Messages go
// in queue order, so the first bytes released are those of a message
// charged to the overdraft (it was queued when nothing was pending).
func (q *peerCore) releaseBytesLocked(n int) {
	if n == 0 {
		return
	}
	q.pendingBytes -= n
	o := min(n, q.overdrawn)
	q.overdrawn -= o
	q.cfg.budget.overdraft.give(int64(o))
	q.cfg.budget.give(int64(n - o))
	if q.heldIn > 0 {
		h := min(o, q.heldIn)
		q.heldIn -= h
		q.cfg.inbound.give(int64(h))
	}
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
// whole process. Besides frames being read it counts, until they are let
// go, decompressed messages (permessage-deflate), the part of a decoded
// message past its session's in-flight bound (FlowControl.HoldInbound) and
// outbound messages held past the outbound overdraft (OutboundBudget).
// Safe for concurrent use.
type InboundBudget struct {
	byteBudget
}

// NewInboundBudget returns a budget of maxBytes (<= 0:
// DefaultInboundBudgetBytes).
func NewInboundBudget(maxBytes int64) *InboundBudget {
	if maxBytes <= 0 {
		maxBytes = DefaultInboundBudgetBytes
	}
	b := &InboundBudget{}
	b.max = maxBytes
	return b
}

// Max is the budget's size in bytes.
func (b *InboundBudget) Max() int64 { return b.max }

// Used is the number of bytes held now.
func (b *InboundBudget) Used() int64 { return b.used.Load() }
