package eventloop_test

import (
	"context"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/switchboard-wamp/switchboard/adapters/eventloop"
	"github.com/switchboard-wamp/switchboard/adapters/internal/testkit"
	"github.com/switchboard-wamp/switchboard/scheduler"
)

// TestStallDetector: a task holding the loop past the threshold is
// reported once (not once per watchdog tick), at Warn, with its kind and
// executor, and counted.
func TestStallDetector(t *testing.T) {
	const threshold = 50 * time.Millisecond
	const hold = 10 * threshold
	tests := []struct {
		kind, executor string
		schedule       func(l *eventloop.Loop, ex scheduler.Executor, f func())
	}{
		{"executor", "realm-slow", func(_ *eventloop.Loop, ex scheduler.Executor, f func()) { ex.Post(f) }},
		{"spawn", "", func(l *eventloop.Loop, _ scheduler.Executor, f func()) {
			l.Spawn(context.Background(), func(context.Context) { f() })
		}},
		{"timer", "", func(l *eventloop.Loop, _ scheduler.Executor, f func()) { l.AfterFunc(0, f) }},
	}
	for _, tt := range tests {
		t.Run(tt.kind, func(t *testing.T) {
			logs := &testkit.Captured{}
			l := newLoop(t, eventloop.Config{Logger: slog.New(logs), StallThreshold: threshold})
			ex := l.NewExecutor("realm-slow")
			done := make(chan struct{})
			tt.schedule(l, ex, func() { time.Sleep(hold); close(done) })
			testkit.Wait(t, done, "slow task")
			after := make(chan struct{})
			ex.Post(func() { close(after) })
			testkit.Wait(t, after, "next task")
			if n := l.Stalls(); n != 1 {
				t.Fatalf("Stalls() = %d after one slow task, want 1", n)
			}
			var warns []map[string]string
			for _, r := range logs.Attrs() {
				if r["level"] == "WARN" {
					warns = append(warns, r)
				}
			}
			if len(warns) != 1 {
				t.Fatalf("%d stall warnings, want 1: %v", len(warns), warns)
			}
			w := warns[0]
			held, err := time.ParseDuration(w["held"])
			if w["kind"] != tt.kind || w["executor"] != tt.executor || err != nil || held < threshold ||
				!strings.Contains(w["msg"], "Offload") {
				t.Fatalf("stall logged as %v", w)
			}
			if l.LongestStall() < held {
				t.Fatalf("LongestStall() = %v, below the %v logged", l.LongestStall(), held)
			}
		})
	}
}

// TestStallDetectorDisabled: a negative threshold turns the detector off.
func TestStallDetectorDisabled(t *testing.T) {
	l := newLoop(t, eventloop.Config{StallThreshold: -1})
	done := make(chan struct{})
	l.NewExecutor("slow").Post(func() { time.Sleep(50 * time.Millisecond); close(done) })
	testkit.Wait(t, done, "slow task")
	if n := l.Stalls(); n != 0 {
		t.Fatalf("Stalls() = %d with the detector disabled", n)
	}
}
