package eventloop_test

import (
	"log/slog"
	"testing"
	"time"

	"github.com/switchboard-wamp/switchboard/adapters/eventloop"
	"github.com/switchboard-wamp/switchboard/scheduler/schedtest"
)

// testLogger sends slog output to t.Log, so that the suite's deliberate
// panics and stalls are reported only with -v or on failure.
func testLogger(t testing.TB) *slog.Logger {
	return slog.New(slog.NewTextHandler(tWriter{t}, nil))
}

type tWriter struct{ t testing.TB }

func (w tWriter) Write(p []byte) (int, error) {
	w.t.Log(string(p))
	return len(p), nil
}

func TestConformance(t *testing.T) {
	tests := []struct {
		name string
		cfg  eventloop.Config
	}{
		{"default", eventloop.Config{}},
		{"no_stall_detector", eventloop.Config{StallThreshold: -1}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			schedtest.Conformance(t, func(t *testing.T) schedtest.Harness {
				cfg := tc.cfg
				cfg.Logger = testLogger(t)
				return schedtest.Harness{Backend: eventloop.New(cfg)}
			})
		})
	}
}

func TestConformanceManual(t *testing.T) {
	schedtest.Conformance(t, func(t *testing.T) schedtest.Harness {
		l := eventloop.NewManual(eventloop.Config{Logger: testLogger(t)}, time.Unix(1_700_000_000, 0))
		return schedtest.Harness{Backend: l, Virtual: true, Settle: l.RunUntilIdle, Advance: l.Advance}
	})
}
