package router

import (
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/switchboard-wamp/switchboard/core/wamp"
)

func TestValidURI(t *testing.T) {
	tests := []struct {
		uri               string
		strict, empty, ok bool
	}{
		{"com.example.proc", false, false, true},
		{"com.Example.proc-1", false, false, true},
		{"com.exämple", false, false, true},
		{"a", false, false, true},
		{"", false, false, false},
		{"", false, true, false},
		{"com..proc", false, false, false},
		{"com..proc", false, true, true},
		{".com", false, false, false},
		{".com", false, true, true},
		{"com.", false, true, true},
		{"com.a b", false, false, false},
		{"com.a#b", false, false, false},
		{"com.example_1.proc", true, false, true},
		{"com.Example", true, false, false},
		{"com.ex-ample", true, false, false},
		{"com.exämple", true, false, false},
		{"com..proc", true, true, true},
		{"com..Proc", true, true, false},
	}
	for _, tt := range tests {
		if got := validURI(wamp.URI(tt.uri), tt.strict, tt.empty); got != tt.ok {
			t.Errorf("validURI(%q, strict=%v, empty=%v) = %v, want %v", tt.uri, tt.strict, tt.empty, got, tt.ok)
		}
	}
}

func TestWildMatchAndRank(t *testing.T) {
	tests := []struct {
		pattern, uri string
		ok           bool
	}{
		{"com..proc", "com.x.proc", true},
		{"com..proc", "com.x.y.proc", false},
		{"com..proc", "com.x.proc2", false},
		{"com..", "com.a.b", true},
		{"com..", "com.a", false},
		{"..", "a.b.c", true},
		{"a.b", "a.b", true},
		{"a.b", "a.bc", false},
	}
	for _, tt := range tests {
		if got := wildMatch(strings.Split(tt.pattern, "."), tt.uri); got != tt.ok {
			t.Errorf("wildMatch(%q, %q) = %v, want %v", tt.pattern, tt.uri, got, tt.ok)
		}
	}
	if got, want := wildRank(strings.Split("a1.b2..d4.e5..g7", ".")), []int{2, 2, 1}; !slices.Equal(got, want) {
		t.Errorf("wildRank = %v, want %v", got, want)
	}
}

func TestURIIndexRemoveLeavesNothing(t *testing.T) {
	ix := newURIIndex[int]()
	ix.add("a.b", matchExact, 1)
	ix.add("a", matchPrefix, 2)
	ix.add("b", matchPrefix, 3) // same length as "a"
	ix.add("a..c", matchWildcard, 4)
	ix.add("..c", matchWildcard, 5)
	if got := ix.appendAll(nil, "a.b.c"); !slices.Equal(got, []int{2, 4, 5}) {
		t.Errorf("appendAll(a.b.c) = %v", got)
	}
	if v, p, ok := ix.best("a.x.c", true); !ok || v != 2 || p != matchPrefix {
		t.Errorf("best(a.x.c) = %v %v %v, want the prefix", v, p, ok)
	}
	if v, p, ok := ix.best("z.x.c", true); !ok || v != 5 || p != matchWildcard {
		t.Errorf("best(z.x.c) = %v %v %v, want ..c", v, p, ok)
	}
	if _, _, ok := ix.best("a.x.c", false); ok {
		t.Errorf("best without patterns found a pattern")
	}
	ix.remove("a.b", matchExact)
	ix.remove("a", matchPrefix)
	if len(ix.prefixLens) != 1 || ix.prefixLens[0] != (lenCount{n: 1, count: 1}) {
		t.Errorf("prefixLens = %v, want [{1 1}]", ix.prefixLens)
	}
	ix.remove("b", matchPrefix)
	ix.remove("b", matchPrefix) // absent: no-op
	ix.remove("a..c", matchWildcard)
	ix.remove("..c", matchWildcard)
	ix.remove("..c", matchWildcard)
	if len(ix.exact)+len(ix.prefix)+len(ix.prefixLens)+len(ix.wild)+len(ix.wildByComps) != 0 {
		t.Errorf("index not empty after removing everything: %+v", ix)
	}
}

func TestDeadlineHeapOrder(t *testing.T) {
	var h deadlineHeap
	at := func(ms int) time.Time { return epoch.Add(time.Duration(ms) * time.Millisecond) }
	for i, ms := range []int{50, 10, 30, 10, 40, 20, 10} {
		h.push(deadline{at: at(ms), seq: uint64(i)})
	}
	var got []string
	for h.len() > 0 {
		d := h.pop()
		got = append(got, strconv.Itoa(int(d.at.Sub(epoch)/time.Millisecond))+"/"+strconv.Itoa(int(d.seq)))
	}
	want := []string{"10/1", "10/3", "10/6", "20/5", "30/2", "40/4", "50/0"}
	if !slices.Equal(got, want) {
		t.Errorf("pop order = %v, want %v (time, then push order)", got, want)
	}
}

