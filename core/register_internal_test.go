package core

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"
	"time"

	"github.com/switchboard-wamp/switchboard/adapters/eventloop"
	"github.com/switchboard-wamp/switchboard/adapters/goroutine"
	"github.com/switchboard-wamp/switchboard/adapters/pool"
	"github.com/switchboard-wamp/switchboard/core/wamp"
	"github.com/switchboard-wamp/switchboard/scheduler"
)

// A Register whose context ends before the realm runs it leaves no
// procedure bound: the REGISTER still goes out when the realm gets to it,
// and the registration it makes is undone when its REGISTERED arrives. The
// test holds the realm's executor with a task until Register has returned,
// so the request runs strictly after the caller gave up.
func TestRegisterAbandonedIsUndone(t *testing.T) {
	for _, b := range []struct {
		name string
		new  func() scheduler.AsyncSupport
	}{
		{"goroutine", func() scheduler.AsyncSupport { return goroutine.New(goroutine.Config{}) }},
		{"eventloop", func() scheduler.AsyncSupport { return eventloop.New(eventloop.Config{}) }},
		{"pool", func() scheduler.AsyncSupport { return pool.New(pool.Config{Workers: 4}) }},
	} {
		t.Run(b.name, func(t *testing.T) {
			as := b.new()
			app, err := New(Config{Backend: as, Realms: []RealmConfig{{URI: "realm1"}}})
			if err != nil {
				as.Close()
				t.Fatal(err)
			}
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			t.Cleanup(func() {
				app.Close(ctx)
				cancel()
				as.Close()
			})
			realm, _ := app.Realm("realm1")

			held, release := make(chan struct{}), make(chan struct{})
			if !realm.e.Post(func() { close(held); <-release }) {
				t.Fatal("cannot post to the realm's executor")
			}
			select {
			case <-held:
			case <-ctx.Done():
				t.Fatal("the realm's executor never ran the holding task")
			}
			gaveUp, giveUp := context.WithCancel(ctx)
			giveUp()
			var orphanRan atomic.Bool
			orphan := func(context.Context, *Invocation) (*Result, error) {
				orphanRan.Store(true)
				return &Result{}, nil
			}
			if _, err := realm.Register(gaveUp, "com.example.orphan", orphan, nil); !errors.Is(err, context.Canceled) {
				t.Fatalf("Register with an ended context: err = %v, want context.Canceled", err)
			}
			close(release)

			// Requests run in order after the abandoned one: nothing is
			// bound to the URI any more.
			_, err = realm.Call(ctx, "com.example.orphan", nil, nil, nil)
			var we *Error
			if !errors.As(err, &we) || we.URI != wamp.ErrNoSuchProcedure {
				t.Fatalf("call after the abandoned Register: err = %v, want %s", err, wamp.ErrNoSuchProcedure)
			}
			reg, err := realm.Register(ctx, "com.example.orphan", func(context.Context, *Invocation) (*Result, error) {
				return &Result{Args: wamp.List{"second"}}, nil
			}, nil)
			if err != nil {
				t.Fatalf("Register again: %v", err)
			}
			res, err := realm.Call(ctx, "com.example.orphan", nil, nil, nil)
			if err != nil || len(res.Args) != 1 || res.Args[0] != "second" {
				t.Fatalf("call: %v %v, want the second registration's answer", res, err)
			}
			if orphanRan.Load() {
				t.Fatal("the abandoned registration's handler ran")
			}
			if err := reg.Unregister(ctx); err != nil {
				t.Fatal(err)
			}
			// Unregistering twice answers as the dealer does.
			if err := reg.Unregister(ctx); !errors.As(err, &we) || we.URI != wamp.ErrNoSuchRegistration {
				t.Fatalf("second Unregister: err = %v, want %s", err, wamp.ErrNoSuchRegistration)
			}
		})
	}
}
