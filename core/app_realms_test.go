package core_test

import (
	"errors"
	"testing"
	"time"

	"github.com/switchboard-wamp/switchboard/adapters/goroutine"
	"github.com/switchboard-wamp/switchboard/core"
	"github.com/switchboard-wamp/switchboard/core/wamp"
	"github.com/switchboard-wamp/switchboard/internal/testwait"
	"github.com/switchboard-wamp/switchboard/scheduler"
	"github.com/switchboard-wamp/switchboard/transport"
)

func TestDefaultRealmOff(t *testing.T) {
	forEachBackendApp(t, core.Config{}, func(t *testing.T, app *core.Application) {
		if _, ok := app.DefaultRealm(); ok {
			t.Error("DefaultRealm on with a nil Config.DefaultRealm")
		}
		p := dialPeer(t, app, transport.Info{})
		p.send(helloMsg("nowhere", nil))
		a := p.wantAbort(wamp.ErrNoSuchRealm)
		if a.Details["message"] != "no such realm: nowhere" {
			t.Errorf("ABORT message %v", a.Details["message"])
		}
	})
}

// TestDefaultRealmOn: HELLOs for unconfigured realms join the default
// realm, see the realm they asked for, and share it.
func TestDefaultRealmOn(t *testing.T) {
	cfg := core.Config{DefaultRealm: &core.RealmConfig{}}
	forEachBackendApp(t, cfg, func(t *testing.T, app *core.Application) {
		def, ok := app.DefaultRealm()
		if !ok || def.URI() != "default" {
			t.Fatalf("DefaultRealm = %v, %v; want the realm named default", def, ok)
		}
		if r, _ := app.Realm("default"); r != def {
			t.Error("the default realm is not reachable by its name")
		}
		realm1, _ := app.Realm("realm1")
		a, b, c := dialPeer(t, app, transport.Info{}), dialPeer(t, app, transport.Info{}), dialPeer(t, app, transport.Info{})
		wa, wb, wc := a.join("team.a", nil), b.join("team.b", nil), c.join("realm1", nil)
		for _, tc := range []struct {
			w     *wamp.Welcome
			realm *core.Realm
			asked wamp.URI
		}{{wa, def, "team.a"}, {wb, def, "team.b"}, {wc, realm1, "realm1"}} {
			if tc.w.Details["realm"] != string(tc.asked) {
				t.Errorf("WELCOME realm %v, want %s", tc.w.Details["realm"], tc.asked)
			}
			s, ok := tc.realm.Session(tc.w.Session)
			if !ok || s.RealmName != tc.asked || s.Realm != tc.realm {
				t.Errorf("session %d: %+v, want in %s as %s", tc.w.Session, s, tc.realm.URI(), tc.asked)
			}
		}
		// team.a and team.b are one realm: b receives a's publication.
		wantSubscribed(t, b.subscribe(1, "com.shared", nil), 1)
		a.send(&wamp.Publish{Request: 1, Options: wamp.Dict{"acknowledge": true}, Topic: "com.shared", Args: wamp.List{"x"}})
		if _, ok := a.recv().(*wamp.Published); !ok {
			t.Fatal("want PUBLISHED")
		}
		if ev, ok := b.recv().(*wamp.Event); !ok || ev.Args[0] != "x" {
			t.Fatalf("want EVENT x in the shared default realm, got %#v", ev)
		}
		// A realm added later takes new sessions for its name.
		teamA, err := app.AddRealm(core.RealmConfig{URI: "team.a"})
		if err != nil {
			t.Fatal(err)
		}
		d := dialPeer(t, app, transport.Info{})
		wd := d.join("team.a", nil)
		if _, ok := teamA.Session(wd.Session); !ok {
			t.Error("a session for team.a did not join the realm added for it")
		}
	})
}

