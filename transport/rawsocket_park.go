package transport

import "sync/atomic"

// Parked RawSocket readers. A server-side reader that has read every byte
// the socket had (rsPeer.read: errParked) does not wait in a read. Where
// the server has a poller (rsPoller: Linux, a plain TCP or Unix socket,
// not TLS), the reader arms the socket in the poller's epoll set and its
// goroutine exits: an idle connection holds no goroutine at all. When the
// socket becomes readable, the poller starts a fresh goroutine that reads
// on (waitAndRead). Elsewhere, and whenever parking in the poller is not
// possible, the reader waits on a fresh goroutine of the smallest stack
// (as before the poller).
//
// Who runs the reader is decided by one atomic word per peer (rsPark.state),
// so that exactly one goroutine is the reader at any time and no wake is
// lost:
//
//   - The reader parks: it begins a new arming (generation + 1, pending
//     cleared), arms the socket for that generation (EPOLLONESHOT), then
//     sets parked, and its goroutine exits touching nothing more.
//   - Whoever clears parked starts the next reader goroutine: the poller
//     on input of the current arming (pollWake), a keepalive tick, or the
//     peer leaving the open state (wakeReader).
//   - Input of the current arming seen while the reader still runs (between
//     arming and parking) sets pending: the reader then does not park but
//     waits on its goroutine, where the bytes are already readable.
//   - A closing peer sets never: its reader ends on a goroutine, where the
//     read deadline of an orderly close and the socket's close reach it (a
//     closed socket leaves the epoll set without an event).
//   - Keepalive: a parked reader waits in no read, so no read deadline can
//     expire for it. Every keepalive tick therefore wakes a parked reader,
//     and a reader does not park while a tick is unanswered (stale): it
//     waits in a read under the deadline, as without the poller, until a
//     frame arrives. Since a tick comes every PingInterval and the deadline
//     is PingInterval+PongTimeout past the first frame after a tick, a
//     reader is never parked when its deadline passes.
const (
	parkParked  = 1 << iota // the reader waits in the poller: no goroutine
	parkPending             // input of the current arming came while the reader ran
	parkNever               // the peer is closing: the reader stays on a goroutine
)

// rsPollIdle lets servers made from now on park readers in a poller; tests
// and benchmarks turn it off to compare with parking on goroutines.
var rsPollIdle = true

// rsPark is a server-side RawSocket reader's parking state.
type rsPark struct {
	poll  *rsPoller     // nil: park on a fresh goroutine instead
	state atomic.Uint64 // arming generation << 32 | park flags
	tok   uint32        // the poller's name for this peer, 0 before the first arming (reader only)
	added bool          // the socket is in the poller's epoll set (reader only)
}

// parkGen is the arming generation of a state word.
func parkGen(s uint64) uint32 { return uint32(s >> 32) }

// parkInPoller parks the reader in the server's poller and reports whether
// it did: then the calling goroutine must return at once, touching nothing
// of the reader. Reader goroutine, with nothing buffered and nothing held
// from the inbound budget.
func (p *rsPeer) parkInPoller() bool {
	pk := &p.park
	if pk.poll == nil || p.fr.br.raw == nil {
		return false
	}
	var s uint64
	for { // a new arming; earlier armings' input no longer counts
		s = pk.state.Load()
		if s&parkNever != 0 || p.stale.Load() {
			return false
		}
		n := uint64(parkGen(s)+1) << 32
		if pk.state.CompareAndSwap(s, n) {
			s = n
			break
		}
	}
	if !pk.poll.arm(p, parkGen(s)) {
		return false
	}
	for {
		cur := pk.state.Load()
		if cur&(parkNever|parkPending) != 0 {
			return false // closing, or the input is already there
		}
		if pk.state.CompareAndSwap(cur, cur|parkParked) {
			s = cur | parkParked
			break
		}
	}
	// A keepalive tick that came before parked was set did not wake this
	// reader (wakeReader saw none parked): it sees the tick here (stale is
	// set before the tick looks at the state). Taking the park back fails
	// only if someone already woke it.
	if p.stale.Load() && pk.state.CompareAndSwap(s, s&^parkParked) {
		return false
	}
	return true
}

// pollWake is the poller's wake for input on the socket armed with gen.
// Poller goroutine.
func (p *rsPeer) pollWake(gen uint32) {
	pk := &p.park
	for {
		s := pk.state.Load()
		if parkGen(s) != gen {
			return // an arming the reader has since replaced
		}
		n := s | parkPending
		if s&parkParked != 0 {
			n = s &^ parkParked
		}
		if n == s {
			return
		}
		if pk.state.CompareAndSwap(s, n) {
			if s&parkParked != 0 {
				go p.waitAndRead()
			}
			return
		}
	}
}

// wakeReader moves a parked reader back to a goroutine: for a keepalive
// tick, or for good (final) when the peer leaves the open state. Safe for
// concurrent use; it takes no lock (callers hold peerCore.mu).
func (p *rsPeer) wakeReader(final bool) {
	pk := &p.park
	for {
		s := pk.state.Load()
		n := s &^ parkParked
		if final {
			n |= parkNever
		}
		if n == s {
			return
		}
		if pk.state.CompareAndSwap(s, n) {
			if s&parkParked != 0 {
				go p.waitAndRead()
			}
			return
		}
	}
}

// parkedReader is a transport whose reader can be parked without a
// goroutine (RawSocket: rsPeer).
type parkedReader interface{ wakeReader(final bool) }

// wakeParkedReader has a parked reader read on a goroutine (see rsPark):
// for a keepalive tick, or for good (final) when the peer leaves the open
// state. Called with q.mu held.
func (q *peerCore) wakeParkedReader(final bool) {
	if r, ok := q.w.(parkedReader); ok {
		r.wakeReader(final)
	}
}
