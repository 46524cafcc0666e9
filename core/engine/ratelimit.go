package engine

import (
	"time"
)

// Per-session message rate limits (Server.RateLimit, RateBurst): a token
// bucket per connection, kept by its reader goroutine and refilled from
// the backend's clock when a message arrives, so it costs no goroutine and
// no timer while the session stays under its rate. A message beyond the
// rate is still routed (it has been read), but the connection's reader is
// paused until the bucket is back to zero: a timer (Backend.AfterFunc)
// resumes it. The peer is pushed back on (TCP fills up) rather than
// refused or closed: no request is lost, it works for every message kind
// (an unacknowledged PUBLISH or a YIELD cannot be answered with ERROR),
// and the spec has no URI for "slow down".

// rateBucket is one connection's token bucket. Reader goroutine only.
type rateBucket struct {
	tokens float64
	last   time.Time
}

// take spends one token at now from a bucket refilled at rate tokens per
// second up to burst (full at the first message), and returns how long the
// reader must wait for the balance to come back to zero (0: no wait).
func (b *rateBucket) take(now time.Time, rate float64, burst int) time.Duration {
	if b.last.IsZero() {
		b.tokens, b.last = float64(burst), now
	}
	if dt := now.Sub(b.last); dt > 0 {
		b.tokens = min(float64(burst), b.tokens+dt.Seconds()*rate)
		b.last = now
	}
	b.tokens--
	if b.tokens >= 0 {
		return 0
	}
	return time.Duration(-b.tokens / rate * float64(time.Second))
}

// rateBurst is the bucket's size: RateBurst, or one second's worth of
// messages (at least 1) when it is 0.
func (s *Server) rateBurst() int {
	if s.RateBurst > 0 {
		return s.RateBurst
	}
	return max(1, int(s.RateLimit))
}

// limitRate charges one message to c's bucket and, when c is over its
// rate, pauses its reader until the bucket has refilled. Reader goroutine.
func (c *conn) limitRate() {
	s := c.srv
	if s.RateLimit <= 0 || c.fc == nil {
		return
	}
	wait := c.rate.take(s.Backend.Now(), s.RateLimit, s.rateBurst())
	if wait <= 0 {
		return
	}
	s.Metrics.rateLimited()
	c.fc.Pause()
	s.Backend.AfterFunc(wait, c.fc.Resume)
}
