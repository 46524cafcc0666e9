package core_test

import (
	"context"
	"errors"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/switchboard-wamp/switchboard/adapters/goroutine"
	"github.com/switchboard-wamp/switchboard/core"
	"github.com/switchboard-wamp/switchboard/core/wamp"
	"github.com/switchboard-wamp/switchboard/transport"
)

// hookLog records hook events in order, safe for concurrent use.
type hookLog struct {
	mu     sync.Mutex
	events []string
	ch     chan string
}

func newHookLog() *hookLog { return &hookLog{ch: make(chan string, 64)} }

func (l *hookLog) add(e string) {
	l.mu.Lock()
	l.events = append(l.events, e)
	l.mu.Unlock()
	l.ch <- e
}

func (l *hookLog) want(t *testing.T, e string) {
	t.Helper()
	if got := waitFor(t, l.ch, e); got != e {
		t.Fatalf("hook event %q, want %q", got, e)
	}
}

func (l *hookLog) snapshot() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return slices.Clone(l.events)
}

// recordingHook logs "open <authid>" and "close <authid>", storing the
// session's open order in its data.
func recordingHook(log *hookLog) core.SessionHook {
	return func(ctx context.Context, s *core.Session) (func(context.Context), error) {
		if got, ok := core.SessionFrom(ctx); !ok || got != s {
			log.add("open: SessionFrom(ctx) is not the session")
		}
		s.Set("opened", true)
		log.add("open " + s.AuthRole)
		return func(ctx context.Context) {
			if got, ok := core.SessionFrom(ctx); !ok || got != s {
				log.add("close: SessionFrom(ctx) is not the session")
			}
			log.add("close " + s.AuthRole)
		}, nil
	}
}

func TestSessionHookOpenAndClose(t *testing.T) {
	tests := []struct {
		name string
		end  func(t *testing.T, p *fakePeer, s *core.Session, app *core.Application)
	}{
		{"client GOODBYE", func(t *testing.T, p *fakePeer, _ *core.Session, _ *core.Application) {
			p.send(&wamp.Goodbye{Details: wamp.Dict{}, Reason: wamp.CloseNormal})
			if g, ok := p.recv().(*wamp.Goodbye); !ok || g.Reason != wamp.CloseGoodbyeAndOut {
				t.Fatalf("want GOODBYE goodbye_and_out, got %#v", g)
			}
		}},
		{"client ABORT", func(t *testing.T, p *fakePeer, _ *core.Session, _ *core.Application) {
			p.send(&wamp.Abort{Details: wamp.Dict{}, Reason: wamp.CloseNormal})
		}},
		{"protocol violation", func(t *testing.T, p *fakePeer, _ *core.Session, _ *core.Application) {
			p.send(&wamp.Welcome{Session: 1, Details: wamp.Dict{}})
			if a, ok := p.recv().(*wamp.Abort); !ok || a.Reason != wamp.ErrProtocolViolationURI {
				t.Fatalf("want ABORT protocol_violation, got %#v", a)
			}
		}},
		{"connection dropped", func(t *testing.T, p *fakePeer, _ *core.Session, _ *core.Application) { p.drop() }},
		{"killed", func(t *testing.T, p *fakePeer, s *core.Session, _ *core.Application) {
			if err := s.Kill(""); err != nil {
				t.Fatal(err)
			}
			if g, ok := p.recv().(*wamp.Goodbye); !ok || g.Reason != wamp.CloseKilled {
				t.Fatalf("want GOODBYE killed, got %#v", g)
			}
			p.send(&wamp.Goodbye{Details: wamp.Dict{}, Reason: wamp.CloseGoodbyeAndOut})
		}},
		{"application closed", func(t *testing.T, p *fakePeer, _ *core.Session, app *core.Application) {
			go func() {
				if g, ok := p.recv().(*wamp.Goodbye); ok && g.Reason == wamp.CloseSystemShutdown {
					p.send(&wamp.Goodbye{Details: wamp.Dict{}, Reason: wamp.CloseGoodbyeAndOut})
				}
			}()
			if err := app.Close(ctxT(t)); err != nil {
				t.Fatalf("Close: %v", err)
			}
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			forEachBackendApp(t, core.Config{}, func(t *testing.T, app *core.Application) {
				log := newHookLog()
				app.OnSession(recordingHook(log))
				realm, _ := app.Realm("realm1")
				p := dialPeer(t, app, transport.Info{})
				w := p.join("realm1", nil)
				log.want(t, "open anonymous")
				s, ok := realm.Session(w.Session)
				if !ok {
					t.Fatal("joined session not in the registry")
				}
				if v, _ := s.Get("opened"); v != true {
					t.Fatal("data set by the open hook is missing after WELCOME")
				}
				tc.end(t, p, s, app)
				p.waitClosed()
				log.want(t, "close anonymous")
				if _, ok := realm.Session(w.Session); ok {
					t.Error("closed session still in the registry")
				}
				if s.Context().Err() == nil {
					t.Error("session context not cancelled at close")
				}
				if got := log.snapshot(); len(got) != 2 {
					t.Errorf("hook events %v, want exactly open and close", got)
				}
			})
		})
	}
}

