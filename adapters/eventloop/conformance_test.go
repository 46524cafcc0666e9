package eventloop_test

import (
	"testing"
	"time"

	"github.com/switchboard-wamp/switchboard/adapters/eventloop"
	"github.com/switchboard-wamp/switchboard/adapters/internal/testkit"
	"github.com/switchboard-wamp/switchboard/scheduler/schedtest"
)

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
				cfg.Logger = testkit.Logger(t)
				return schedtest.Harness{Backend: eventloop.New(cfg)}
			})
		})
	}
}

func TestConformanceManual(t *testing.T) {
	schedtest.Conformance(t, func(t *testing.T) schedtest.Harness {
		l := eventloop.NewManual(eventloop.Config{Logger: testkit.Logger(t)}, time.Unix(1_700_000_000, 0))
		return schedtest.Harness{Backend: l, Virtual: true, Settle: l.RunUntilIdle, Advance: l.Advance}
	})
}
