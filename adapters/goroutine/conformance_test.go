package goroutine_test

import (
	"log/slog"
	"testing"

	"github.com/switchboard-wamp/switchboard/adapters/goroutine"
	"github.com/switchboard-wamp/switchboard/scheduler/schedtest"
)

// testLogger sends slog output to t.Log, so that the suite's deliberate
// panics are reported only with -v or on failure.
func testLogger(t *testing.T) *slog.Logger {
	return slog.New(slog.NewTextHandler(tWriter{t}, nil))
}

type tWriter struct{ t *testing.T }

func (w tWriter) Write(p []byte) (int, error) {
	w.t.Log(string(p))
	return len(p), nil
}

func TestConformance(t *testing.T) {
	for _, tc := range []struct {
		name   string
		retain int
	}{{"retain=default", 0}, {"retain=none", -1}} {
		t.Run(tc.name, func(t *testing.T) {
			schedtest.Conformance(t, func(t *testing.T) schedtest.Harness {
				b := goroutine.New(goroutine.Config{Logger: testLogger(t), ExecutorQueueRetain: tc.retain})
				return schedtest.Harness{Backend: b}
			})
		})
	}
}
