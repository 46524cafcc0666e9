package auth

import (
	"context"
	"errors"
	"testing"
	"time"
)

// fakeSleep records the waits instead of waiting.
type fakeSleep struct{ waits []time.Duration }

func (f *fakeSleep) sleep(_ context.Context, d time.Duration) error {
	f.waits = append(f.waits, d)
	return nil
}

func TestThrottleBackoff(t *testing.T) {
	now := time.Unix(1000, 0)
	clock := func() time.Time { return now }
	th := newThrottle(Throttle{MaxAddresses: 2}.withDefaults())
	fs := &fakeSleep{}
	attempt := func(addr string, fail bool) {
		t.Helper()
		release, err := th.wait(context.Background(), addr, clock, fs.sleep)
		if err != nil {
			t.Fatal(err)
		}
		if fail {
			th.failed(addr, now)
		} else {
			th.succeeded(addr)
		}
		release()
	}
	for range 6 {
		attempt("10.0.0.1", true)
	}
	want := []time.Duration{250 * time.Millisecond, 500 * time.Millisecond, time.Second, 2 * time.Second, 4 * time.Second}
	if len(fs.waits) != len(want) {
		t.Fatalf("waits %v, want %v", fs.waits, want)
	}
	for i := range want {
		if fs.waits[i] != want[i] {
			t.Fatalf("waits %v, want %v", fs.waits, want)
		}
	}
	// Capped at MaxDelay; time already passed since the failure counts.
	fs.waits = nil
	now = now.Add(3 * time.Second)
	attempt("10.0.0.1", false)
	if len(fs.waits) != 1 || fs.waits[0] != time.Second {
		t.Fatalf("waits %v, want [1s]", fs.waits)
	}
	// A success forgot the address.
	fs.waits = nil
	attempt("10.0.0.1", true)
	attempt("10.0.0.1", false)
	if len(fs.waits) != 1 || fs.waits[0] != 250*time.Millisecond {
		t.Fatalf("waits %v after a success, want [250ms]", fs.waits)
	}
	// Another address is not slowed down by this one.
	fs.waits = nil
	attempt("10.0.0.1", true)
	attempt("10.0.0.2", true)
	if len(fs.waits) != 0 {
		t.Fatalf("waits %v for first attempts", fs.waits)
	}
	// Memory is bounded: a third address pushes out the oldest.
	now = now.Add(time.Second)
	attempt("10.0.0.3", true)
	if th.size() != 2 {
		t.Fatalf("%d addresses remembered, want at most 2", th.size())
	}
	// Forgotten after Forget.
	now = now.Add(11 * time.Minute)
	fs.waits = nil
	attempt("10.0.0.3", false)
	if len(fs.waits) != 0 {
		t.Fatalf("waits %v after Forget", fs.waits)
	}
}

// While one attempt from an address waits, another one from it is
// refused at once; the wait ends with its context.
func TestThrottleOneWaiterPerAddress(t *testing.T) {
	th := newThrottle(Throttle{}.withDefaults())
	now := time.Now()
	th.failed("10.0.0.1", now)
	entered := make(chan struct{})
	sleep := func(ctx context.Context, _ time.Duration) error {
		close(entered)
		<-ctx.Done()
		return ctx.Err()
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		_, err := th.wait(ctx, "10.0.0.1", time.Now, sleep)
		done <- err
	}()
	select {
	case <-entered:
	case <-time.After(10 * time.Second):
		t.Fatal("the first attempt never waited")
	}
	if _, err := th.wait(context.Background(), "10.0.0.1", time.Now, sleep); !errors.Is(err, errThrottled) {
		t.Fatalf("second attempt: %v, want errThrottled", err)
	}
	if _, err := th.wait(context.Background(), "10.0.0.2", time.Now, sleep); err != nil {
		t.Fatalf("other address: %v", err)
	}
	cancel()
	select {
	case err := <-done:
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("cancelled wait: %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the wait did not end with its context")
	}
}

func TestAddressKey(t *testing.T) {
	for in, want := range map[string]string{
		"10.1.2.3:5555":              "10.1.2.3",
		"[::ffff:10.1.2.3]:1":        "10.1.2.3",
		"[2001:db8:1:2:3:4:5:6]:443": "2001:db8:1:2::/64",
		"[2001:db8:1:2:ffff::1]:9":   "2001:db8:1:2::/64",
		"/run/switchboard.sock":      "/run/switchboard.sock",
		"":                           "",
	} {
		if got := addressKey(in); got != want {
			t.Errorf("addressKey(%q) = %q, want %q", in, got, want)
		}
	}
}

// With Refuse nothing waits: an attempt owing a wait is refused at once,
// one that comes after the penalty is checked.
func TestThrottleRefuse(t *testing.T) {
	now := time.Unix(1000, 0)
	th := newThrottle(Throttle{Refuse: true}.withDefaults())
	sleep := func(context.Context, time.Duration) error {
		t.Fatal("a Refuse throttle waited")
		return nil
	}
	th.failed("10.0.0.1", now)
	if _, err := th.wait(context.Background(), "10.0.0.1", func() time.Time { return now.Add(100 * time.Millisecond) }, sleep); !errors.Is(err, errThrottled) {
		t.Fatalf("attempt during the penalty: %v, want errThrottled", err)
	}
	release, err := th.wait(context.Background(), "10.0.0.1", func() time.Time { return now.Add(time.Second) }, sleep)
	if err != nil {
		t.Fatalf("attempt after the penalty: %v", err)
	}
	release()
}