// TestDeadlineCompaction: calls that finish before their timeout leave
// stale heap entries; they are compacted away instead of piling up.
func TestDeadlineCompaction(t *testing.T) {
	r, fx, callee, caller := newCallPair(t, false)
	for i := 1; i <= 1000; i++ {
		r.Handle(epoch, caller, &wamp.Call{Request: wamp.ID(i), Options: wamp.Dict{"timeout": int64(60000)}, Procedure: "p"}, fx)
		inv := fx.Out[0].Msg.(*wamp.Invocation)
		r.Handle(epoch, callee, &wamp.Yield{Request: inv.Request, Options: emptyDetails}, fx)
		fx.Reset()
	}
	if n := r.deadlines.len(); n > 64 {
		t.Errorf("deadline heap holds %d entries for 0 live calls", n)
	}
	if _, ok := r.NextDeadline(); ok {
		t.Errorf("NextDeadline reports a deadline with no live call")
	}
}

// newCallPair returns a realm with a callee registered for "p" and a caller.
func newCallPair(t testing.TB, canceling bool) (*Realm, *Effects, SessionID, SessionID) {
	t.Helper()
	r := NewRealm(RealmConfig{URI: "realm1"}, newSeqIDs())
	fx := &Effects{}
	calleeRole := wamp.Dict{}
	if canceling {
		calleeRole["features"] = wamp.Dict{"call_canceling": true}
	}
	r.Join(epoch, 1, &wamp.Hello{Realm: "realm1", Details: wamp.Dict{"roles": wamp.Dict{"callee": calleeRole}}}, SessionInfo{}, fx)
	r.Join(epoch, 2, &wamp.Hello{Realm: "realm1", Details: wamp.Dict{"roles": wamp.Dict{"caller": wamp.Dict{}}}}, SessionInfo{}, fx)
	r.Handle(epoch, 1, &wamp.Register{Request: 1, Options: wamp.Dict{}, Procedure: "p"}, fx)
	if _, ok := fx.Out[len(fx.Out)-1].Msg.(*wamp.Registered); !ok {
		t.Fatalf("REGISTER failed: %#v", fx.Out[len(fx.Out)-1].Msg)
	}
	fx.Reset()
	return r, fx, 1, 2
}

// TestFanoutSharesEvent: every subscriber of one subscription receives the
// same *wamp.Event (encode once, deliver many).
func TestFanoutSharesEvent(t *testing.T) {
	r := NewRealm(RealmConfig{}, newSeqIDs())
	fx := &Effects{}
	hello := &wamp.Hello{Realm: "r", Details: wamp.Dict{"roles": wamp.Dict{"subscriber": wamp.Dict{}, "publisher": wamp.Dict{}}}}
	for sid := SessionID(1); sid <= 5; sid++ {
		r.Join(epoch, sid, hello, SessionInfo{}, fx)
		r.Handle(epoch, sid, &wamp.Subscribe{Request: 1, Options: wamp.Dict{}, Topic: "t"}, fx)
	}
	r.Handle(epoch, 1, &wamp.Subscribe{Request: 2, Options: wamp.Dict{"match": "prefix"}, Topic: "t"}, fx)
	r.Handle(epoch, 2, &wamp.Subscribe{Request: 2, Options: wamp.Dict{"match": "prefix"}, Topic: "t"}, fx)
	fx.Reset()
	r.Handle(epoch, 1, &wamp.Publish{Request: 1, Options: wamp.Dict{}, Topic: "t", Args: wamp.List{1}}, fx)
	if len(fx.Out) != 4+1 {
		t.Fatalf("got %d outbound messages, want 5 (4 exact + 1 prefix)", len(fx.Out))
	}
	first := fx.Out[0].Msg.(*wamp.Event)
	for _, o := range fx.Out[1:4] {
		if o.Msg.(*wamp.Event) != first {
			t.Errorf("subscribers of one subscription got different Event values")
		}
	}
	if last := fx.Out[4].Msg.(*wamp.Event); last == first || last.Details["topic"] != "t" {
		t.Errorf("the prefix subscription must get its own Event with details.topic")
	}
}

func TestNewRealmDefaultsAndSeed(t *testing.T) {
	r := NewRealm(RealmConfig{URI: "x"}, newSeqIDs())
	if r.cfg.GoodbyeTimeout != defaultGoodbyeTimeout || r.rng.state != 1001 {
		t.Errorf("defaults: goodbye %v, seed %v; want %v and the first ID", r.cfg.GoodbyeTimeout, r.rng.state, defaultGoodbyeTimeout)
	}
	a, b := prng{state: 7}, prng{state: 7}
	for range 10 {
		if a.intn(5) != b.intn(5) {
			t.Fatal("prng is not deterministic")
		}
	}
	if r.URI() != "x" || r.SessionCount() != 0 || r.Has(1) {
		t.Errorf("accessors of an empty realm are wrong")
	}
}

func TestDriverBugsPanic(t *testing.T) {
	mustPanic := func(name string, f func()) {
		t.Helper()
		defer func() {
			if recover() == nil {
				t.Errorf("%s did not panic", name)
			}
		}()
		f()
	}
	mustPanic("NewRealm(nil IDSource)", func() { NewRealm(RealmConfig{}, nil) })
	r, fx, callee, _ := newCallPair(t, false)
	mustPanic("Join of a present session", func() {
		r.Join(epoch, callee, &wamp.Hello{Details: wamp.Dict{"roles": wamp.Dict{"caller": wamp.Dict{}}}}, SessionInfo{}, fx)
	})
}

