package client

import (
	"fmt"
	"math"
	"math/rand/v2"
	"time"
)

// RetryPolicy is the reconnect schedule of one transport of a Component:
// autobahn-python's max_retries, initial_retry_delay, max_retry_delay,
// retry_delay_growth and retry_delay_jitter. Start from DefaultRetry() and
// change what you need: every field is taken literally.
type RetryPolicy struct {
	// MaxRetries is the number of attempts after the first one: a
	// transport is tried at most MaxRetries+1 times in a row without a
	// successful join. -1 = unlimited.
	MaxRetries int
	// InitialDelay is the delay the growth starts from: the first retry
	// waits about InitialDelay*Growth (the first attempt never waits).
	InitialDelay time.Duration
	// MaxDelay caps every delay.
	MaxDelay time.Duration
	// Growth multiplies the delay before each retry (≥ 1).
	Growth float64
	// Jitter is the relative standard deviation of the normal variate
	// each delay is drawn from (0 = no jitter).
	Jitter float64
}

// DefaultRetry returns autobahn-python's real defaults (those of its
// _Transport, not of its stale docstring): unlimited retries, 1.5 s
// initial delay, ×1.5 growth, 10 % jitter, 300 s cap.
func DefaultRetry() RetryPolicy {
	return RetryPolicy{MaxRetries: -1, InitialDelay: 1500 * time.Millisecond, MaxDelay: 300 * time.Second, Growth: 1.5, Jitter: 0.1}
}

// Validate reports a policy that cannot make a schedule.
func (p RetryPolicy) Validate() error {
	switch {
	case p.MaxRetries < -1:
		return fmt.Errorf("%w: RetryPolicy.MaxRetries %d (want -1 for unlimited, or ≥ 0)", ErrConfig, p.MaxRetries)
	case p.InitialDelay < 0 || p.MaxDelay < 0:
		return fmt.Errorf("%w: negative RetryPolicy delay", ErrConfig)
	case math.IsNaN(p.Growth) || p.Growth < 1 || math.IsInf(p.Growth, 0):
		return fmt.Errorf("%w: RetryPolicy.Growth %v (want a finite factor ≥ 1)", ErrConfig, p.Growth)
	case math.IsNaN(p.Jitter) || p.Jitter < 0 || math.IsInf(p.Jitter, 0):
		return fmt.Errorf("%w: RetryPolicy.Jitter %v (want a finite value ≥ 0)", ErrConfig, p.Jitter)
	}
	return nil
}

// RetrySchedule is the state of one transport's reconnect schedule, as
// autobahn-python computes it (_Transport.next_delay, can_reconnect):
//
//   - the first attempt is immediate;
//   - before each later one, delay = delay × Growth, then delay is drawn
//     from a normal distribution of mean delay and standard deviation
//     delay × Jitter (so the jitter compounds, as in autobahn), then capped
//     at MaxDelay (and, unlike autobahn, floored at 0);
//   - at most MaxRetries+1 attempts are made (-1: no limit);
//   - a fatal error (Fail) ends the schedule.
//
// It is pure: no clock, no goroutine; randomness comes from the *rand.Rand
// given to Next. Not safe for concurrent use.
type RetrySchedule struct {
	policy   RetryPolicy
	attempts int
	delay    float64 // seconds, as autobahn keeps it
	failed   bool
}

// NewRetrySchedule returns the schedule of p with no attempt made yet.
func NewRetrySchedule(p RetryPolicy) *RetrySchedule {
	s := &RetrySchedule{policy: p}
	s.Reset()
	return s
}

// Reset forgets past attempts: the next attempt is immediate again and the
// delay restarts from InitialDelay. A Component resets a transport's
// schedule after a session joined over it, so MaxRetries bounds
// consecutive failures (autobahn-python never resets: its max_retries
// bounds a component's whole life and its delay only grows).
func (s *RetrySchedule) Reset() {
	s.attempts = 0
	s.delay = s.policy.InitialDelay.Seconds()
}

// Fail marks the transport as never to be tried again (a fatal error).
func (s *RetrySchedule) Fail() { s.failed = true }

// Attempts returns the attempts counted since the last Reset.
func (s *RetrySchedule) Attempts() int { return s.attempts }

// CanAttempt reports whether another attempt is allowed.
func (s *RetrySchedule) CanAttempt() bool {
	if s.failed {
		return false
	}
	return s.policy.MaxRetries == -1 || s.attempts < s.policy.MaxRetries+1
}

// Next counts one more attempt and returns how long to wait before making
// it, drawing the jitter from rnd. It returns false when CanAttempt does.
func (s *RetrySchedule) Next(rnd *rand.Rand) (time.Duration, bool) {
	if !s.CanAttempt() {
		return 0, false
	}
	s.attempts++
	if s.attempts == 1 {
		return 0, true
	}
	d := s.delay * s.policy.Growth
	if s.policy.Jitter > 0 {
		d += rnd.NormFloat64() * d * s.policy.Jitter
	}
	s.delay = min(max(d, 0), s.policy.MaxDelay.Seconds())
	return time.Duration(s.delay * float64(time.Second)), true
}