// TestCloseWaitsForCloseHooks: Application.Close returns only after the
// close parts of the sessions it shut down have returned.
func TestCloseWaitsForCloseHooks(t *testing.T) {
	forEachBackendApp(t, core.Config{}, func(t *testing.T, app *core.Application) {
		release := make(chan struct{})
		var finished sync.WaitGroup
		finished.Add(1)
		returned := make(chan struct{})
		app.OnSession(func(context.Context, *core.Session) (func(context.Context), error) {
			return func(context.Context) {
				<-release // on the eventloop backend this runs on an Offload helper
				finished.Done()
			}, nil
		})
		p := dialPeer(t, app, transport.Info{})
		p.join("realm1", nil)
		closed := make(chan error, 1)
		go func() { closed <- app.Close(ctxT(t)); close(returned) }()
		if g, ok := p.recv().(*wamp.Goodbye); !ok || g.Reason != wamp.CloseSystemShutdown {
			t.Fatalf("want GOODBYE system_shutdown, got %#v", g)
		}
		p.send(&wamp.Goodbye{Details: wamp.Dict{}, Reason: wamp.CloseGoodbyeAndOut})
		p.waitClosed()
		select {
		case <-returned:
			t.Fatal("Close returned while a close hook was still running")
		case <-time.After(50 * time.Millisecond):
		}
		close(release)
		if err := waitFor(t, closed, "Close"); err != nil {
			t.Fatalf("Close: %v", err)
		}
		finished.Wait()
	})
}

func TestSessionHookRefuses(t *testing.T) {
	tests := []struct {
		name    string
		err     error
		reason  wamp.URI
		message string
	}{
		{"abort error", &core.AbortError{URI: wamp.ErrNotAuthorized, Message: "banned"}, wamp.ErrNotAuthorized, "banned"},
		{"plain error", errors.New("db down"), wamp.ErrAuthorizationFailed, "the session could not be set up"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			forEachBackendApp(t, core.Config{}, func(t *testing.T, app *core.Application) {
				log := newHookLog()
				app.OnSession(recordingHook(log)) // succeeds: its close part must run
				realm, _ := app.Realm("realm1")
				realm.OnSession(func(context.Context, *core.Session) (func(context.Context), error) {
					return func(context.Context) { log.add("close failing") }, tc.err
				})
				p := dialPeer(t, app, transport.Info{})
				p.send(helloMsg("realm1", nil))
				a := p.wantAbort(tc.reason)
				if a.Details["message"] != tc.message {
					t.Errorf("ABORT message %v, want %q", a.Details["message"], tc.message)
				}
				got := []string{waitFor(t, log.ch, "event"), waitFor(t, log.ch, "event"), waitFor(t, log.ch, "event")}
				slices.Sort(got)
				if want := []string{"close anonymous", "close failing", "open anonymous"}; !slices.Equal(got, want) {
					t.Errorf("hook events %v, want %v", got, want)
				}
				if n, _ := realm.SessionCount(ctxT(t)); n != 1 {
					t.Errorf("SessionCount = %d, want 1 (the local session only)", n)
				}
			})
		})
	}
}

// TestSessionHooksScope: application hooks run in every realm, including
// realms added later; a realm's hooks only in that realm.
func TestSessionHooksScope(t *testing.T) {
	cfg := core.Config{Realms: []core.RealmConfig{{URI: "guests"}, {URI: "admins"}}}
	forEachBackendApp(t, cfg, func(t *testing.T, app *core.Application) {
		log := newHookLog()
		app.OnSession(func(_ context.Context, s *core.Session) (func(context.Context), error) {
			log.add("app " + string(s.Realm.URI()))
			return nil, nil
		})
		admins, _ := app.Realm("admins")
		admins.OnSession(func(_ context.Context, s *core.Session) (func(context.Context), error) {
			log.add("admins " + string(s.Realm.URI()))
			return nil, nil
		})
		if _, err := app.AddRealm(core.RealmConfig{URI: "later"}); err != nil {
			t.Fatal(err)
		}
		for _, tc := range []struct {
			realm wamp.URI
			want  []string
		}{
			{"guests", []string{"app guests"}},
			{"later", []string{"app later"}},
			{"admins", []string{"admins admins", "app admins"}},
		} {
			p := dialPeer(t, app, transport.Info{})
			p.join(tc.realm, nil)
			var got []string
			for range tc.want {
				got = append(got, waitFor(t, log.ch, "hook"))
			}
			slices.Sort(got)
			if !slices.Equal(got, tc.want) {
				t.Errorf("%s: hooks %v, want %v", tc.realm, got, tc.want)
			}
		}
	})
}

// TestSessionHooksStartConcurrently: every open part starts before any has
// to finish (two hooks that wait for each other both complete). Only on
// the goroutine backend, where tasks run in parallel; on the others the
// guarantee is only that no hook waits for another to be scheduled.
func TestSessionHooksStartConcurrently(t *testing.T) {
	b := goroutine.New(goroutine.Config{})
	defer b.Close()
	app, err := core.New(core.Config{Backend: b, Realms: []core.RealmConfig{{URI: "realm1"}}})
	if err != nil {
		t.Fatal(err)
	}
	defer app.Close(context.Background())
	var barrier sync.WaitGroup
	barrier.Add(2)
	hook := func(ctx context.Context, s *core.Session) (func(context.Context), error) {
		barrier.Done()
		done := make(chan struct{})
		go func() { barrier.Wait(); close(done) }()
		select {
		case <-done:
			return nil, nil
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
	app.OnSession(hook)
	app.OnSession(hook)
	p := dialPeer(t, app, transport.Info{})
	p.join("realm1", nil)
}
