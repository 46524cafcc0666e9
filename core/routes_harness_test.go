package core_test

import (
	"errors"
	"testing"

	"github.com/switchboard-wamp/switchboard/core"
	"github.com/switchboard-wamp/switchboard/core/wamp"
)

// Helpers of the procedure tests (routes, typed, progress, call handler,
// Realm.Call): an Application per backend of the test matrix serving
// realm1. Their remote peer is fakePeer (fakepeer_test.go).

// forBackends runs f as a subtest on every backend of the matrix with a
// fresh Application serving realm1.
func forBackends(t *testing.T, f func(t *testing.T, app *core.Application, realm *core.Realm)) {
	forEachBackendApp(t, core.Config{}, func(t *testing.T, app *core.Application) {
		realm, _ := app.Realm("realm1")
		f(t, app, realm)
	})
}

// wantWAMPError fails unless err is a *core.Error with uri; it returns the
// error's first argument (the message), if any.
func wantWAMPError(t *testing.T, err error, uri wamp.URI) string {
	t.Helper()
	var we *core.Error
	if !errors.As(err, &we) || we.URI != uri {
		t.Fatalf("err = %v, want WAMP error %s", err, uri)
	}
	if len(we.Args) > 0 {
		s, _ := we.Args[0].(string)
		return s
	}
	return ""
}

var callerRoles = wamp.Dict{"caller": wamp.Dict{"features": wamp.Dict{"progressive_call_results": true, "call_canceling": true}}}
