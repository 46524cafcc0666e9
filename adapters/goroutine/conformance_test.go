package goroutine_test

import (
	"testing"

	"github.com/switchboard-wamp/switchboard/adapters/goroutine"
	"github.com/switchboard-wamp/switchboard/adapters/internal/testkit"
	"github.com/switchboard-wamp/switchboard/scheduler/schedtest"
)

func TestConformance(t *testing.T) {
	for _, tc := range []struct {
		name   string
		retain int
	}{{"retain=default", 0}, {"retain=none", -1}} {
		t.Run(tc.name, func(t *testing.T) {
			schedtest.Conformance(t, func(t *testing.T) schedtest.Harness {
				b := goroutine.New(goroutine.Config{Logger: testkit.Logger(t), ExecutorQueueRetain: tc.retain})
				return schedtest.Harness{Backend: b}
			})
		})
	}
}
