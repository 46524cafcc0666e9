package router

import (
	"slices"
	"testing"

	"github.com/switchboard-wamp/switchboard/core/wamp"
)

// FuzzMetaCall feeds arbitrary arguments and keyword arguments to every
// meta procedure of a realm with sessions, registrations, subscriptions,
// retained events and a history: whatever a client sends, the router
// answers the CALL with exactly one RESULT or ERROR (besides the GOODBYEs
// and events a kill or testament causes) and never panics.
func FuzzMetaCall(f *testing.F) {
	procs := make([]wamp.URI, 0, len(metaProcs))
	for p := range metaProcs {
		procs = append(procs, p)
	}
	slices.Sort(procs)
	f.Add(uint8(0), `[]`, `{}`)
	f.Add(uint8(3), `[1001]`, `{"reason":"x.y","message":"m"}`)
	f.Add(uint8(7), `["com.t",[1],{"a":1}]`, `{"scope":"detached","publish_options":{"eligible_authid":["a"]}}`)
	f.Add(uint8(20), `[1001]`, `{"limit":2,"reverse":true,"from_time":"2026-01-01T00:00:00Z","after_publication":1003}`)
	f.Add(uint8(12), `["com",{"match":"prefix"}]`, `{}`)
	f.Fuzz(func(t *testing.T, which uint8, argsJSON, kwargsJSON string) {
		args, err1 := parseJSON(argsJSON)
		kwargs, err2 := parseJSON(kwargsJSON)
		al, okA := args.(wamp.List)
		kd, okK := kwargs.(wamp.Dict)
		if err1 != nil || err2 != nil || !okA || !okK {
			return
		}
		r := NewRealm(RealmConfig{URI: "realm1", SessionKill: true, RetainedTopics: 4,
			History: []HistoryConfig{{Topic: "com", Match: "prefix"}}}, newSeqIDs())
		var fx Effects
		hello := &wamp.Hello{Realm: "realm1", Details: wamp.Dict{"roles": wamp.Dict{"caller": wamp.Dict{}, "callee": wamp.Dict{},
			"publisher": wamp.Dict{}, "subscriber": wamp.Dict{}}}}
		for sid := SessionID(1); sid <= 3; sid++ {
			r.Join(epoch, sid, hello, SessionInfo{AuthID: "a", AuthRole: "r"}, &fx)
		}
		r.Handle(epoch, 2, &wamp.Register{Request: 1, Options: wamp.Dict{}, Procedure: "com.p"}, &fx)
		r.Handle(epoch, 2, &wamp.Subscribe{Request: 2, Options: wamp.Dict{}, Topic: "com.t"}, &fx)
		r.Handle(epoch, 3, &wamp.Subscribe{Request: 3, Options: wamp.Dict{"match": "wildcard"}, Topic: "com."}, &fx)
		r.Handle(epoch, 3, &wamp.Publish{Request: 4, Options: wamp.Dict{"retain": true}, Topic: "com.t", Args: wamp.List{1}}, &fx)
		fx.Reset()
		call := &wamp.Call{Request: 9, Options: wamp.Dict{}, Procedure: procs[int(which)%len(procs)], Args: al, Kwargs: kd}
		r.Handle(epoch, 1, call, &fx)
		answers := 0
		for _, o := range fx.Out {
			switch m := o.Msg.(type) {
			case *wamp.Result:
				answers += boolInt(o.To == 1 && m.Request == 9)
			case *wamp.Error:
				answers += boolInt(o.To == 1 && m.Request == 9)
			}
		}
		if answers != 1 {
			t.Fatalf("%s %v %v: %d answers in %v", call.Procedure, al, kd, answers, fx.Out)
		}
		r.Detach(epoch, 1, &fx) // testaments, on_leave
	})
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}
