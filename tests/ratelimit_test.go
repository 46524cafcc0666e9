package tests

import (
	"fmt"
	"testing"

	"github.com/switchboard-wamp/switchboard/core"
	"github.com/switchboard-wamp/switchboard/core/wamp"
	"github.com/switchboard-wamp/switchboard/tests/testrouter"
)

// A session sending faster than Config.RateLimit is slowed down, not
// refused: every one of its requests is answered, its reader was paused
// (Metrics.RateLimited), and it stays joined. Outcomes only, no timing.
func TestRateLimitPausesReader(t *testing.T) {
	forEachBackend(t, func(t *testing.T, b backend) {
		m := &core.Metrics{}
		r := testrouter.Serve(t, b.New(), core.Config{RateLimit: 200, RateBurst: 5, Metrics: m,
			Realms: []core.RealmConfig{{URI: "realm1"}}})
		p := dialWire(t, r.URL, "wamp.2.json")
		p.join("realm1")
		const n = 30
		for i := 1; i <= n; i++ {
			p.send(fmt.Sprintf(`[48,%d,{},"wamp.session.count"]`, i))
		}
		answered := map[int64]bool{}
		for range n {
			l := p.want(int(wamp.RESULT))
			answered[num(l[1])] = true
		}
		if len(answered) != n {
			t.Fatalf("%d distinct calls answered, want %d", len(answered), n)
		}
		if m.RateLimited.Load() == 0 {
			t.Fatal("30 messages at once with a burst of 5: the reader was never paused")
		}
		p.send(`[48,99,{},"wamp.session.count"]`)
		p.want(int(wamp.RESULT), 99)
	})
}

// Off by default: the same burst pauses nothing.
func TestRateLimitOffByDefault(t *testing.T) {
	b := backends()[0]
	m := &core.Metrics{}
	r := testrouter.Serve(t, b.New(), core.Config{Metrics: m, Realms: []core.RealmConfig{{URI: "realm1"}}})
	p := dialWire(t, r.URL, "wamp.2.json")
	p.join("realm1")
	for i := 1; i <= 30; i++ {
		p.send(fmt.Sprintf(`[48,%d,{},"wamp.session.count"]`, i))
	}
	for range 30 {
		p.want(int(wamp.RESULT))
	}
	if n := m.RateLimited.Load(); n != 0 {
		t.Fatalf("RateLimited = %d without a rate limit", n)
	}
}
