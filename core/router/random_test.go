package router

import (
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/switchboard-wamp/switchboard/core/wamp"
)

// TestRandomOperations drives a realm with seeded random traffic (joins,
// leaves, kills, subscriptions, registrations under every policy, calls
// with timeouts and cancels, yields, errors, progressive results, junk) and
// checks invariants after every step:
//   - messages only go to sessions that were in the realm before the step;
//   - every pending call links two present sessions, and the per-session
//     pending counters match the call table;
//   - every CALL gets at most one final answer (RESULT without progress,
//     or ERROR), and until then stays pending, unless its caller leaves;
//
// and, once every session is gone, that no subscription, registration,
// call or live deadline is left behind.
func TestRandomOperations(t *testing.T) {
	stats := map[wamp.Type]int{}
	for seed := uint64(1); seed <= 20; seed++ {
		t.Run(fmt.Sprint(seed), func(t *testing.T) { randomRun(t, seed, 3000, stats) })
	}
	t.Logf("emitted: %v", stats)
	// Guard against a generator that stopped exercising the router.
	for _, typ := range []wamp.Type{wamp.EVENT, wamp.INVOCATION, wamp.RESULT, wamp.INTERRUPT, wamp.ERROR, wamp.GOODBYE, wamp.ABORT} {
		if stats[typ] < 20 {
			t.Errorf("only %d %v messages emitted: %v", stats[typ], typ, stats)
		}
	}
}

type randomDriver struct {
	t       *testing.T
	rng     *rand.Rand
	r       *Realm
	fx      Effects
	now     time.Time
	nextSID SessionID
	present []SessionID
	nextReq map[SessionID]wamp.ID
	// invs holds INVOCATIONs seen per callee, so yields can answer them.
	invs map[SessionID][]wamp.ID
	// calls maps (caller, request) to "final answer seen".
	calls map[callKey]bool
	stats map[wamp.Type]int
}

var (
	randTopics = []wamp.URI{"a", "a.b", "a.b.c", "b.x", "wamp.meta"}
	randOpts   = []wamp.Dict{{}, {"match": "prefix"}, {"match": "wildcard"}, {"invoke": "roundrobin"},
		{"invoke": "random"}, {"invoke": "first"}, {"invoke": "last"}, {"match": "prefix", "invoke": "last"}}
	randFeatures = []wamp.Dict{{}, {"call_canceling": true}, {"progressive_call_results": true},
		{"call_canceling": true, "progressive_call_results": true}}
)

func randomRun(t *testing.T, seed uint64, steps int, stats map[wamp.Type]int) {
	d := &randomDriver{
		t: t, rng: rand.New(rand.NewPCG(seed, 7)), now: epoch, stats: stats,
		r:       NewRealm(RealmConfig{URI: "r", GoodbyeTimeout: time.Second, RandomSeed: seed}, newSeqIDs()),
		nextReq: map[SessionID]wamp.ID{}, invs: map[SessionID][]wamp.ID{}, calls: map[callKey]bool{},
	}
	for range steps {
		d.step()
	}
	for _, sid := range append([]SessionID(nil), d.present...) {
		d.r.Detach(d.now, sid, &d.fx)
		d.fx.Reset()
	}
	d.r.Expire(d.now.Add(time.Hour), &d.fx)
	r := d.r
	if len(r.sessions)+len(r.broker.byID)+len(r.dealer.byID)+len(r.dealer.calls.byInv)+len(r.dealer.calls.byReq) != 0 {
		t.Fatalf("state left behind: %s", (&transcript{realm: r}).state())
	}
	if len(r.broker.index.exact)+len(r.broker.index.prefix)+len(r.broker.index.wild) != 0 ||
		len(r.dealer.index.exact)+len(r.dealer.index.prefix)+len(r.dealer.index.wild) != 0 {
		t.Fatalf("URI index not empty")
	}
	if _, ok := r.NextDeadline(); ok {
		t.Fatalf("a live deadline is left")
	}
}

