package pool_test

import (
	"log/slog"
	"testing"

	"github.com/switchboard-wamp/switchboard/adapters/pool"
	"github.com/switchboard-wamp/switchboard/scheduler/schedtest"
)

// testLogger sends slog output to t.Log, so that the suite's deliberate
// panics are reported only with -v or on failure.
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
		cfg  pool.Config
	}{
		{"default", pool.Config{}},
		{"one_worker_each", pool.Config{Workers: 1, ExecutorWorkers: 1}},
		{"many_workers", pool.Config{Workers: 8, ExecutorWorkers: 8}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			schedtest.Conformance(t, func(t *testing.T) schedtest.Harness {
				cfg := tc.cfg
				cfg.Logger = testLogger(t)
				return schedtest.Harness{Backend: pool.New(cfg)}
			})
		})
	}
}
