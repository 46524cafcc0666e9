package planted

// What a pure package may do: time as a value, contexts without deadlines,
// fmt without standard streams, its allowed imports, deterministic
// randomness from a seed it was given, names like the banned ones elsewhere.

import (
	"context"
	"errors"
	"fmt"
	tm "time"

	"github.com/switchboard-wamp/switchboard/core/wamp"
)

type clock interface{ Now() tm.Time }

type machine struct {
	deadline tm.Time
	seed     uint64
	clock    clock
}

func (m *machine) Expire(now tm.Time, timeout tm.Duration) (bool, tm.Time) {
	next := now.Add(timeout).Truncate(tm.Millisecond)
	return now.After(m.deadline) || now.Sub(m.deadline) > tm.Duration(0), next
}

func (m *machine) roll() uint64 { m.seed = m.seed*6364136223846793005 + 1; return m.seed }

func (m *machine) fromClock() tm.Time { return m.clock.Now() }

func describe(ctx context.Context, id wamp.ID) (context.Context, error) {
	ctx, cancel := context.WithCancel(ctx)
	cancel()
	return ctx, errors.New(fmt.Sprintf("id %d: %v", id, tm.Unix(0, 0).UTC()))
}

func receiveProgress(opts wamp.Dict) (int, bool) {
	n := 0
	for range opts {
		n++
	}
	return n, n > 0
}
