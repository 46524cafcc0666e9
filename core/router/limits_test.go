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

// SetMaxPendingCallsPerSession applies to the CALLs routed afterwards;
// calls already pending stay; 0 is the default again.
func TestSetMaxPendingCallsPerSession(t *testing.T) {
	r, fx, _, caller := newCallPair(t, false)
	call := func(req wamp.ID) wamp.Message {
		fx.Reset()
		r.Handle(epoch, caller, &wamp.Call{Request: req, Options: wamp.Dict{}, Procedure: "p"}, fx)
		return fx.Out[len(fx.Out)-1].Msg
	}
	r.SetMaxPendingCallsPerSession(2)
	for req := wamp.ID(1); req <= 2; req++ {
		if _, ok := call(req).(*wamp.Invocation); !ok {
			t.Fatalf("call %d under a limit of 2 not routed", req)
		}
	}
	if e, ok := call(3).(*wamp.Error); !ok || e.Error != ErrTooManyPendingCalls {
		t.Fatalf("third call under a limit of 2: %#v", e)
	}
	r.SetMaxPendingCallsPerSession(1) // lowered below what is pending: those stay
	if n := r.PendingCalls(); n != 2 {
		t.Fatalf("PendingCalls = %d after lowering the limit", n)
	}
	r.SetMaxPendingCallsPerSession(0)
	if _, ok := call(4).(*wamp.Invocation); !ok {
		t.Fatal("call refused after the default (1000) came back")
	}
}
