package router

import (
	"fmt"
	"math"
	"testing"

	"github.com/switchboard-wamp/switchboard/core/wamp"
)

// newFanoutRealm returns a realm whose session 1 is a publisher and
// sessions 2..subs+1 subscribe to topic "t", with cfg's settings.
func newFanoutRealm(tb testing.TB, cfg RealmConfig, subs int) (*Realm, *Effects) {
	tb.Helper()
	cfg.URI = "realm1"
	r := NewRealm(cfg, newSeqIDs())
	fx := &Effects{}
	hello := &wamp.Hello{Realm: "realm1", Details: wamp.Dict{"roles": wamp.Dict{"subscriber": wamp.Dict{}, "publisher": wamp.Dict{}}}}
	for sid := SessionID(1); sid <= SessionID(subs)+1; sid++ {
		r.Join(epoch, sid, hello, SessionInfo{AuthID: fmt.Sprint("user", sid), AuthRole: "user"}, fx)
		if sid > 1 {
			r.Handle(epoch, sid, &wamp.Subscribe{Request: 1, Options: wamp.Dict{}, Topic: "t"}, fx)
		}
	}
	fx.Reset()
	return r, fx
}

// eligibleList returns a List of n session IDs as a decoder builds it
// (int64 elements): IDs of no session, then, last (the worst case for a
// scan), the even subscribers 2, 4, ... of a realm with subs subscribers,
// as many as fit in half the list.
func eligibleList(n, subs int) wamp.List {
	in := min(n/2, subs/2)
	l := make(wamp.List, 0, n)
	for i := 0; len(l) < n-in; i++ {
		l = append(l, int64(1_000_000+i))
	}
	for sid := 2; len(l) < n; sid += 2 {
		l = append(l, int64(sid))
	}
	return l
}

// withScanMax runs f with listScanMax and scanMaxRecipients set to n and
// recipients.
func withScanMax(n, recipients int, f func()) {
	oldN, oldR := listScanMax, scanMaxRecipients
	listScanMax, scanMaxRecipients = n, recipients
	defer func() { listScanMax, scanMaxRecipients = oldN, oldR }()
	f()
}

// BenchmarkPublishLargeEligible is the security probe's case: one PUBLISH
// with an eligible list of 800,000 session IDs to a topic with 300
// subscribers (the realm's list limit raised to let it through). "scan"
// is the former strategy (every subscriber scans the whole list: 300 ×
// 800,000 compares); "set" builds the list's set once (800,000 inserts and
// 300 lookups). "set-8x" has 8 times the list for the same subscribers:
// its time grows with the list, linearly.
func BenchmarkPublishLargeEligible(b *testing.B) {
	const subs = 300
	for _, bc := range []struct {
		name    string
		n       int
		scanMax int
	}{
		{"scan", 800_000, math.MaxInt},
		{"set", 800_000, 0},
		{"set-8x", 6_400_000, 0},
	} {
		b.Run(bc.name, func(b *testing.B) {
			r, fx := newFanoutRealm(b, RealmConfig{MaxOptionListLen: bc.n}, subs)
			pub := &wamp.Publish{Request: 1, Options: wamp.Dict{"eligible": eligibleList(bc.n, subs)}, Topic: "t"}
			withScanMax(bc.scanMax, bc.scanMax, func() {
				for b.Loop() {
					r.Handle(epoch, 1, pub, fx)
					if len(fx.Out) != subs/2 {
						b.Fatalf("%d events, want %d", len(fx.Out), subs/2)
					}
					fx.Reset()
				}
			})
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(bc.n), "ns/entry")
		})
	}
}

// BenchmarkFilterCrossover compares scanning with building a set, per
// publication: by list length at a large fan-out (where "set" overtakes
// "scan" sets listScanMax) and by fan-out for a long list (which sets
// scanMaxRecipients). Half the subscribers are in the list, at its end.
func BenchmarkFilterCrossover(b *testing.B) {
	type point struct{ subs, n int }
	var points []point
	for _, n := range []int{1, 2, 4, 8, 16, 64} {
		points = append(points, point{300, n})
	}
	for _, subs := range []int{1, 2, 4, 8, 16, 64} {
		points = append(points, point{subs, 1024})
	}
	for _, p := range points {
		for _, strategy := range []struct {
			name  string
			force int // listScanMax and scanMaxRecipients
		}{{"scan", math.MaxInt}, {"set", 0}} {
			b.Run(fmt.Sprintf("subs=%d/len=%d/%s", p.subs, p.n, strategy.name), func(b *testing.B) {
				r, fx := newFanoutRealm(b, RealmConfig{}, p.subs)
				pub := &wamp.Publish{Request: 1, Options: wamp.Dict{"eligible": eligibleList(p.n, p.subs)}, Topic: "t"}
				withScanMax(strategy.force, strategy.force, func() {
					b.ReportAllocs()
					for b.Loop() {
						r.Handle(epoch, 1, pub, fx)
						fx.Reset()
					}
				})
			})
		}
	}
}
