package router

import (
	"testing"
	"time"

	"github.com/switchboard-wamp/switchboard/core/wamp"
)

// TestEffectsClaim: Effects.Claim counts for Empty and is cleared by Reset.
func TestEffectsClaim(t *testing.T) {
	var fx Effects
	fx.Claim = append(fx.Claim, ClaimOp{Procedure: "p", Release: true})
	if fx.Empty() {
		t.Fatal("Effects with a ClaimOp reported empty")
	}
	fx.Reset()
	if !fx.Empty() || len(fx.Claim) != 0 {
		t.Fatalf("Reset left %d claims", len(fx.Claim))
	}
}

// TestNodeSessionIsInternal: a node session is Internal (it may register
// under wamp.), and a RemotePublication is delivered as an EVENT that is
// neither Shared nor Acked, the same value for every outbound of it.
func TestNodeSessionIsInternal(t *testing.T) {
	r := NewRealm(RealmConfig{URI: "realm1", RandomSeed: 1}, newSeqIDs())
	var fx Effects
	now := time.Unix(0, 0)
	hello := &wamp.Hello{Realm: "realm1", Details: wamp.Dict{"roles": wamp.Dict{"publisher": wamp.Dict{}}}}
	r.Join(now, 1, hello, SessionInfo{Node: "B"}, &fx)
	r.Join(now, 2, hello, SessionInfo{AuthID: "p"}, &fx)
	r.Join(now, 3, hello, SessionInfo{Node: "C"}, &fx)
	if !r.sessions[1].info.Internal || r.sessions[1].visible() {
		t.Fatal("a node session must be Internal and hidden from the session meta API")
	}
	fx.Reset()
	r.Handle(now, 1, &wamp.Register{Request: 1, Procedure: "wamp.x"}, &fx)
	if _, ok := fx.Out[0].Msg.(*wamp.Registered); !ok {
		t.Fatalf("a node session may register under wamp.: %v", fx.Out[0].Msg)
	}
	for _, sid := range []SessionID{1, 3} {
		r.Handle(now, sid, &wamp.Subscribe{Request: 2, Topic: "t"}, &fx)
		r.Handle(now, sid, &wamp.Subscribe{Request: 3, Options: wamp.Dict{"match": "prefix"}, Topic: "t"}, &fx)
	}
	fx.Reset()
	r.Handle(now, 2, &wamp.Publish{Request: 1, Options: wamp.Dict{"acknowledge": true}, Topic: "t", Args: wamp.List{1}}, &fx)
	if len(fx.Out) != 3 {
		t.Fatalf("want 2 RemotePublications and PUBLISHED, got %d outbounds", len(fx.Out))
	}
	rp, _ := fx.Out[0].Msg.(*RemotePublication)
	if rp == nil || fx.Out[1].Msg != rp || rp.Type() != wamp.EVENT || fx.Out[0].Shared || fx.Out[0].Acked {
		t.Fatalf("outbounds %+v", fx.Out)
	}
	if rp.Publisher != 2 || rp.PublisherAuthID != "p" || rp.Topic != "t" || rp.Options["acknowledge"] != true {
		t.Fatalf("RemotePublication %+v", rp)
	}
	if p, _ := fx.Out[2].Msg.(*wamp.Published); p == nil || p.Publication != rp.ID || !fx.Out[2].Acked {
		t.Fatalf("PUBLISHED %+v", fx.Out[2])
	}
}
