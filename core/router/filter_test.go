package router

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/switchboard-wamp/switchboard/core/wamp"
)

// delivery is one EVENT: to whom, for which subscription.
type delivery struct {
	to  SessionID
	sub wamp.ID
}

func deliveries(fx *Effects) []delivery {
	var ds []delivery
	for _, o := range fx.Out {
		if ev, ok := o.Msg.(*wamp.Event); ok {
			ds = append(ds, delivery{o.To, ev.Subscription})
		}
	}
	slices.SortFunc(ds, func(a, b delivery) int {
		if a.to != b.to {
			return int(a.to) - int(b.to)
		}
		return int(a.sub) - int(b.sub)
	})
	return ds
}

// TestPublishFilterStrategies: scanning the lists, a set of a list's
// entries and a set of the subscribers marked from the list all give the
// spec's answer (in every eligible list present, in no exclude list
// present), for every list option, every list representation and
// subscribers of several matching subscriptions.
func TestPublishFilterStrategies(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	authids := []string{"a", "b", "c", "d", "e"}
	roles := []string{"x", "y", "z"}
	strategies := []struct {
		name             string
		scanMax, recipMx int
	}{{"scan", math.MaxInt, math.MaxInt}, {"set", 0, 0}, {"default", listScanMax, scanMaxRecipients}}
	for _, subs := range []int{3, 40} {
		r := NewRealm(RealmConfig{URI: "realm1"}, newSeqIDs())
		fx := &Effects{}
		hello := &wamp.Hello{Realm: "realm1", Details: wamp.Dict{"roles": wamp.Dict{"subscriber": wamp.Dict{}, "publisher": wamp.Dict{}}}}
		info := map[SessionID]SessionInfo{}
		topics := map[SessionID][]wamp.ID{} // subscriptions per session
		for sid := SessionID(1); sid <= SessionID(subs); sid++ {
			info[sid] = SessionInfo{AuthID: authids[rng.IntN(len(authids))], AuthRole: roles[rng.IntN(len(roles))]}
			r.Join(epoch, sid, hello, info[sid], fx)
			r.Handle(epoch, sid, &wamp.Subscribe{Request: 1, Options: wamp.Dict{}, Topic: "t.u"}, fx)
			if sid%3 == 0 { // a second matching subscription
				r.Handle(epoch, sid, &wamp.Subscribe{Request: 2, Options: wamp.Dict{"match": "prefix"}, Topic: "t"}, fx)
			}
			for _, o := range fx.Out {
				if s, ok := o.Msg.(*wamp.Subscribed); ok {
					topics[sid] = append(topics[sid], s.Subscription)
				}
			}
			fx.Reset()
		}
		randIDs := func(asList bool) any {
			n := rng.IntN(2*subs + 1)
			ids := make([]wamp.ID, n)
			for i := range ids {
				ids[i] = wamp.ID(1 + rng.IntN(subs+5)) // some name no session
			}
			if !asList {
				return ids
			}
			l := make(wamp.List, n)
			for i, id := range ids {
				switch rng.IntN(3) { // the number types decoders produce
				case 0:
					l[i] = int64(id)
				case 1:
					l[i] = uint64(id)
				default:
					l[i] = float64(id)
				}
			}
			return l
		}
		randStrings := func(pool []string, asList bool) any {
			n := rng.IntN(2*subs + 1)
			ss := make([]string, n)
			for i := range ss {
				if ss[i] = "nobody"; rng.IntN(4) > 0 {
					ss[i] = pool[rng.IntN(len(pool))]
				}
			}
			if !asList {
				return ss
			}
			l := make(wamp.List, n)
			for i, s := range ss {
				l[i] = s
			}
			return l
		}
		for round := range 300 {
			opts := wamp.Dict{}
			if rng.IntN(2) == 0 {
				opts["exclude_me"] = false
			}
			for _, key := range []string{"exclude", "eligible"} {
				if rng.IntN(2) == 0 {
					opts[key] = randIDs(rng.IntN(2) == 0)
				}
			}
			for _, key := range []string{"exclude_authid", "eligible_authid"} {
				if rng.IntN(2) == 0 {
					opts[key] = randStrings(authids, rng.IntN(2) == 0)
				}
			}
			for _, key := range []string{"exclude_authrole", "eligible_authrole"} {
				if rng.IntN(2) == 0 {
					opts[key] = randStrings(roles, rng.IntN(2) == 0)
				}
			}
			pubSID := SessionID(1 + rng.IntN(subs))
			var want []delivery
			for sid := SessionID(1); sid <= SessionID(subs); sid++ {
				if allowedBySpec(sid, info[sid], pubSID, opts) {
					for _, sub := range topics[sid] {
						want = append(want, delivery{sid, sub})
					}
				}
			}
			slices.SortFunc(want, func(a, b delivery) int {
				if a.to != b.to {
					return int(a.to) - int(b.to)
				}
				return int(a.sub) - int(b.sub)
			})
			for _, st := range strategies {
				withScanMax(st.scanMax, st.recipMx, func() {
					r.Handle(epoch, pubSID, &wamp.Publish{Request: 1, Options: opts, Topic: "t.u"}, fx)
				})
				if got := deliveries(fx); !slices.Equal(got, want) {
					t.Fatalf("subs=%d round %d, %s: options %v\ngot  %v\nwant %v", subs, round, st.name, opts, got, want)
				}
				fx.Reset()
			}
		}
	}
}

