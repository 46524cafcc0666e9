package engine

import (
	"sync/atomic"
	"time"

	"github.com/switchboard-wamp/switchboard/core/wamp"
)

// Metrics is what the engine counts for an operator's metrics, beyond what
// the transports count (transport.Stats) and what can be read from state
// at scrape time (sessions). A nil *Metrics counts nothing and costs
// nothing; the counters are atomics, touched once per handshake, and the
// call latency costs a map entry per CALL of a remote session while the
// call is pending, on the realm's executor.
type Metrics struct {
	// HandshakeTimeouts counts connections closed because their handshake
	// did not end in time: no HELLO, or no WELCOME within the handshake
	// timeout (authentication and session hooks included).
	HandshakeTimeouts atomic.Int64
	// HandshakesRefused counts HELLOs refused because too many sessions
	// were in their handshake (Server.MaxHandshakes,
	// MaxHandshakesPerAddress).
	HandshakesRefused atomic.Int64
	// RateLimited counts the times a connection's reader was paused
	// because it sent faster than Server.RateLimit.
	RateLimited atomic.Int64
	// authFailures counts refused authentications by method (AuthMethods).
	authFailures [len(AuthMethods)]atomic.Int64
	// CallLatency, when set, is called once per realm (when the realm is
	// created) and returns the function that observes the realm's call
	// latencies: from a remote session's CALL reaching the realm to its
	// final RESULT leaving it. Calls answered by ERROR are not observed.
	CallLatency func(realm wamp.URI) func(time.Duration)
}

// AuthMethods are the labels authentication failures are counted under:
// the WAMP authentication methods by their authmethod names (WAMP-SCRAM's
// is "wamp-scram", as package auth and autobahn send it), and "other" for
// any name a client made up (a label must not take values from the
// network unbounded).
var AuthMethods = [...]string{"anonymous", "ticket", "wampcra", "cryptosign", "wamp-scram", "cookie", "tls", "other"}

// authMethodIndex returns the index of method in AuthMethods.
func authMethodIndex(method string) int {
	for i, m := range AuthMethods[:len(AuthMethods)-1] {
		if m == method {
			return i
		}
	}
	return len(AuthMethods) - 1
}

// AuthFailures returns the failed authentications by method, indexed as
// AuthMethods. Safe for concurrent use.
func (m *Metrics) AuthFailures() [len(AuthMethods)]int64 {
	var out [len(AuthMethods)]int64
	for i := range m.authFailures {
		out[i] = m.authFailures[i].Load()
	}
	return out
}

func (m *Metrics) authFailed(method string) {
	if m != nil {
		m.authFailures[authMethodIndex(method)].Add(1)
	}
}

func (m *Metrics) rateLimited() {
	if m != nil {
		m.RateLimited.Add(1)
	}
}

func (m *Metrics) handshakeRefused() {
	if m != nil {
		m.HandshakesRefused.Add(1)
	}
}

func (m *Metrics) handshakeTimedOut() {
	if m != nil {
		m.HandshakeTimeouts.Add(1)
	}
}

// callKey names a caller's request.
type callKey struct {
	sid, req wamp.ID
}

// callClock times a realm's pending remote calls for Metrics.CallLatency.
// Executor-owned.
type callClock struct {
	observe func(time.Duration)
	start   map[callKey]time.Time
}

func newCallClock(m *Metrics, realm wamp.URI) *callClock {
	if m == nil || m.CallLatency == nil {
		return nil
	}
	return &callClock{observe: m.CallLatency(realm), start: make(map[callKey]time.Time)}
}

// called notes a remote session's CALL. Executor-only.
func (c *callClock) called(now time.Time, sid wamp.ID, m wamp.Message) {
	if c == nil {
		return
	}
	if call, ok := m.(*wamp.Call); ok {
		c.start[callKey{sid, call.Request}] = now
	}
}

// answered observes the final RESULT of a timed call, and forgets a call
// answered by ERROR. Executor-only.
func (c *callClock) answered(now time.Time, to wamp.ID, m wamp.Message) {
	if c == nil || len(c.start) == 0 {
		return
	}
	var key callKey
	switch m := m.(type) {
	case *wamp.Result:
		if p, _ := m.Details[wamp.OptProgress].(bool); p {
			return
		}
		key = callKey{to, m.Request}
	case *wamp.Error:
		if m.RequestType != wamp.CALL {
			return
		}
		key = callKey{to, m.Request}
	default:
		return
	}
	t, ok := c.start[key]
	if !ok {
		return
	}
	delete(c.start, key)
	if _, isResult := m.(*wamp.Result); isResult {
		c.observe(now.Sub(t))
	}
}

// left forgets the calls of a session that is gone. Executor-only.
func (c *callClock) left(sid wamp.ID) {
	if c == nil || len(c.start) == 0 {
		return
	}
	for k := range c.start {
		if k.sid == sid {
			delete(c.start, k)
		}
	}
}
