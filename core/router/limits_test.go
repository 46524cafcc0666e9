package router

import (
	"testing"

	"github.com/switchboard-wamp/switchboard/core/wamp"
)

// PendingCalls counts a routed call until its callee answers.
func TestPendingCalls(t *testing.T) {
	r, fx, callee, caller := newCallPair(t, false)
	if n := r.PendingCalls(); n != 0 {
		t.Fatalf("PendingCalls = %d before any call", n)
	}
	r.Handle(epoch, caller, &wamp.Call{Request: 9, Options: wamp.Dict{}, Procedure: "p"}, fx)
	inv, ok := fx.Out[0].Msg.(*wamp.Invocation)
	if !ok || r.PendingCalls() != 1 {
		t.Fatalf("after CALL: %#v, PendingCalls = %d", fx.Out, r.PendingCalls())
	}
	fx.Reset()
	r.Handle(epoch, callee, &wamp.Yield{Request: inv.Request, Options: wamp.Dict{}}, fx)
	if n := r.PendingCalls(); n != 0 {
		t.Fatalf("PendingCalls = %d after YIELD", n)
	}
}

// SetMaxOptionListLen applies to the requests routed afterwards; 0 is the
// default again.
func TestSetMaxOptionListLen(t *testing.T) {
	r, fx, _, caller := newCallPair(t, false)
	publish := func(req wamp.ID, n int) wamp.Message {
		excl := make([]any, n)
		for i := range excl {
			excl[i] = int64(i + 100)
		}
		fx.Reset()
		r.Handle(epoch, caller, &wamp.Publish{Request: req, Options: wamp.Dict{"acknowledge": true, "exclude": excl}, Topic: "t"}, fx)
		return fx.Out[len(fx.Out)-1].Msg
	}
	if _, ok := publish(1, 3).(*wamp.Published); !ok {
		t.Fatal("3 excluded refused under the default limit")
	}
	r.SetMaxOptionListLen(2)
	if e, ok := publish(2, 3).(*wamp.Error); !ok || e.Error != wamp.ErrInvalidArgument {
		t.Fatalf("3 excluded under a limit of 2: %#v", e)
	}
	r.SetMaxOptionListLen(0)
	if _, ok := publish(3, 3).(*wamp.Published); !ok {
		t.Fatal("3 excluded refused after the default came back")
	}
}