// allowedBySpec is the spec's rule, written independently of the filter.
func allowedBySpec(sid SessionID, info SessionInfo, pub SessionID, opts wamp.Dict) bool {
	if sid == pub && opts["exclude_me"] != false {
		return false
	}
	in := func(key string, v any) (present, found bool) {
		list, ok := opts[key]
		if !ok {
			return false, false
		}
		switch l := list.(type) {
		case []wamp.ID:
			return true, slices.Contains(l, v.(wamp.ID))
		case []string:
			return true, slices.Contains(l, v.(string))
		case wamp.List:
			for _, e := range l {
				if fmt.Sprint(e) == fmt.Sprint(v) {
					return true, true
				}
			}
		}
		return true, false
	}
	for _, c := range []struct {
		key      string
		v        any
		eligible bool
	}{
		{"eligible", sid, true}, {"eligible_authid", info.AuthID, true}, {"eligible_authrole", info.AuthRole, true},
		{"exclude", sid, false}, {"exclude_authid", info.AuthID, false}, {"exclude_authrole", info.AuthRole, false},
	} {
		present, found := in(c.key, c.v)
		if present && found != c.eligible {
			return false
		}
	}
	return true
}

// The security probe's PUBLISH: an eligible list of 800,000 session IDs to a
// topic with 300 subscribers. With the default limit it is refused at once:
// ERROR invalid_argument when acknowledged, nothing otherwise, and no
// routing work (no publication ID drawn, no set built: the step allocates
// as much as for a list one entry over the limit). With the limit raised,
// the filter still delivers to exactly the listed subscribers.
func TestPublishLongListRefused(t *testing.T) {
	const subs, long = 300, 800_000
	r, fx := newFanoutRealm(t, RealmConfig{}, subs)
	ids := r.ids.(*seqIDs)
	huge := eligibleList(long, subs)
	justOver := eligibleList(DefaultMaxOptionListLen+1, subs)

	drawn := ids.n
	r.Handle(epoch, 1, &wamp.Publish{Request: 7, Options: wamp.Dict{"acknowledge": true, "eligible": huge}, Topic: "t"}, fx)
	want := `[8,16,7,{},"wamp.error.invalid_argument",["option \"eligible\" has 800000 entries; this realm allows at most 1024"]]`
	if len(fx.Out) != 1 || fx.Out[0].To != 1 || render(fx.Out[0].Msg, nil) != want || len(fx.Close) != 0 {
		t.Fatalf("acknowledged PUBLISH over the limit: got %v, want only %s to the publisher", fx.Out, want)
	}
	fx.Reset()
	r.Handle(epoch, 1, &wamp.Publish{Request: 8, Options: wamp.Dict{"eligible": huge}, Topic: "t"}, fx)
	if len(fx.Out) != 0 || len(fx.Close) != 0 {
		t.Fatalf("unacknowledged PUBLISH over the limit: got %v, want nothing", fx.Out)
	}
	if ids.n != drawn {
		t.Fatalf("a refused PUBLISH drew %d publication IDs", ids.n-drawn)
	}
	allocs := func(list wamp.List) float64 {
		pub := &wamp.Publish{Request: 9, Options: wamp.Dict{"acknowledge": true, "eligible": list}, Topic: "t"}
		return testing.AllocsPerRun(2, func() { r.Handle(epoch, 1, pub, fx); fx.Reset() })
	}
	if a, b := allocs(huge), allocs(justOver); a != b {
		t.Errorf("refusing an 800,000-entry list allocated %v times, a %d-entry one %v: the work depends on the list", a, len(justOver), b)
	}

	// At the limit, a list is routed.
	atLimit := eligibleList(DefaultMaxOptionListLen, subs)
	r.Handle(epoch, 1, &wamp.Publish{Request: 10, Options: wamp.Dict{"eligible": atLimit}, Topic: "t"}, fx)
	if n := len(deliveries(fx)); n != subs/2 {
		t.Fatalf("list at the limit: %d events, want %d", n, subs/2)
	}
	fx.Reset()

	// Raised limit: the long list is filtered correctly.
	r, fx = newFanoutRealm(t, RealmConfig{MaxOptionListLen: 1_000_000}, subs)
	r.Handle(epoch, 1, &wamp.Publish{Request: 1, Options: wamp.Dict{"acknowledge": true, "eligible": huge}, Topic: "t"}, fx)
	got := deliveries(fx)
	if len(got) != subs/2 {
		t.Fatalf("raised limit: %d events, want %d", len(got), subs/2)
	}
	for i, d := range got {
		if d.to != SessionID(2+2*i) {
			t.Fatalf("raised limit: event %d went to session %d, want %d", i, d.to, 2+2*i)
		}
	}
	if _, ok := fx.Out[len(fx.Out)-1].Msg.(*wamp.Published); !ok {
		t.Fatalf("raised limit: last message %v, want PUBLISHED", fx.Out[len(fx.Out)-1].Msg)
	}
	// Every list option is limited, and the message names the option.
	r, fx = newFanoutRealm(t, RealmConfig{MaxOptionListLen: 2}, 3)
	for _, key := range []string{"exclude", "eligible", "exclude_authid", "eligible_authid", "exclude_authrole", "eligible_authrole"} {
		list := wamp.List{int64(1), int64(2), int64(3)}
		if strings.Contains(key, "auth") {
			list = wamp.List{"a", "b", "c"}
		}
		r.Handle(epoch, 1, &wamp.Publish{Request: 1, Options: wamp.Dict{"acknowledge": true, key: list}, Topic: "t"}, fx)
		want := `[8,16,1,{},"wamp.error.invalid_argument",["option \"` + key + `\" has 3 entries; this realm allows at most 2"]]`
		if len(fx.Out) != 1 || render(fx.Out[0].Msg, nil) != want {
			t.Errorf("%s over the limit: got %v, want %s", key, fx.Out, want)
		}
		fx.Reset()
	}
}
