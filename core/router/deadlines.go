package router

import (
	"time"

	"github.com/switchboard-wamp/switchboard/core/wamp"
)

// dlKind says what a deadline entry guards.
type dlKind uint8

const (
	dlCall      dlKind = iota // a call's options.timeout; key = (callee, invocation)
	dlGoodbye                 // a router GOODBYE's grace period; key.sid = the session
	dlHandshake               // a session's handshake deadline; key.sid = the session
)

// deadline is one entry of the realm's deadline index. Entries are never
// removed eagerly: when the call finishes or the session leaves, the entry
// goes stale, and seq tells a stale entry from a live one.
type deadline struct {
	at   time.Time
	kind dlKind
	key  callKey
	seq  uint64
	ord  uint64 // push order: equal times fire first-in, first-out
}

// deadlineHeap is a binary min-heap on at. It is hand-written rather than
// container/heap to avoid boxing entries into interfaces (an allocation per
// push).
type deadlineHeap struct {
	items  []deadline
	pushes uint64
}

func (h *deadlineHeap) len() int { return len(h.items) }

func (h *deadlineHeap) top() deadline { return h.items[0] }

func (h *deadlineHeap) push(d deadline) {
	h.pushes++
	d.ord = h.pushes
	h.items = append(h.items, d)
	h.up(len(h.items) - 1)
}

func less(a, b *deadline) bool {
	if a.at.Equal(b.at) {
		return a.ord < b.ord
	}
	return a.at.Before(b.at)
}

func (h *deadlineHeap) pop() deadline {
	it := h.items
	d := it[0]
	n := len(it) - 1
	it[0] = it[n]
	h.items = it[:n]
	h.down(0)
	return d
}

func (h *deadlineHeap) up(i int) {
	it := h.items
	for i > 0 {
		p := (i - 1) / 2
		if !less(&it[i], &it[p]) {
			return
		}
		it[i], it[p] = it[p], it[i]
		i = p
	}
}

func (h *deadlineHeap) down(i int) {
	it := h.items
	for {
		l := 2*i + 1
		if l >= len(it) {
			return
		}
		m := l
		if r := l + 1; r < len(it) && less(&it[r], &it[l]) {
			m = r
		}
		if !less(&it[m], &it[i]) {
			return
		}
		it[i], it[m] = it[m], it[i]
		i = m
	}
}

// filter keeps the entries for which keep is true and restores heap order.
func (h *deadlineHeap) filter(keep func(deadline) bool) {
	kept := h.items[:0]
	for _, d := range h.items {
		if keep(d) {
			kept = append(kept, d)
		}
	}
	clear(h.items[len(kept):])
	h.items = kept
	for i := len(kept)/2 - 1; i >= 0; i-- {
		h.down(i)
	}
}

// addDeadline indexes d, compacting first when stale entries dominate.
func (r *Realm) addDeadline(d deadline) {
	r.compactDeadlines()
	r.deadlines.push(d)
}

// live reports whether d still guards something.
func (r *Realm) live(d deadline) bool {
	switch d.kind {
	case dlCall:
		pc := r.dealer.calls.byInv[d.key]
		return pc != nil && pc.seq == d.seq && pc.timeout
	case dlGoodbye:
		s := r.sessions[d.key.sid]
		return s != nil && s.state == stShuttingDown && s.goodbyeSeq == d.seq
	case dlHandshake:
		s := r.sessions[d.key.sid]
		return s != nil && s.hs != nil && s.hs.seq == d.seq
	}
	return false
}

// Expire fires every deadline at or before now: call timeouts (ERROR
// wamp.error.timeout to the caller, INTERRUPT to a canceling-capable
// callee) and expired GOODBYE grace periods (CloseOp; the session is
// removed). Calling it early or late is harmless. Executor-only.
func (r *Realm) Expire(now time.Time, fx *Effects) {
	for r.deadlines.len() > 0 && !r.deadlines.top().at.After(now) {
		d := r.deadlines.pop()
		if !r.live(d) {
			continue
		}
		switch d.kind {
		case dlCall:
			r.expireCall(r.dealer.calls.byInv[d.key], fx)
		case dlGoodbye:
			s := r.sessions[d.key.sid]
			fx.close(s.id, s.goodbyeReason)
			r.remove(s, fx)
		case dlHandshake:
			r.endHandshake(r.sessions[d.key.sid], wamp.ErrAuthenticationFailed, HandshakeTimedOut, fx)
		}
	}
	r.compactDeadlines()
}

// HandshakeTimedOut is the message of the ABORT (wamp.error.authentication_failed)
// that ends a handshake not finished by its deadline.
const HandshakeTimedOut = "handshake timed out"

// NextDeadline returns the earliest live deadline, if any; the driver arms
// one timer for it. Stale entries at the top are discarded. Executor-only.
func (r *Realm) NextDeadline() (time.Time, bool) {
	for r.deadlines.len() > 0 {
		if d := r.deadlines.top(); r.live(d) {
			return d.at, true
		}
		r.deadlines.pop()
	}
	return time.Time{}, false
}

// compactDeadlines drops stale entries when they dominate the heap (many
// calls with long timeouts that finished early), bounding its size to a
// small multiple of the live entries.
func (r *Realm) compactDeadlines() {
	live := r.dealer.calls.withDeadline + r.shuttingDown + r.handshaking
	if n := r.deadlines.len(); n < 64 || n < 4*(live+1) {
		return
	}
	r.deadlines.filter(r.live)
}
