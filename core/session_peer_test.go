package core_test

import (
	"context"
	"testing"
	"time"

	"github.com/switchboard-wamp/switchboard/adapters/goroutine"
	"github.com/switchboard-wamp/switchboard/core"
	"github.com/switchboard-wamp/switchboard/scheduler"
	"github.com/switchboard-wamp/switchboard/tests/testrouter"
)

// Helpers of the session tests (realms, authentication, hooks, topics,
// dependencies): an Application per backend of the test matrix built from
// a config the test adjusts. Their remote peer is fakePeer
// (fakepeer_test.go).

// forEachBackendApp runs f as a subtest on every backend of the matrix with
// a fresh Application built from cfg by newAppOn.
func forEachBackendApp(t *testing.T, cfg core.Config, f func(t *testing.T, app *core.Application)) {
	for _, b := range testrouter.Backends() {
		t.Run(b.Name, func(t *testing.T) {
			f(t, newAppOn(t, b.New(), cfg))
		})
	}
}

// newApp builds an Application from cfg on a goroutine backend (newAppOn).
func newApp(t *testing.T, cfg core.Config) *core.Application {
	t.Helper()
	return newAppOn(t, goroutine.New(goroutine.Config{}), cfg)
}

// newAppOn builds an Application from cfg on backend as (realm1 when cfg
// has no realms); at cleanup it closes the Application, with a generous
// bound, then as.
func newAppOn(t *testing.T, as scheduler.AsyncSupport, cfg core.Config) *core.Application {
	t.Helper()
	cfg.Backend = as
	if cfg.Realms == nil {
		cfg.Realms = []core.RealmConfig{{URI: "realm1", GoodbyeTimeout: 100 * time.Millisecond}}
	}
	app, err := core.New(cfg)
	if err != nil {
		as.Close()
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := app.Close(ctx); err != nil {
			t.Errorf("app.Close: %v", err)
		}
		as.Close()
	})
	return app
}

func ctxT(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// waitFor receives one value from ch or fails after a generous bound.
func waitFor[T any](t *testing.T, ch <-chan T, what string) T {
	t.Helper()
	select {
	case v := <-ch:
		return v
	case <-time.After(10 * time.Second):
		t.Fatalf("timed out waiting for %s", what)
		var zero T
		return zero
	}
}