func TestRealmConfigDefaultsAndValidation(t *testing.T) {
	b := testBackend(t)
	_, err := core.New(core.Config{Backend: b, Realms: []core.RealmConfig{{URI: "r", MaxSessions: -1}}})
	if !errors.Is(err, core.ErrRealmConfig) {
		t.Errorf("MaxSessions -1: err = %v, want ErrRealmConfig", err)
	}
	_, err = core.New(core.Config{Backend: b, DefaultRealm: &core.RealmConfig{URI: "bad realm"}})
	if !errors.Is(err, core.ErrInvalidRealm) {
		t.Errorf("bad default realm URI: err = %v, want ErrInvalidRealm", err)
	}
	_, err = core.New(core.Config{Backend: b, Realms: []core.RealmConfig{{URI: "r", GoodbyeTimeout: -time.Second}}})
	if !errors.Is(err, core.ErrRealmConfig) {
		t.Errorf("negative GoodbyeTimeout: err = %v, want ErrRealmConfig", err)
	}
	_, err = core.New(core.Config{Backend: b, Realms: []core.RealmConfig{{URI: "r", MaxOptionListLen: -1}}})
	if !errors.Is(err, core.ErrRealmConfig) {
		t.Errorf("negative MaxOptionListLen: err = %v, want ErrRealmConfig", err)
	}
}

// TestMaxSessions: a realm at its limit aborts new sessions with
// ReasonTooManySessions; RealmDefaults supplies the limit.
func TestMaxSessions(t *testing.T) {
	cfg := core.Config{RealmDefaults: core.RealmConfig{MaxSessions: 2}}
	forEachBackendApp(t, cfg, func(t *testing.T, app *core.Application) {
		a, b := dialPeer(t, app, transport.Info{}), dialPeer(t, app, transport.Info{})
		aID := a.join("realm1", nil).Session
		b.join("realm1", nil)
		c := dialPeer(t, app, transport.Info{})
		c.send(helloMsg("realm1", nil))
		c.wantAbort(core.ReasonTooManySessions)
		// A realm with its own limit.
		if _, err := app.AddRealm(core.RealmConfig{URI: "solo", MaxSessions: 1}); err != nil {
			t.Fatal(err)
		}
		s1 := dialPeer(t, app, transport.Info{})
		s1.join("solo", nil)
		s2 := dialPeer(t, app, transport.Info{})
		s2.send(helloMsg("solo", nil))
		s2.wantAbort(core.ReasonTooManySessions)
		// Room again once a session has left.
		a.send(&wamp.Goodbye{Details: wamp.Dict{}, Reason: wamp.CloseNormal})
		a.waitClosed()
		realm, _ := app.Realm("realm1")
		waitUntil(t, "the session to leave the registry", func() bool {
			_, present := realm.Session(aID)
			return !present
		})
		d := dialPeer(t, app, transport.Info{})
		d.join("realm1", nil)
	})
}

// TestHandshakeRefusedWhenClosed: after Close, a HELLO is aborted with
// system_shutdown.
func TestHandshakeRefusedWhenClosed(t *testing.T) {
	forEachBackendApp(t, core.Config{}, func(t *testing.T, app *core.Application) {
		if err := app.Close(ctxT(t)); err != nil {
			t.Fatal(err)
		}
		p := dialPeer(t, app, transport.Info{})
		p.send(helloMsg("realm1", nil))
		p.wantAbort(wamp.CloseSystemShutdown)
	})
}

// TestCloseAbortsAdmissions: Close ends handshakes still in their
// authenticator with ABORT system_shutdown.
func TestCloseAbortsAdmissions(t *testing.T) {
	forEachBackendApp(t, core.Config{}, func(t *testing.T, app *core.Application) {
		started, ended := make(chan struct{}, 1), make(chan error, 1)
		app.SetAuthenticator(blockingAuth(started, ended))
		p := dialPeer(t, app, transport.Info{})
		p.send(helloMsg("realm1", nil))
		waitFor(t, started, "the authenticator")
		if err := app.Close(ctxT(t)); err != nil {
			t.Fatal(err)
		}
		p.wantAbort(wamp.CloseSystemShutdown)
		waitFor(t, ended, "the authenticator's context")
	})
}

func waitUntil(t *testing.T, what string, cond func() bool) {
	t.Helper()
	testwait.Until(t, what, 10*time.Second, cond)
}

func testBackend(t *testing.T) scheduler.AsyncSupport {
	b := goroutine.New(goroutine.Config{})
	t.Cleanup(func() { b.Close() })
	return b
}
