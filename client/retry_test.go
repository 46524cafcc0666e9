package client

import (
	"errors"
	"math"
	"math/rand/v2"
	"testing"
	"time"
)

// The schedule is pure: these tests run it on virtual time (the sum of the
// delays it returns), never by sleeping.

func seeded(seed uint64) *rand.Rand { return rand.New(rand.NewPCG(seed, seed)) }

// attemptTimes runs the schedule until it stops (or n attempts) and
// returns the virtual time of each attempt.
func attemptTimes(s *RetrySchedule, rnd *rand.Rand, n int) []time.Duration {
	var now time.Duration
	var at []time.Duration
	for range n {
		d, ok := s.Next(rnd)
		if !ok {
			break
		}
		now += d
		at = append(at, now)
	}
	return at
}

func TestRetryScheduleWithoutJitter(t *testing.T) {
	p := RetryPolicy{MaxRetries: 5, InitialDelay: time.Second, MaxDelay: 4 * time.Second, Growth: 2}
	got := attemptTimes(NewRetrySchedule(p), seeded(1), 100)
	// immediate, then 2s, 4s, then capped at 4s: 6 attempts (5 retries).
	want := []time.Duration{0, 2 * time.Second, 6 * time.Second, 10 * time.Second, 14 * time.Second, 18 * time.Second}
	if len(got) != len(want) {
		t.Fatalf("attempts at %v, want %v", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("attempts at %v, want %v", got, want)
		}
	}
}

func TestRetryScheduleDefaultsAreAutobahns(t *testing.T) {
	p := DefaultRetry()
	p.Jitter = 0
	s := NewRetrySchedule(p)
	var delays []time.Duration
	for range 30 {
		d, ok := s.Next(nil)
		if !ok {
			t.Fatal("unlimited schedule stopped")
		}
		delays = append(delays, d)
	}
	if delays[0] != 0 || delays[1] != 2250*time.Millisecond || delays[2] != 3375*time.Millisecond {
		t.Fatalf("first delays %v, want 0, 2.25s, 3.375s", delays[:3])
	}
	if delays[29] != 300*time.Second {
		t.Fatalf("delay 30 = %v, want the 300s cap", delays[29])
	}
}

// Each delay is the previous one × growth, drawn from a normal variate of
// relative deviation jitter (compounding, as in autobahn), then capped.
func TestRetryScheduleJitterIsNormalVariate(t *testing.T) {
	p := RetryPolicy{MaxRetries: -1, InitialDelay: time.Second, MaxDelay: time.Hour, Growth: 1.5, Jitter: 0.1}
	s, twin := NewRetrySchedule(p), seeded(7)
	rnd := seeded(7)
	if d, _ := s.Next(rnd); d != 0 {
		t.Fatalf("first delay %v, want 0", d)
	}
	prev := 1.0
	for i := range 10 {
		d, _ := s.Next(rnd)
		mean := prev * 1.5
		want := mean + twin.NormFloat64()*mean*0.1
		if math.Abs(d.Seconds()-want) > 1e-6 {
			t.Fatalf("delay %d = %v, want %.6fs", i+2, d, want)
		}
		prev = want
	}
}

// Over many draws the jitter stays within bounds: every delay within 5σ of
// its mean, and the sample deviation close to the configured one.
func TestRetryScheduleJitterBounds(t *testing.T) {
	p := RetryPolicy{MaxRetries: -1, InitialDelay: time.Second, MaxDelay: time.Hour, Growth: 1, Jitter: 0.1}
	rnd := seeded(42)
	var sum, sumSq float64
	const n = 20000
	for range n {
		s := NewRetrySchedule(p)
		s.Next(rnd)
		d, _ := s.Next(rnd)
		r := d.Seconds() // mean 1s, σ 0.1s
		if r < 0.5 || r > 1.5 {
			t.Fatalf("delay %v outside 5σ of 1s", d)
		}
		sum += r
		sumSq += r * r
	}
	mean := sum / n
	sd := math.Sqrt(sumSq/n - mean*mean)
	if math.Abs(mean-1) > 0.01 || math.Abs(sd-0.1) > 0.01 {
		t.Fatalf("mean %.4f sd %.4f, want 1 and 0.1", mean, sd)
	}
}

// A huge jitter never gives a negative delay nor one above the cap.
func TestRetryScheduleClamped(t *testing.T) {
	p := RetryPolicy{MaxRetries: -1, InitialDelay: time.Second, MaxDelay: 3 * time.Second, Growth: 2, Jitter: 5}
	s, rnd := NewRetrySchedule(p), seeded(3)
	for range 1000 {
		d, _ := s.Next(rnd)
		if d < 0 || d > 3*time.Second {
			t.Fatalf("delay %v outside [0, 3s]", d)
		}
	}
}

func TestRetryScheduleMaxRetriesAndReset(t *testing.T) {
	for _, max := range []int{0, 1, 3} {
		p := RetryPolicy{MaxRetries: max, InitialDelay: time.Millisecond, MaxDelay: time.Second, Growth: 1.5}
		s := NewRetrySchedule(p)
		if got := len(attemptTimes(s, nil, 100)); got != max+1 {
			t.Fatalf("MaxRetries %d: %d attempts, want %d", max, got, max+1)
		}
		if s.CanAttempt() {
			t.Fatalf("MaxRetries %d: CanAttempt after the last attempt", max)
		}
		s.Reset()
		if d, ok := s.Next(nil); !ok || d != 0 {
			t.Fatalf("after Reset: %v %v, want an immediate attempt", d, ok)
		}
	}
}

func TestRetryScheduleUnlimited(t *testing.T) {
	s := NewRetrySchedule(RetryPolicy{MaxRetries: -1, InitialDelay: time.Millisecond, MaxDelay: time.Second, Growth: 3})
	at := attemptTimes(s, nil, 10000)
	if len(at) != 10000 {
		t.Fatalf("%d attempts, want 10000", len(at))
	}
	if d := at[9999] - at[9998]; d != time.Second {
		t.Fatalf("late delay %v, want the cap", d)
	}
}

func TestRetryScheduleFail(t *testing.T) {
	s := NewRetrySchedule(DefaultRetry())
	s.Next(nil)
	s.Fail()
	if _, ok := s.Next(nil); ok || s.CanAttempt() {
		t.Fatal("a failed schedule allows another attempt")
	}
	s.Reset()
	if s.CanAttempt() {
		t.Fatal("Reset revived a failed schedule")
	}
}

func TestRetryPolicyValidate(t *testing.T) {
	bad := []RetryPolicy{
		{MaxRetries: -2, Growth: 1},
		{InitialDelay: -1, Growth: 1},
		{Growth: 0.5},
		{Growth: math.NaN()},
		{Growth: 1, Jitter: -0.1},
		{Growth: 1, Jitter: math.Inf(1)},
	}
	for _, p := range bad {
		if err := p.Validate(); !errors.Is(err, ErrConfig) {
			t.Errorf("%+v: %v, want ErrConfig", p, err)
		}
	}
	if err := DefaultRetry().Validate(); err != nil {
		t.Fatal(err)
	}
}
