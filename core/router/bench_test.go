package router

import (
	"strconv"
	"testing"

	"github.com/switchboard-wamp/switchboard/core/wamp"
)

// BenchmarkRouteCall measures one CALL → INVOCATION → YIELD → RESULT cycle.
// The two allocations per op are the emitted INVOCATION and RESULT.
func BenchmarkRouteCall(b *testing.B) {
	for _, bc := range []struct {
		name string
		opts wamp.Dict
	}{
		{"plain", wamp.Dict{}},
		{"timeout", wamp.Dict{"timeout": int64(30000)}},
	} {
		b.Run(bc.name, func(b *testing.B) {
			r, fx, callee, caller := newCallPair(b, true)
			call := &wamp.Call{Request: 1, Options: bc.opts, Procedure: "p", Args: wamp.List{1, 2}}
			yield := &wamp.Yield{Options: wamp.Dict{}, Args: wamp.List{3}}
			b.ReportAllocs()
			b.ResetTimer()
			for b.Loop() {
				r.Handle(epoch, caller, call, fx)
				yield.Request = fx.Out[0].Msg.(*wamp.Invocation).Request
				r.Handle(epoch, callee, yield, fx)
				if _, ok := fx.Out[1].Msg.(*wamp.Result); !ok {
					b.Fatalf("no RESULT: %#v", fx.Out[1].Msg)
				}
				fx.Reset()
			}
		})
	}
}

// BenchmarkPublishFanout100 measures one PUBLISH to a topic with 100
// subscribers. The one allocation per op is the shared EVENT.
func BenchmarkPublishFanout100(b *testing.B) {
	r := NewRealm(RealmConfig{URI: "realm1"}, newSeqIDs())
	fx := &Effects{}
	hello := &wamp.Hello{Realm: "realm1", Details: wamp.Dict{"roles": wamp.Dict{"subscriber": wamp.Dict{}, "publisher": wamp.Dict{}}}}
	for sid := SessionID(1); sid <= 101; sid++ {
		r.Join(epoch, sid, hello, SessionInfo{}, fx)
		if sid > 1 {
			r.Handle(epoch, sid, &wamp.Subscribe{Request: 1, Options: wamp.Dict{}, Topic: "com.example.topic"}, fx)
		}
	}
	fx.Reset()
	pub := &wamp.Publish{Request: 1, Options: wamp.Dict{}, Topic: "com.example.topic", Args: wamp.List{"hello"}}
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		r.Handle(epoch, 1, pub, fx)
		if len(fx.Out) != 100 {
			b.Fatalf("%d events, want 100", len(fx.Out))
		}
		fx.Reset()
	}
}

// BenchmarkRouteCallAuthorized is BenchmarkRouteCall's plain case with a
// static authorization table (a role of 30 rules of each kind) deciding
// every CALL.
func BenchmarkRouteCallAuthorized(b *testing.B) {
	var perms []Permission
	for i := range 30 {
		n := strconv.Itoa(i)
		perms = append(perms,
			Permission{URI: wamp.URI("com.exact." + n), Allow: Allow{Call: true}},
			Permission{URI: wamp.URI("com.prefix" + n + "."), Match: "prefix", Allow: Allow{Call: true}},
			Permission{URI: wamp.URI("com..w" + n), Match: "wildcard", Allow: Allow{Call: true}})
	}
	perms = append(perms, Permission{URI: "p", Allow: Allow{Call: true, Register: true}})
	a, err := NewAuthorization([]Role{{Name: "user", Permissions: perms}})
	if err != nil {
		b.Fatal(err)
	}
	r := NewRealm(RealmConfig{URI: "realm1", Authorization: a}, newSeqIDs())
	fx := &Effects{}
	r.Join(epoch, 1, &wamp.Hello{Realm: "realm1", Details: wamp.Dict{"roles": wamp.Dict{"callee": wamp.Dict{}}}}, SessionInfo{AuthRole: "user"}, fx)
	r.Join(epoch, 2, &wamp.Hello{Realm: "realm1", Details: wamp.Dict{"roles": wamp.Dict{"caller": wamp.Dict{}}}}, SessionInfo{AuthRole: "user"}, fx)
	r.Handle(epoch, 1, &wamp.Register{Request: 1, Options: wamp.Dict{}, Procedure: "p"}, fx)
	fx.Reset()
	call := &wamp.Call{Request: 1, Options: wamp.Dict{}, Procedure: "p", Args: wamp.List{1, 2}}
	yield := &wamp.Yield{Options: wamp.Dict{}, Args: wamp.List{3}}
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		r.Handle(epoch, 2, call, fx)
		inv, ok := fx.Out[0].Msg.(*wamp.Invocation)
		if !ok {
			b.Fatalf("no INVOCATION: %#v", fx.Out[0].Msg)
		}
		yield.Request = inv.Request
		r.Handle(epoch, 1, yield, fx)
		fx.Reset()
	}
}
