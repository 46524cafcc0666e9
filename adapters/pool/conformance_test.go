package pool_test

import (
	"testing"

	"github.com/switchboard-wamp/switchboard/adapters/internal/testkit"
	"github.com/switchboard-wamp/switchboard/adapters/pool"
	"github.com/switchboard-wamp/switchboard/scheduler/schedtest"
)

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
				cfg.Logger = testkit.Logger(t)
				return schedtest.Harness{Backend: pool.New(cfg)}
			})
		})
	}
}
