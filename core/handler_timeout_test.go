package core

import (
	"math"
	"testing"
	"time"

	"github.com/switchboard-wamp/switchboard/core/wamp"
)

// Invocation.Timeout never overflows: a timeout too large for a Duration
// reads as none, as the router treats it.
func TestInvocationTimeoutBounds(t *testing.T) {
	for _, tt := range []struct {
		v    any
		want time.Duration
	}{
		{nil, 0},
		{int64(1500), 1500 * time.Millisecond},
		{int64(wamp.MaxTimeoutMs), time.Duration(wamp.MaxTimeoutMs) * time.Millisecond},
		{int64(wamp.MaxTimeoutMs + 1), 0},
		{int64(math.MaxInt64), 0},
		{uint64(math.MaxUint64), 0},
		{int64(-5), 0},
	} {
		inv := &Invocation{Details: wamp.Dict{}}
		if tt.v != nil {
			inv.Details[wamp.OptTimeout] = tt.v
		}
		if got := inv.Timeout(); got != tt.want {
			t.Errorf("Timeout() with details.timeout %v = %v, want %v", tt.v, got, tt.want)
		}
	}
}
