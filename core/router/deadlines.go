package router

import (
	"time"
)

// dlKind says what a deadline entry guards.
type dlKind uint8

const (
	dlCall    dlKind = iota // a call's options.timeout; key = (callee, invocation)
	dlGoodbye               // a router GOODBYE's grace period; key.sid = the session
)

// deadline is one entry of the realm's deadline index. Entries are never
// removed eagerly: when the call finishes or the session leaves, the entry
// goes stale, and seq tells a stale entry from a live one.
type deadline struct {
	at   time.Time
	kind dlKind
	key  callKey
	seq  uint64
}

// deadlineHeap is a binary min-heap on at. It is hand-written rather than
// container/heap to avoid boxing entries into interfaces (an allocation per
// push).
type deadlineHeap []deadline

func (h *deadlineHeap) push(d deadline) {
	*h = append(*h, d)
	h.up(len(*h) - 1)
}

func (h *deadlineHeap) pop() deadline {
	old := *h
	d := old[0]
	n := len(old) - 1
	old[0] = old[n]
	*h = old[:n]
	h.down(0)
	return d
}

func (h deadlineHeap) up(i int) {
	for i > 0 {
		p := (i - 1) / 2
		if !h[i].at.Before(h[p].at) {
			return
		}
		h[i], h[p] = h[p], h[i]
		i = p
	}
}

func (h deadlineHeap) down(i int) {
	for {
		l := 2*i + 1
		if l >= len(h) {
			return
		}
		m := l
		if r := l + 1; r < len(h) && h[r].at.Before(h[l].at) {
			m = r
		}
		if !h[m].at.Before(h[i].at) {
			return
		}
		h[i], h[m] = h[m], h[i]
		i = m
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
	}
	return false
}

// Expire fires every deadline at or before now: call timeouts (ERROR
// wamp.error.timeout to the caller, INTERRUPT to a canceling-capable
// callee) and expired GOODBYE grace periods (CloseOp; the session is
// removed). Calling it early or late is harmless. Executor-only.
func (r *Realm) Expire(now time.Time, fx *Effects) {
	for len(r.deadlines) > 0 && !r.deadlines[0].at.After(now) {
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
		}
	}
	r.compactDeadlines()
}

// NextDeadline returns the earliest live deadline, if any; the driver arms
// one timer for it. Stale entries at the top are discarded. Executor-only.
func (r *Realm) NextDeadline() (time.Time, bool) {
	for len(r.deadlines) > 0 {
		if r.live(r.deadlines[0]) {
			return r.deadlines[0].at, true
		}
		r.deadlines.pop()
	}
	return time.Time{}, false
}

// compactDeadlines drops stale entries when they dominate the heap (many
// calls with long timeouts that finished early), bounding its size to a
// small multiple of the live entries.
func (r *Realm) compactDeadlines() {
	live := r.dealer.calls.withDeadline + r.shuttingDown
	if len(r.deadlines) < 64 || len(r.deadlines) < 4*(live+1) {
		return
	}
	h := r.deadlines[:0]
	for _, d := range r.deadlines {
		if r.live(d) {
			h = append(h, d)
		}
	}
	clear(r.deadlines[len(h):])
	for i := len(h)/2 - 1; i >= 0; i-- {
		h.down(i)
	}
	r.deadlines = h
}