func (d *randomDriver) pick() (SessionID, bool) {
	if len(d.present) == 0 {
		return 0, false
	}
	return d.present[d.rng.IntN(len(d.present))], true
}

func (d *randomDriver) req(sid SessionID) wamp.ID { d.nextReq[sid]++; return d.nextReq[sid] }

func (d *randomDriver) step() {
	before := map[SessionID]bool{}
	for _, sid := range d.present {
		before[sid] = true
	}
	sid, ok := d.pick()
	op := d.rng.IntN(100)
	switch {
	case !ok || op < 6:
		d.nextSID++
		sid = d.nextSID
		before[sid] = true
		roles := wamp.Dict{"publisher": wamp.Dict{}, "subscriber": wamp.Dict{}, "caller": wamp.Dict{},
			"callee": wamp.Dict{"features": randFeatures[d.rng.IntN(len(randFeatures))]}}
		d.r.Join(d.now, sid, &wamp.Hello{Realm: "r", Details: wamp.Dict{"roles": roles}}, SessionInfo{Internal: d.rng.IntN(5) == 0}, &d.fx)
	case op < 9:
		d.r.Detach(d.now, sid, &d.fx)
	case op < 11:
		d.r.Kill(d.now, sid, wamp.CloseKilled, &d.fx)
	case op < 13:
		d.r.Handle(d.now, sid, &wamp.Goodbye{Details: wamp.Dict{}, Reason: wamp.CloseNormal}, &d.fx)
	case op < 14:
		d.r.Handle(d.now, sid, &wamp.Event{Subscription: 1, Publication: 1, Details: wamp.Dict{}}, &d.fx)
	case op < 22:
		d.r.Handle(d.now, sid, &wamp.Subscribe{Request: d.req(sid), Options: randOpts[d.rng.IntN(3)], Topic: randTopics[d.rng.IntN(len(randTopics))]}, &d.fx)
	case op < 26:
		d.r.Handle(d.now, sid, &wamp.Unsubscribe{Request: d.req(sid), Subscription: 1000 + wamp.ID(d.rng.IntN(60))}, &d.fx)
	case op < 34:
		d.r.Handle(d.now, sid, &wamp.Publish{Request: d.req(sid), Options: wamp.Dict{"acknowledge": true, "exclude_me": d.rng.IntN(2) == 0},
			Topic: randTopics[d.rng.IntN(len(randTopics))]}, &d.fx)
	case op < 44:
		d.r.Handle(d.now, sid, &wamp.Register{Request: d.req(sid), Options: randOpts[d.rng.IntN(len(randOpts))], Procedure: randTopics[d.rng.IntN(len(randTopics))]}, &d.fx)
	case op < 47:
		d.r.Handle(d.now, sid, &wamp.Unregister{Request: d.req(sid), Registration: 1000 + wamp.ID(d.rng.IntN(60))}, &d.fx)
	case op < 65:
		opts := wamp.Dict{"receive_progress": d.rng.IntN(2) == 0}
		if d.rng.IntN(3) == 0 {
			opts["timeout"] = int64(d.rng.IntN(2000))
		}
		req := d.req(sid)
		if s := d.r.sessions[sid]; s != nil && s.state == stEstablished {
			d.calls[callKey{sid, req}] = false
		}
		d.r.Handle(d.now, sid, &wamp.Call{Request: req, Options: opts, Procedure: randTopics[d.rng.IntN(len(randTopics))]}, &d.fx)
	case op < 70:
		modes := []string{"skip", "kill", "killnowait"}
		d.r.Handle(d.now, sid, &wamp.Cancel{Request: wamp.ID(d.rng.IntN(int(d.nextReq[sid]) + 1)), Options: wamp.Dict{"mode": modes[d.rng.IntN(3)]}}, &d.fx)
	case op < 90:
		d.answer(sid)
	default:
		d.now = d.now.Add(time.Duration(d.rng.IntN(1500)) * time.Millisecond)
		d.r.Expire(d.now, &d.fx)
	}
	d.check(before)
}