// TestTransitionTable: every client-sendable type has an action in the
// established state, router-to-client types are violations, and only
// GOODBYE and ABORT do something while shutting down.
func TestTransitionTable(t *testing.T) {
	clientTypes := []wamp.Type{wamp.GOODBYE, wamp.ABORT, wamp.ERROR, wamp.PUBLISH, wamp.SUBSCRIBE,
		wamp.UNSUBSCRIBE, wamp.CALL, wamp.CANCEL, wamp.REGISTER, wamp.UNREGISTER, wamp.YIELD}
	for typ := wamp.Type(0); typ <= 1024; typ++ {
		est, shut := actionFor(stEstablished, typ), actionFor(stShuttingDown, typ)
		isClient := slices.Contains(clientTypes, typ)
		if isClient == (est == actViolation) {
			t.Errorf("established/%v: action %v", typ, est)
		}
		if (typ == wamp.GOODBYE || typ == wamp.ABORT) == (shut == actIgnore) {
			t.Errorf("shutting-down/%v: action %v", typ, shut)
		}
	}
}

func TestTranscriptMatcher(t *testing.T) {
	tr := newTranscript(t, "x")
	if !tr.match(`-> a [33,1,$sub]`, `-> a [33,1,1001]`) || tr.vars["sub"] != 1001 {
		t.Fatalf("binding failed: %v", tr.vars)
	}
	for _, tc := range []struct{ want, got string }{
		{`-> a [33,1,$sub]`, `-> a [33,1,1002]`},       // bound var must keep its value
		{`-> a [33,1,$x,$x]`, `-> a [33,1,5,6]`},       // one var, two values
		{`-> a [33,1,1001]`, `-> a [33,1,1001,2]`},     // whole line must match
		{`-> a [36,{"k":"v"}]`, `-> a [36,{"k":"w"}]`}, // literal text
	} {
		if tr.match(tc.want, tc.got) {
			t.Errorf("match(%q, %q) succeeded", tc.want, tc.got)
		}
	}
	if _, bound := tr.vars["x"]; bound {
		t.Errorf("a failed match bound a variable")
	}
}

// TestUnvalidatedPolicies: Handle validates options first, but the broker
// and dealer still refuse an unknown policy if handed one directly.
func TestUnvalidatedPolicies(t *testing.T) {
	r, fx, callee, _ := newCallPair(t, false)
	s := r.sessions[callee]
	r.subscribe(epoch, s, &wamp.Subscribe{Request: 5, Options: wamp.Dict{"match": "regex"}, Topic: "t"}, fx)
	r.register(epoch, s, &wamp.Register{Request: 6, Options: wamp.Dict{"invoke": "fastest"}, Procedure: "q"}, fx)
	if len(fx.Out) != 2 {
		t.Fatalf("got %d messages, want 2 errors", len(fx.Out))
	}
	for i, req := range []wamp.ID{5, 6} {
		e, ok := fx.Out[i].Msg.(*wamp.Error)
		if !ok || e.Request != req || e.Error != wamp.ErrInvalidArgument {
			t.Errorf("reply %d = %#v, want ERROR invalid_argument for request %d", i, fx.Out[i].Msg, req)
		}
	}
}

func TestAcknowledgedPublicationIsDeclared(t *testing.T) {
	r := NewRealm(RealmConfig{}, newSeqIDs())
	fx := &Effects{}
	hello := &wamp.Hello{Realm: "r", Details: wamp.Dict{"roles": wamp.Dict{"subscriber": wamp.Dict{}, "publisher": wamp.Dict{}}}}
	for sid := SessionID(1); sid <= 3; sid++ {
		r.Join(epoch, sid, hello, SessionInfo{}, fx)
		r.Handle(epoch, sid, &wamp.Subscribe{Request: 1, Options: wamp.Dict{}, Topic: "t"}, fx)
	}
	fx.Reset()
	// Two publications in one buffer, as a driver may collect them: only
	// the acknowledged one's EVENTs and its PUBLISHED are marked.
	r.Handle(epoch, 1, &wamp.Publish{Request: 1, Options: wamp.Dict{}, Topic: "t"}, fx)
	r.Handle(epoch, 1, &wamp.Publish{Request: 2, Options: wamp.Dict{"acknowledge": true}, Topic: "t"}, fx)
	want := []struct {
		typ   wamp.Type
		acked bool
	}{{wamp.EVENT, false}, {wamp.EVENT, false}, {wamp.EVENT, true}, {wamp.EVENT, true}, {wamp.PUBLISHED, true}}
	if len(fx.Out) != len(want) {
		t.Fatalf("got %d outbound messages, want %d", len(fx.Out), len(want))
	}
	for i, w := range want {
		if o := fx.Out[i]; o.Msg.Type() != w.typ || o.Acked != w.acked {
			t.Errorf("Out[%d] = %v acked=%v, want %v acked=%v", i, o.Msg.Type(), o.Acked, w.typ, w.acked)
		}
	}
}
