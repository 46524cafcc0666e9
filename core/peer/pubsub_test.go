package peer

import (
	"testing"

	"github.com/switchboard-wamp/switchboard/core/wamp"
)

func subscribe(topic wamp.URI, opts wamp.Dict, handle string) func(*Peer, *Effects) {
	return func(p *Peer, fx *Effects) { p.Subscribe(topic, opts, handle, fx) }
}

func unsubscribe(sub wamp.ID, handle, token string) func(*Peer, *Effects) {
	return func(p *Peer, fx *Effects) { p.Unsubscribe(sub, handle, token, fx) }
}

func event(sub, pub wamp.ID) func(*Peer, *Effects) {
	return recv(&wamp.Event{Subscription: sub, Publication: pub, Details: wamp.Dict{}, Args: wamp.List{pub}})
}

func TestSubscribe(t *testing.T) {
	tests := []struct {
		name  string
		steps []step
	}{
		{"subscribe, event, unsubscribe", []step{
			{"subscribe", subscribe("t", nil, "h1"), []string{`send SUBSCRIBE [32,1,{},"t"]`}},
			{"subscribed", recv(&wamp.Subscribed{Request: 1, Subscription: 50}), []string{`complete h1 SUBSCRIBE req=1 SUBSCRIBED [33,1,50]`}},
			{"event", event(50, 1), []string{`event [h1] EVENT [36,50,1,{},[1]]`}},
			{"event", event(50, 2), []string{`event [h1] EVENT [36,50,2,{},[2]]`}},
			{"unsubscribe", unsubscribe(50, "h1", "u1"), []string{`send UNSUBSCRIBE [34,2,50]`}},
			{"event in flight: no handle left", event(50, 3), nil},
			{"unsubscribed", recv(&wamp.Unsubscribed{Request: 2}), []string{`complete u1 UNSUBSCRIBE req=2 UNSUBSCRIBED [35,2]`}},
			{"event after: violation", event(50, 4), []string{
				`send ABORT [3,{"message":"peer: protocol violation by router: EVENT for unknown subscription 50"},"wamp.error.protocol_violation"]`,
				`closed reason=wamp.error.protocol_violation remote=false err=peer: protocol violation by router: EVENT for unknown subscription 50`,
			}},
		}},
		{"two handles share one subscription", []step{
			{"subscribe h1", subscribe("t", nil, "h1"), []string{`send SUBSCRIBE [32,1,{},"t"]`}},
			{"subscribe h2", subscribe("t", wamp.Dict{"match": "exact"}, "h2"), []string{`send SUBSCRIBE [32,2,{"match":"exact"},"t"]`}},
			{"subscribed 1", recv(&wamp.Subscribed{Request: 1, Subscription: 50}), []string{`complete h1 SUBSCRIBE req=1 SUBSCRIBED [33,1,50]`}},
			{"subscribed 2", recv(&wamp.Subscribed{Request: 2, Subscription: 50}), []string{`complete h2 SUBSCRIBE req=2 SUBSCRIBED [33,2,50]`}},
			{"event fans out", event(50, 1), []string{`event [h1 h2] EVENT [36,50,1,{},[1]]`}},
			{"unsubscribe h1: local only", unsubscribe(50, "h1", "u1"), []string{`complete u1 UNSUBSCRIBE req=0`}},
			{"unsubscribe h1 again", unsubscribe(50, "h1", "u1b"), []string{`complete u1b UNSUBSCRIBE req=0 err=peer: no such subscription`}},
			{"event to h2 only", event(50, 2), []string{`event [h2] EVENT [36,50,2,{},[2]]`}},
			{"unsubscribe h2: last", unsubscribe(50, "h2", "u2"), []string{`send UNSUBSCRIBE [34,3,50]`}},
			{"unsubscribed", recv(&wamp.Unsubscribed{Request: 3}), []string{`complete u2 UNSUBSCRIBE req=3 UNSUBSCRIBED [35,3]`}},
		}},
		{"last handle goes while a subscribe for the topic is in flight", []step{
			{"subscribe h1", subscribe("t", nil, "h1"), []string{`send SUBSCRIBE [32,1,{},"t"]`}},
			{"subscribed", recv(&wamp.Subscribed{Request: 1, Subscription: 50}), []string{`complete h1 SUBSCRIBE req=1 SUBSCRIBED [33,1,50]`}},
			{"subscribe h2", subscribe("t", nil, "h2"), []string{`send SUBSCRIBE [32,2,{},"t"]`}},
			{"unsubscribe h1: deferred", unsubscribe(50, "h1", "u1"), []string{`complete u1 UNSUBSCRIBE req=0`}},
			{"event with no handle", event(50, 1), nil},
			{"subscribed h2 on the same subscription", recv(&wamp.Subscribed{Request: 2, Subscription: 50}),
				[]string{`complete h2 SUBSCRIBE req=2 SUBSCRIBED [33,2,50]`}},
			{"event to h2", event(50, 2), []string{`event [h2] EVENT [36,50,2,{},[2]]`}},
		}},
		{"deferred unsubscribe sent when the in-flight subscribe fails", []step{
			{"subscribe h1", subscribe("t", nil, "h1"), []string{`send SUBSCRIBE [32,1,{},"t"]`}},
			{"subscribed", recv(&wamp.Subscribed{Request: 1, Subscription: 50}), []string{`complete h1 SUBSCRIBE req=1 SUBSCRIBED [33,1,50]`}},
			{"subscribe h2", subscribe("t", nil, "h2"), []string{`send SUBSCRIBE [32,2,{},"t"]`}},
			{"unsubscribe h1: deferred", unsubscribe(50, "h1", "u1"), []string{`complete u1 UNSUBSCRIBE req=0`}},
			{"subscribe h2 refused", recv(&wamp.Error{RequestType: wamp.SUBSCRIBE, Request: 2, Details: wamp.Dict{}, Error: wamp.ErrNotAuthorized}), []string{
				`send UNSUBSCRIBE [34,3,50]`,
				`complete h2 SUBSCRIBE req=2 ERROR [8,32,2,{},"wamp.error.not_authorized"]`,
			}},
			{"internal unsubscribed: no completion", recv(&wamp.Unsubscribed{Request: 3}), nil},
			{"subscribe again: fresh", subscribe("t", nil, "h3"), []string{`send SUBSCRIBE [32,4,{},"t"]`}},
			{"subscribed", recv(&wamp.Subscribed{Request: 4, Subscription: 51}), []string{`complete h3 SUBSCRIBE req=4 SUBSCRIBED [33,4,51]`}},
			{"event", event(51, 1), []string{`event [h3] EVENT [36,51,1,{},[1]]`}},
		}},
		{"different match is a different subscription", []step{
			{"exact", subscribe("a.b", nil, "h1"), []string{`send SUBSCRIBE [32,1,{},"a.b"]`}},
			{"prefix", subscribe("a", wamp.Dict{"match": "prefix"}, "h2"), []string{`send SUBSCRIBE [32,2,{"match":"prefix"},"a"]`}},
			{"subscribed 1", recv(&wamp.Subscribed{Request: 1, Subscription: 50}), []string{`complete h1 SUBSCRIBE req=1 SUBSCRIBED [33,1,50]`}},
			{"unsubscribe h1 with prefix in flight: sent", unsubscribe(50, "h1", "u1"), []string{`send UNSUBSCRIBE [34,3,50]`}},
			{"subscribed 2", recv(&wamp.Subscribed{Request: 2, Subscription: 60}), []string{`complete h2 SUBSCRIBE req=2 SUBSCRIBED [33,2,60]`}},
			{"unsubscribed", recv(&wamp.Unsubscribed{Request: 3}), []string{`complete u1 UNSUBSCRIBE req=3 UNSUBSCRIBED [35,3]`}},
		}},
		{"unsubscribe refused", []step{
			{"subscribe", subscribe("t", nil, "h1"), []string{`send SUBSCRIBE [32,1,{},"t"]`}},
			{"subscribed", recv(&wamp.Subscribed{Request: 1, Subscription: 50}), []string{`complete h1 SUBSCRIBE req=1 SUBSCRIBED [33,1,50]`}},
			{"unsubscribe", unsubscribe(50, "h1", "u1"), []string{`send UNSUBSCRIBE [34,2,50]`}},
			{"error", recv(&wamp.Error{RequestType: wamp.UNSUBSCRIBE, Request: 2, Details: wamp.Dict{}, Error: wamp.ErrNoSuchSubscription}),
				[]string{`complete u1 UNSUBSCRIBE req=2 ERROR [8,34,2,{},"wamp.error.no_such_subscription"]`}},
			{"unknown now", unsubscribe(50, "h1", "u2"), []string{`complete u2 UNSUBSCRIBE req=0 err=peer: no such subscription`}},
		}},
		{"revocation", []step{
			{"subscribe", subscribe("t", nil, "h1"), []string{`send SUBSCRIBE [32,1,{},"t"]`}},
			{"subscribe", subscribe("t", nil, "h2"), []string{`send SUBSCRIBE [32,2,{},"t"]`}},
			{"subscribed", recv(&wamp.Subscribed{Request: 1, Subscription: 50}), []string{`complete h1 SUBSCRIBE req=1 SUBSCRIBED [33,1,50]`}},
			{"subscribed", recv(&wamp.Subscribed{Request: 2, Subscription: 50}), []string{`complete h2 SUBSCRIBE req=2 SUBSCRIBED [33,2,50]`}},
			{"revoked", recv(&wamp.Unsubscribed{Request: 0, Details: wamp.Dict{"subscription": float64(50), "reason": "gone"}}),
				[]string{`revoked SUBSCRIBE 50 [h1 h2] gone`}},
			{"unsubscribe revoked", unsubscribe(50, "h1", "u1"), []string{`complete u1 UNSUBSCRIBE req=0 err=peer: no such subscription`}},
		}},
		{"subscribed for unknown request", []step{
			{"subscribed", recv(&wamp.Subscribed{Request: 7, Subscription: 50}), []string{
				`send ABORT [3,{"message":"peer: protocol violation by router: SUBSCRIBED for unknown subscribe request 7"},"wamp.error.protocol_violation"]`,
				`closed reason=wamp.error.protocol_violation remote=false err=peer: protocol violation by router: SUBSCRIBED for unknown subscribe request 7`,
			}},
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) { transcript(t, established(t), tc.steps) })
	}
}

