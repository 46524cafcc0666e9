package core_test

import (
	"context"
	"errors"
	"testing"

	"github.com/switchboard-wamp/switchboard/adapters/eventloop"
	"github.com/switchboard-wamp/switchboard/core"
	"github.com/switchboard-wamp/switchboard/core/wamp"
	"github.com/switchboard-wamp/switchboard/scheduler"
)

// On the event loop a handler that is not marked Blocking runs on the loop.
// Requests the realm answers at once (an acknowledged publish) complete
// there; a call, whose result comes later, fails with ErrWouldBlock instead
// of deadlocking the loop.
func TestUnmarkedHandlerOnTheLoop(t *testing.T) {
	app := newAppOn(t, eventloop.New(eventloop.Config{}), core.Config{})
	realm, _ := app.Realm("realm1")
	_, err := realm.Register(ctxT(t), "com.example.publish", func(ctx context.Context, _ *core.Invocation) (*core.Result, error) {
		err := realm.Publish(ctx, "com.example.t", wamp.List{"x"}, nil, &core.PublishOptions{Acknowledge: true})
		return &core.Result{}, err
	}, nil)
	if err != nil {
		t.Fatal(err)
	}
	_, err = realm.Register(ctxT(t), "com.example.nested", func(ctx context.Context, _ *core.Invocation) (*core.Result, error) {
		_, err := realm.Call(ctx, "com.example.publish", nil, nil, nil)
		if !errors.Is(err, scheduler.ErrWouldBlock) {
			return nil, &core.Error{URI: "test.unexpected", Args: wamp.List{"nested call: " + errString(err)}}
		}
		return &core.Result{Args: wamp.List{"refused"}}, nil
	}, nil)
	if err != nil {
		t.Fatal(err)
	}
	p := joinPeer(t, app, wamp.Dict{"caller": wamp.Dict{}, "subscriber": wamp.Dict{}})
	if _, ok := p.subscribe(1, "com.example.t", nil).(*wamp.Subscribed); !ok {
		t.Fatal("want SUBSCRIBED")
	}
	p.send(&wamp.Call{Request: 2, Options: wamp.Dict{}, Procedure: "com.example.publish"})
	// The event and the result both arrive (the event first: the handler
	// published before it returned).
	got := map[wamp.Type]bool{p.recv().Type(): true, p.recv().Type(): true}
	if !got[wamp.EVENT] || !got[wamp.RESULT] {
		t.Fatalf("got %v, want an EVENT and the RESULT", got)
	}
	_, final := p.call(3, wamp.Dict{}, "com.example.nested", nil, nil)
	if r, ok := final.(*wamp.Result); !ok || r.Args[0] != "refused" {
		t.Fatalf("nested call on the loop: got %#v, want RESULT [refused]", final)
	}
}

func errString(err error) string {
	if err == nil {
		return "<nil>"
	}
	return err.Error()
}
