package engine

import (
	"strconv"
	"sync"

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
// Server. A zero limit is no limit. Safe for concurrent use: the reader
// of a connection acquires, its realm's executor (or its Closed) releases.
type hsLimiter struct {
	mu     sync.Mutex
	total  int
	byAddr map[string]int // source IP -> handshakes; entries at 0 are deleted
}

// acquire takes a place for a handshake from source (transport.SourceIP;
// "" is counted in the total only) under the limits maxTotal and perAddr,
// returning the key it counted the place under ("" = the total only), or
// the ABORT that refuses it.
func (l *hsLimiter) acquire(maxTotal, perAddr int, source string) (string, *wamp.Abort) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if maxTotal > 0 && l.total >= maxTotal {
		return "", abortMsg(ReasonTooManyHandshakes, "too many sessions in their handshake (at most "+
			strconv.Itoa(maxTotal)+"); try again later")
	}
	if perAddr <= 0 {
		source = ""
	}
	if source != "" && l.byAddr[source] >= perAddr {
		return "", abortMsg(ReasonTooManyHandshakes, "too many sessions in their handshake from this address (at most "+
			strconv.Itoa(perAddr)+"); try again later")
	}
	l.total++
	if source != "" {
		if l.byAddr == nil {
			l.byAddr = map[string]int{}
		}
		l.byAddr[source]++
	}
	return source, nil
}

// release gives back the place acquire counted under key.
func (l *hsLimiter) release(key string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.total--
	if key != "" {
		if n := l.byAddr[key] - 1; n > 0 {
			l.byAddr[key] = n
		} else {
			delete(l.byAddr, key)
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
// whichever of WELCOME, the handshake's end or the connection's close
// comes first.
func (c *conn) handshakeDone() {
	if c.hsHeld.CompareAndSwap(true, false) {
		c.srv.hs.release(c.hsKey)
	}
}

// admitHandshake takes c's place among the handshakes in flight, or
// returns the ABORT that refuses its HELLO (counted in Metrics).
// Reader goroutine.
func (c *conn) admitHandshake() *wamp.Abort {
	s := c.srv
	key, abort := s.hs.acquire(s.MaxHandshakes, s.MaxHandshakesPerAddress, transport.SourceIP(c.peer.Info().PeerAddr))
	if abort != nil {
		s.Metrics.handshakeRefused()
		s.Log.Info("HELLO refused: too many handshakes in flight", "peer", c.peer.Info().PeerAddr)
		return abort
	}
	c.hsKey = key
	c.hsHeld.Store(true)
	return nil
}
