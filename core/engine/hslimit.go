package engine

import (
	"strconv"
	"sync"
	"sync/atomic"

	"github.com/switchboard-wamp/switchboard/core/wamp"
	"github.com/switchboard-wamp/switchboard/transport"
)

// ReasonTooManyHandshakes is the ABORT reason of a HELLO beyond
// Server.MaxHandshakes or MaxHandshakesPerAddress. No spec URI says "the
// router has too many sessions authenticating"; like the realm's session
// limit (switchboard.error.too_many_sessions) it is the router's own.
const ReasonTooManyHandshakes wamp.URI = "switchboard.error.too_many_handshakes"

// hsLimiter counts the sessions in their handshake (HELLO received, no
// WELCOME or end yet) in total and per source IP, across every realm of a
// Server, and keeps their places oldest first. A zero limit is no limit.
// Safe for concurrent use: the reader of a connection acquires, its
// realm's executor (or its Closed) releases.
//
// Over the total, the oldest place is taken from its holder (evicted)
// rather than the new HELLO refused: the places are then held by the
// newest MaxHandshakes handshakes, so a handshake that finishes quickly
// (anonymous, or a client answering its CHALLENGE within the time the
// router takes to see MaxHandshakes other HELLOs) gets through a flood of
// HELLOs that never finish, from however many addresses. The per-address
// limit still refuses: one address cannot evict the others.
type hsLimiter struct {
	mu         sync.Mutex
	total      int
	byAddr     map[string]int // source IP -> handshakes; entries at 0 are deleted
	head, tail *hsPlace       // the places held, oldest first
}

// hsPlace is one connection's place among the handshakes in flight.
type hsPlace struct {
	// held is true from acquire until the place is given back, by its
	// connection (release) or taken by eviction; whichever turns it false
	// does the accounting.
	held atomic.Bool
	// Guarded by hsLimiter.mu:
	key        string // the address counted under ("" = the total only)
	prev, next *hsPlace
	owner      *conn // closed when evicted; nil in unit tests
}

// acquire takes place p for a handshake from source (transport.SourceIP;
// "" is counted in the total only) under the limits maxTotal and perAddr.
// It returns the place it evicted to make room, if any, or the ABORT that
// refuses the HELLO.
func (l *hsLimiter) acquire(p *hsPlace, maxTotal, perAddr int, source string) (*hsPlace, *wamp.Abort) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if perAddr <= 0 {
		source = ""
	}
	if source != "" && l.byAddr[source] >= perAddr {
		return nil, abortMsg(ReasonTooManyHandshakes, "too many sessions in their handshake from this address (at most "+
			strconv.Itoa(perAddr)+"); try again later")
	}
	var victim *hsPlace
	if maxTotal > 0 && l.total >= maxTotal {
		for v := l.head; v != nil; v = v.next {
			if v.held.CompareAndSwap(true, false) { // else v is being released
				victim = v
				l.drop(v)
				break
			}
		}
		if victim == nil {
			return nil, abortMsg(ReasonTooManyHandshakes, "too many sessions in their handshake (at most "+
				strconv.Itoa(maxTotal)+"); try again later")
		}
	}
	l.total++
	if source != "" {
		if l.byAddr == nil {
			l.byAddr = map[string]int{}
		}
		l.byAddr[source]++
	}
	p.key, p.prev, p.next = source, l.tail, nil
	if l.tail != nil {
		l.tail.next = p
	} else {
		l.head = p
	}
	l.tail = p
	p.held.Store(true)
	return victim, nil
}

// release gives back p's place, unless eviction took it already.
func (l *hsLimiter) release(p *hsPlace) {
	if !p.held.CompareAndSwap(true, false) {
		return
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	l.drop(p)
}

// drop unlinks p and uncounts it. l.mu held.
func (l *hsLimiter) drop(p *hsPlace) {
	if p.prev != nil {
		p.prev.next = p.next
	} else {
		l.head = p.next
	}
	if p.next != nil {
		p.next.prev = p.prev
	} else {
		l.tail = p.prev
	}
	p.prev, p.next = nil, nil
	l.total--
	if p.key != "" {
		if n := l.byAddr[p.key] - 1; n > 0 {
			l.byAddr[p.key] = n
		} else {
			delete(l.byAddr, p.key)
		}
	}
}

// InHandshake returns the sessions of s in their handshake now (HELLO
// received, no WELCOME or end yet), every realm together.
func (s *Server) InHandshake() int {
	s.hs.mu.Lock()
	defer s.hs.mu.Unlock()
	return s.hs.total
}

// handshakeDone releases c's place among the handshakes in flight, once,
// whichever of WELCOME, the handshake's end, the connection's close or
// eviction comes first.
func (c *conn) handshakeDone() { c.srv.hs.release(&c.hs) }

// admitHandshake takes c's place among the handshakes in flight, or
// returns the ABORT that refuses its HELLO (counted in Metrics). A
// handshake evicted to make room has its connection closed (counted as
// refused too). Reader goroutine.
func (c *conn) admitHandshake() *wamp.Abort {
	s := c.srv
	c.hs.owner = c
	victim, abort := s.hs.acquire(&c.hs, s.MaxHandshakes, s.MaxHandshakesPerAddress, transport.SourceIP(c.peer.Info().PeerAddr))
	if abort != nil {
		s.Metrics.handshakeRefused()
		s.Log.Info("HELLO refused: too many handshakes in flight", "peer", c.peer.Info().PeerAddr)
		return abort
	}
	if victim != nil && victim.owner != nil {
		s.Metrics.handshakeRefused()
		s.Log.Info("handshake evicted: too many handshakes in flight, this one the oldest",
			"peer", victim.owner.peer.Info().PeerAddr)
		victim.owner.peer.Close()
	}
	return nil
}