// TestEventHandlesAreStable checks that a delivered Handles slice is not
// changed by later subscribe/unsubscribe (the driver may still be reading it).
func TestEventHandlesAreStable(t *testing.T) {
	p := established(t)
	var fx Effects
	p.Subscribe("t", nil, "h1", &fx)
	p.Subscribe("t", nil, "h2", &fx)
	p.Receive(&wamp.Subscribed{Request: 1, Subscription: 50}, &fx)
	p.Receive(&wamp.Subscribed{Request: 2, Subscription: 50}, &fx)
	fx.Reset()
	p.Receive(&wamp.Event{Subscription: 50, Publication: 1, Details: wamp.Dict{}}, &fx)
	handles := fx.Events[0].Handles
	var fx2 Effects
	p.Unsubscribe(50, "h1", "u", &fx2)
	p.Subscribe("t", nil, "h3", &fx2)
	p.Receive(&wamp.Subscribed{Request: 3, Subscription: 50}, &fx2)
	if len(handles) != 2 || handles[0] != "h1" || handles[1] != "h2" {
		t.Fatalf("delivered handles changed to %v", handles)
	}
}

func TestPublish(t *testing.T) {
	publish := func(opts wamp.Dict, token string) func(*Peer, *Effects) {
		return func(p *Peer, fx *Effects) { p.Publish("t", wamp.List{"a"}, wamp.Dict{"k": "v"}, opts, token, fx) }
	}
	tests := []struct {
		name  string
		steps []step
	}{
		{"no acknowledge", []step{
			{"publish", publish(nil, "p1"), []string{`send PUBLISH [16,1,{},"t",["a"],{"k":"v"}]`}},
			{"error ignored", recv(&wamp.Error{RequestType: wamp.PUBLISH, Request: 1, Details: wamp.Dict{}, Error: wamp.ErrNotAuthorized}), nil},
			{"published unexpected", recv(&wamp.Published{Request: 1, Publication: 9}), []string{
				`send ABORT [3,{"message":"peer: protocol violation by router: PUBLISHED for unknown acknowledged publish 1"},"wamp.error.protocol_violation"]`,
				`closed reason=wamp.error.protocol_violation remote=false err=peer: protocol violation by router: PUBLISHED for unknown acknowledged publish 1`,
			}},
		}},
		{"acknowledge", []step{
			{"publish", publish(wamp.Dict{"acknowledge": true, "exclude_me": false}, "p1"),
				[]string{`send PUBLISH [16,1,{"acknowledge":true,"exclude_me":false},"t",["a"],{"k":"v"}]`}},
			{"published", recv(&wamp.Published{Request: 1, Publication: 9}), []string{`complete p1 PUBLISH req=1 PUBLISHED [17,1,9]`}},
		}},
		{"acknowledge error", []step{
			{"publish", publish(wamp.Dict{"acknowledge": true}, "p1"), []string{`send PUBLISH [16,1,{"acknowledge":true},"t",["a"],{"k":"v"}]`}},
			{"error", recv(&wamp.Error{RequestType: wamp.PUBLISH, Request: 1, Details: wamp.Dict{}, Error: wamp.ErrNotAuthorized}),
				[]string{`complete p1 PUBLISH req=1 ERROR [8,16,1,{},"wamp.error.not_authorized"]`}},
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) { transcript(t, established(t), tc.steps) })
	}
}
