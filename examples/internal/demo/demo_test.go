package demo

import (
	"context"
	"errors"
	"testing"

	"github.com/switchboard-wamp/switchboard/core"
	"github.com/switchboard-wamp/switchboard/core/wamp"
)

// A client dialled through Serve and Dial reaches a procedure of the
// served application in realm1, and stop refuses new connections.
func TestServeAndDial(t *testing.T) {
	ctx, backend, done := Start()
	defer done()
	app, err := core.New(core.Config{Backend: backend, Realms: []core.RealmConfig{{URI: "realm1"}}})
	if err != nil {
		t.Fatal(err)
	}
	realm, _ := app.Realm("realm1")
	_, err = realm.Register(ctx, "com.example.echo", func(_ context.Context, inv *core.Invocation) (*core.Result, error) {
		return &core.Result{Args: inv.Args}, nil
	}, nil)
	if err != nil {
		t.Fatal(err)
	}
	url, stop, err := Serve(app)
	if err != nil {
		t.Fatal(err)
	}
	s, err := Dial(ctx, url, backend)
	if err != nil {
		t.Fatal(err)
	}
	res, err := s.Call(ctx, "com.example.echo", wamp.List{"ping"}, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Args) != 1 || res.Args[0] != "ping" {
		t.Fatalf("result %v, want [ping]", res.Args)
	}
	if err := s.Leave(ctx, ""); err != nil {
		t.Fatal(err)
	}
	if err := app.Close(ctx); err != nil {
		t.Fatal(err)
	}
	stop()
	if s2, err := Dial(ctx, url, backend); err == nil {
		s2.Leave(ctx, "")
		t.Fatal("Dial after stop succeeded")
	} else if errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Dial after stop hung until the deadline: %v", err)
	}
}

// done cancels the context Start returned.
func TestStartDoneCancels(t *testing.T) {
	ctx, backend, done := Start()
	if backend == nil {
		t.Fatal("nil backend")
	}
	if _, ok := ctx.Deadline(); !ok {
		t.Fatal("context has no deadline")
	}
	done()
	if ctx.Err() == nil {
		t.Fatal("context not cancelled by done")
	}
}