// answer makes sid answer one of its invocations (maybe an unknown one).
func (d *randomDriver) answer(sid SessionID) {
	invs := d.invs[sid]
	inv := wamp.ID(d.rng.IntN(5) + 1)
	if len(invs) > 0 {
		inv = invs[d.rng.IntN(len(invs))]
	}
	switch d.rng.IntN(3) {
	case 0:
		d.r.Handle(d.now, sid, &wamp.Yield{Request: inv, Options: wamp.Dict{"progress": true}}, &d.fx)
	case 1:
		d.r.Handle(d.now, sid, &wamp.Yield{Request: inv, Options: wamp.Dict{}}, &d.fx)
	default:
		d.r.Handle(d.now, sid, &wamp.Error{RequestType: wamp.INVOCATION, Request: inv, Details: wamp.Dict{}, Error: "x.err"}, &d.fx)
	}
}

func (d *randomDriver) check(before map[SessionID]bool) {
	t := d.t
	for _, o := range d.fx.Out {
		if !before[o.To] {
			t.Fatalf("message %T to session %d, which was not in the realm", o.Msg, o.To)
		}
		d.stats[o.Msg.Type()]++
		var final *callKey
		switch m := o.Msg.(type) {
		case *wamp.Invocation:
			d.invs[o.To] = append(d.invs[o.To], m.Request)
		case *wamp.Result:
			if p, _ := m.Details["progress"].(bool); !p {
				final = &callKey{o.To, m.Request}
			}
		case *wamp.Error:
			if m.RequestType == wamp.CALL {
				final = &callKey{o.To, m.Request}
			}
		}
		if final != nil {
			done, known := d.calls[*final]
			if !known || done {
				t.Fatalf("unexpected or second final answer for call %v: %#v", *final, o.Msg)
			}
			d.calls[*final] = true
		}
	}
	d.present = d.present[:0]
	for sid := range d.r.sessions {
		d.present = append(d.present, sid)
	}
	slicesSort(d.present)
	for _, c := range d.fx.Close {
		if d.r.Has(c.Session) {
			t.Fatalf("CloseOp for session %d still in the realm", c.Session)
		}
	}
	for _, sid := range d.present {
		if d.r.sessions[sid].state == stEstablished {
			continue
		}
		if len(d.r.sessions[sid].subs)+len(d.r.sessions[sid].regs)+d.r.sessions[sid].pending != 0 {
			t.Fatalf("shutting-down session %d still owns things", sid)
		}
	}
	pending := map[*session]int{}
	for k, pc := range d.r.dealer.calls.byInv {
		if d.r.sessions[pc.caller.id] != pc.caller || d.r.sessions[pc.callee.id] != pc.callee {
			t.Fatalf("pending call %v links a session that left", k)
		}
		if d.r.dealer.calls.byReq[callKey{pc.caller.id, pc.callerReq}] != pc {
			t.Fatalf("call tables disagree on %v", k)
		}
		pending[pc.caller]++
		pending[pc.callee]++
	}
	for _, s := range d.r.sessions {
		if s.pending != pending[s] {
			t.Fatalf("session %d pending=%d, call table says %d", s.id, s.pending, pending[s])
		}
	}
	// No call is lost: unless its caller left (or is leaving), it is
	// answered or still pending. Calls of sessions that left are forgotten.
	for k, done := range d.calls {
		s := d.r.sessions[k.sid]
		switch {
		case s == nil || s.state != stEstablished:
			delete(d.calls, k)
		case !done && d.r.dealer.calls.byReq[k] == nil:
			t.Fatalf("call %v is neither answered nor pending", k)
		}
	}
	d.fx.Reset()
}

func slicesSort(s []SessionID) {
	for i := 1; i < len(s); i++ {
		for j := i; j > 0 && s[j] < s[j-1]; j-- {
			s[j], s[j-1] = s[j-1], s[j]
		}
	}
}
