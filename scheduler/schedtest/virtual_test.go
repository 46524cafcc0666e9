package schedtest_test

import (
	"flag"
	"fmt"
	"log/slog"
	"testing"
	"time"

	"github.com/switchboard-wamp/switchboard/scheduler/schedtest"
)

var seedFlag = flag.Int64("seed", 0, "run the Virtual conformance suite with this seed only (0: the fixed seed list)")

// epoch is an arbitrary fixed start for virtual clocks.
var epoch = time.Date(2024, 1, 2, 3, 4, 5, 0, time.UTC)

// testLogger sends slog output to t.Log, so that expected panic reports
// appear only with -v or on failure.
func testLogger(t *testing.T) *slog.Logger {
	return slog.New(slog.NewTextHandler(tWriter{t}, nil))
}

type tWriter struct{ t *testing.T }

func (w tWriter) Write(p []byte) (int, error) {
	w.t.Helper()
	w.t.Log(string(p))
	return len(p), nil
}

func newVirtual(t *testing.T, seed int64) *schedtest.Virtual {
	v := schedtest.NewVirtual(seed, epoch)
	v.SetLogger(testLogger(t))
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("virtual scheduler seed %d (replay with -seed=%d)", v.Seed(), v.Seed())
		}
	})
	return v
}

func TestVirtualConformance(t *testing.T) {
	seeds := []int64{1, 2, 3}
	if *seedFlag != 0 {
		seeds = []int64{*seedFlag}
	}
	for _, seed := range seeds {
		t.Run(fmt.Sprintf("seed=%d", seed), func(t *testing.T) {
			schedtest.Conformance(t, func(t *testing.T) schedtest.Harness {
				return newVirtual(t, seed).Harness()
			})
		})
	}
}
