package core_test

import (
	"context"
	"errors"
	"net/http"
	"reflect"
	"strconv"
	"testing"
	"time"

	"github.com/switchboard-wamp/switchboard/core"
	"github.com/switchboard-wamp/switchboard/core/wamp"
	"github.com/switchboard-wamp/switchboard/transport"
)

func TestAuthenticatorAdmits(t *testing.T) {
	tests := []struct {
		name string
		id   core.Identity
		want func(sid wamp.ID) wamp.Dict // WELCOME details other than roles
	}{
		{
			name: "full identity",
			id:   core.Identity{AuthID: "alice", AuthRole: "admin", AuthMethod: "ticket", AuthProvider: "db", AuthExtra: wamp.Dict{"plan": "gold"}},
			want: func(wamp.ID) wamp.Dict {
				return wamp.Dict{"realm": "realm1", "authid": "alice", "authrole": "admin", "authmethod": "ticket",
					"authprovider": "db", "authextra": wamp.Dict{"plan": "gold"}}
			},
		},
		{
			name: "defaults",
			id:   core.Identity{},
			want: func(sid wamp.ID) wamp.Dict {
				return wamp.Dict{"realm": "realm1", "authid": strconv.FormatUint(uint64(sid), 10), "authrole": "authenticated",
					"authmethod": "custom", "authprovider": "application"}
			},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			forEachBackendApp(t, core.Config{}, func(t *testing.T, app *core.Application) {
				app.SetAuthenticator(func(context.Context, *core.AuthRequest) (*core.Identity, error) {
					id := tc.id
					return &id, nil
				})
				realm, _ := app.Realm("realm1")
				p := dialPeer(t, app, transport.Info{})
				w := p.join("realm1", wamp.Dict{"authmethods": wamp.List{"ticket"}, "authid": "claimed"})
				got := wamp.Dict{}
				for k, v := range w.Details {
					if k != "roles" {
						got[k] = v
					}
				}
				if want := tc.want(w.Session); !reflect.DeepEqual(got, want) {
					t.Errorf("WELCOME details %v, want %v", got, want)
				}
				s, ok := realm.Session(w.Session)
				if !ok {
					t.Fatal("session not in the realm's registry")
				}
				if s.AuthID != got["authid"] || s.AuthRole != got["authrole"] || s.AuthMethod != got["authmethod"] ||
					s.AuthProvider != got["authprovider"] || s.RealmName != "realm1" || s.Realm != realm {
					t.Errorf("Session %+v does not match WELCOME %v", s, got)
				}
				if !reflect.DeepEqual(s.AuthExtra, tc.id.AuthExtra) {
					t.Errorf("Session.AuthExtra %v, want %v", s.AuthExtra, tc.id.AuthExtra)
				}
			})
		})
	}
}

func TestAuthenticatorSeesRequest(t *testing.T) {
	forEachBackendApp(t, core.Config{}, func(t *testing.T, app *core.Application) {
		type dep struct{ name string }
		core.Provide(app, &dep{"db"})
		reqs := make(chan *core.AuthRequest, 1)
		deps := make(chan string, 1)
		app.SetAuthenticator(func(ctx context.Context, req *core.AuthRequest) (*core.Identity, error) {
			d, _ := core.Dep[*dep](ctx)
			deps <- d.name
			reqs <- req
			return &core.Identity{AuthID: req.AuthID}, nil
		})
		info := transport.Info{Transport: "websocket", Serializer: "json", PeerAddr: "127.0.0.1:4242", Path: "/ws",
			Query: "token=abc", Header: http.Header{"X-Api-Key": {"k1"}}, Cookies: []*http.Cookie{{Name: "sid", Value: "c1"}}, TLS: true}
		p := dialPeer(t, app, info)
		w := p.join("realm1", wamp.Dict{"authid": "bob", "authmethods": wamp.List{"cookie", "ticket"},
			"authextra": wamp.Dict{"device": "phone"}, "agent": "test/1"})
		req := waitFor(t, reqs, "the auth request")
		if d := waitFor(t, deps, "the dependency"); d != "db" {
			t.Errorf("Dep in the authenticator = %q, want db", d)
		}
		switch {
		case req.SessionID != w.Session:
			t.Errorf("SessionID %d, WELCOME session %d", req.SessionID, w.Session)
		case req.Realm != "realm1" || req.RealmURI != "realm1":
			t.Errorf("Realm %q RealmURI %q", req.Realm, req.RealmURI)
		case req.AuthID != "bob" || !reflect.DeepEqual(req.AuthMethods, []string{"cookie", "ticket"}):
			t.Errorf("AuthID %q AuthMethods %v", req.AuthID, req.AuthMethods)
		case !reflect.DeepEqual(req.AuthExtra, wamp.Dict{"device": "phone"}) || req.Details["agent"] != "test/1":
			t.Errorf("AuthExtra %v Details %v", req.AuthExtra, req.Details)
		case !reflect.DeepEqual(req.Transport, core.Connection(info)):
			t.Errorf("Transport %+v, want %+v", req.Transport, info)
		}
		if w.Details["authid"] != "bob" {
			t.Errorf("authid %v, want bob (the authenticator copied the claim)", w.Details["authid"])
		}
	})
}

func TestAuthenticatorRefuses(t *testing.T) {
	tests := []struct {
		name    string
		auth    core.Authenticator
		reason  wamp.URI
		message string
	}{
		{"abort error", func(context.Context, *core.AuthRequest) (*core.Identity, error) {
			return nil, &core.AbortError{URI: wamp.ErrAuthenticationDenied, Message: "bad ticket"}
		}, wamp.ErrAuthenticationDenied, "bad ticket"},
		{"wrapped abort error", func(context.Context, *core.AuthRequest) (*core.Identity, error) {
			return nil, errors.Join(errors.New("x"), &core.AbortError{URI: wamp.ErrNoSuchRole, Message: "no role"})
		}, wamp.ErrNoSuchRole, "no role"},
		{"plain error", func(context.Context, *core.AuthRequest) (*core.Identity, error) {
			return nil, errors.New("db password is hunter2")
		}, wamp.ErrAuthenticationFailed, "authentication failed"},
		{"neither identity nor error", func(context.Context, *core.AuthRequest) (*core.Identity, error) {
			return nil, nil
		}, wamp.ErrAuthenticationFailed, "authentication failed"},
		{"panic", func(context.Context, *core.AuthRequest) (*core.Identity, error) {
			panic("boom")
		}, wamp.ErrAuthenticationFailed, "authentication failed"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			forEachBackendApp(t, core.Config{}, func(t *testing.T, app *core.Application) {
				realm, _ := app.Realm("realm1")
				realm.SetAuthenticator(tc.auth)
				p := dialPeer(t, app, transport.Info{})
				p.send(helloMsg("realm1", nil))
				a := p.wantAbort(tc.reason)
				if a.Details["message"] != tc.message {
					t.Errorf("ABORT message %v, want %q", a.Details["message"], tc.message)
				}
				if n, _ := realm.SessionCount(ctxT(t)); n != 1 {
					t.Errorf("SessionCount = %d, want 1 (the local session only)", n)
				}
			})
		})
	}
}

// toyAuth is a challenge-response method for the tests: CHALLENGE carries a
// nonce, and the signature must be the secret followed by the nonce. With
// rounds=2 it asks twice.
func toyAuth(rounds int) core.Authenticator {
	return func(ctx context.Context, req *core.AuthRequest) (*core.Identity, error) {
		for i := range rounds {
			nonce := "n" + strconv.Itoa(i)
			a, err := req.Challenge(ctx, "toy", wamp.Dict{"nonce": nonce})
			if err != nil {
				return nil, err
			}
			if a.Signature != "secret:"+nonce {
				return nil, &core.AbortError{URI: wamp.ErrAuthenticationDenied, Message: "wrong signature"}
			}
		}
		return &core.Identity{AuthID: req.AuthID, AuthRole: "user"}, nil
	}
}

func TestChallengeRoundTrip(t *testing.T) {
	tests := []struct {
		name   string
		rounds int
		secret string
		admit  bool
	}{
		{"one round", 1, "secret", true},
		{"two rounds", 2, "secret", true},
		{"wrong secret", 1, "guess", false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			forEachBackendApp(t, core.Config{}, func(t *testing.T, app *core.Application) {
				app.SetAuthenticator(toyAuth(tc.rounds))
				p := dialPeer(t, app, transport.Info{})
				p.send(helloMsg("realm1", wamp.Dict{"authid": "carol", "authmethods": wamp.List{"toy"}}))
				for i := range tc.rounds {
					m := p.recv()
					ch, ok := m.(*wamp.Challenge)
					if !ok || ch.AuthMethod != "toy" || ch.Extra["nonce"] != "n"+strconv.Itoa(i) {
						t.Fatalf("round %d: got %#v, want CHALLENGE toy {nonce: n%d}", i, m, i)
					}
					p.send(&wamp.Authenticate{Signature: tc.secret + ":" + ch.Extra["nonce"].(string), Extra: wamp.Dict{}})
					if !tc.admit {
						break
					}
				}
				if !tc.admit {
					p.wantAbort(wamp.ErrAuthenticationDenied)
					return
				}
				m := p.recv()
				w, ok := m.(*wamp.Welcome)
				if !ok || w.Details["authid"] != "carol" || w.Details["authmethod"] != "toy" || w.Details["authrole"] != "user" {
					t.Fatalf("got %#v, want WELCOME carol/user/toy", m)
				}
			})
		})
	}
}

// blockingAuth parks in the authenticator until its context ends and
// reports that on ended. (On the eventloop backend it runs on an Offload
// helper, so blocking is allowed.)
func blockingAuth(started chan<- struct{}, ended chan<- error) core.Authenticator {
	return func(ctx context.Context, req *core.AuthRequest) (*core.Identity, error) {
		started <- struct{}{}
		<-ctx.Done()
		ended <- ctx.Err()
		return nil, ctx.Err()
	}
}

func TestHandshakeEndsDuringAuthentication(t *testing.T) {
	tests := []struct {
		name    string
		timeout time.Duration
		act     func(p *fakePeer)
		reason  wamp.URI // "" = no ABORT, the connection just goes
	}{
		{"message before WELCOME", 0, func(p *fakePeer) {
			p.send(&wamp.Call{Request: 1, Options: wamp.Dict{}, Procedure: "com.x"})
		}, wamp.ErrProtocolViolationURI},
		{"AUTHENTICATE without CHALLENGE", 0, func(p *fakePeer) {
			p.send(&wamp.Authenticate{Signature: "x", Extra: wamp.Dict{}})
		}, wamp.ErrProtocolViolationURI},
		{"second HELLO", 0, func(p *fakePeer) { p.send(helloMsg("realm1", nil)) }, wamp.ErrProtocolViolationURI},
		{"client ABORT", 0, func(p *fakePeer) {
			p.send(&wamp.Abort{Details: wamp.Dict{}, Reason: wamp.CloseNormal})
		}, ""},
		{"connection dropped", 0, func(p *fakePeer) { p.drop() }, ""},
		{"handshake timeout", 50 * time.Millisecond, func(*fakePeer) {}, wamp.ErrAuthenticationFailed},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			forEachBackendApp(t, core.Config{HandshakeTimeout: tc.timeout}, func(t *testing.T, app *core.Application) {
				started, ended := make(chan struct{}, 1), make(chan error, 1)
				app.SetAuthenticator(blockingAuth(started, ended))
				p := dialPeer(t, app, transport.Info{})
				p.send(helloMsg("realm1", nil))
				waitFor(t, started, "the authenticator to start")
				tc.act(p)
				if tc.reason != "" {
					p.wantAbort(tc.reason)
				} else {
					p.waitClosed()
				}
				if err := waitFor(t, ended, "the authenticator's context to end"); err == nil {
					t.Fatal("authenticator context not cancelled")
				}
				realm, _ := app.Realm("realm1")
				if n, _ := realm.SessionCount(ctxT(t)); n != 1 {
					t.Errorf("SessionCount = %d, want 1 (the local session only)", n)
				}
			})
		})
	}
}

func TestChallengeEndsWithHandshake(t *testing.T) {
	forEachBackendApp(t, core.Config{}, func(t *testing.T, app *core.Application) {
		errs := make(chan error, 1)
		app.SetAuthenticator(func(ctx context.Context, req *core.AuthRequest) (*core.Identity, error) {
			_, err := req.Challenge(context.Background(), "toy", nil) // only the handshake can end it
			errs <- err
			return nil, err
		})
		p := dialPeer(t, app, transport.Info{})
		p.send(helloMsg("realm1", nil))
		if ch, ok := p.recv().(*wamp.Challenge); !ok || ch.Extra == nil {
			t.Fatalf("want CHALLENGE with a non-nil Extra, got %#v", ch)
		}
		p.drop()
		if err := waitFor(t, errs, "Challenge to return"); !errors.Is(err, core.ErrHandshakeEnded) {
			t.Fatalf("Challenge err = %v, want ErrHandshakeEnded", err)
		}
	})
}

func TestRealmAuthenticatorOverridesApplication(t *testing.T) {
	cfg := core.Config{Realms: []core.RealmConfig{{URI: "guests"}, {URI: "admins"}}}
	forEachBackendApp(t, cfg, func(t *testing.T, app *core.Application) {
		app.SetAuthenticator(func(context.Context, *core.AuthRequest) (*core.Identity, error) {
			return &core.Identity{AuthRole: "guest"}, nil
		})
		admins, _ := app.Realm("admins")
		admins.SetAuthenticator(func(_ context.Context, req *core.AuthRequest) (*core.Identity, error) {
			if req.AuthID != "root" {
				return nil, &core.AbortError{URI: wamp.ErrAuthenticationDenied, Message: "admins only"}
			}
			return &core.Identity{AuthID: "root", AuthRole: "admin"}, nil
		})
		later, err := app.AddRealm(core.RealmConfig{URI: "later"})
		if err != nil {
			t.Fatal(err)
		}
		_ = later
		tests := []struct {
			realm  wamp.URI
			authid string
			role   string // "" = refused
		}{
			{"guests", "", "guest"},
			{"later", "", "guest"},
			{"admins", "root", "admin"},
			{"admins", "mallory", ""},
		}
		for _, tc := range tests {
			p := dialPeer(t, app, transport.Info{})
			p.send(helloMsg(tc.realm, wamp.Dict{"authid": tc.authid}))
			if tc.role == "" {
				p.wantAbort(wamp.ErrAuthenticationDenied)
				continue
			}
			m := p.recv()
			if w, ok := m.(*wamp.Welcome); !ok || w.Details["authrole"] != tc.role {
				t.Errorf("%s/%s: got %#v, want WELCOME with role %s", tc.realm, tc.authid, m, tc.role)
			}
		}
		// Removing the realm's own authenticator falls back to the
		// application's.
		admins.SetAuthenticator(nil)
		p := dialPeer(t, app, transport.Info{})
		if w := p.join("admins", nil); w.Details["authrole"] != "guest" {
			t.Errorf("after SetAuthenticator(nil): role %v, want guest", w.Details["authrole"])
		}
	})
}

func TestAnonymousOnlyWithoutAuthenticator(t *testing.T) {
	forEachBackendApp(t, core.Config{}, func(t *testing.T, app *core.Application) {
		p := dialPeer(t, app, transport.Info{})
		p.send(helloMsg("realm1", wamp.Dict{"authmethods": wamp.List{"ticket"}}))
		p.wantAbort(wamp.ErrNoMatchingAuthMethod)
		q := dialPeer(t, app, transport.Info{})
		w := q.join("realm1", wamp.Dict{"authmethods": wamp.List{"ticket", "anonymous"}})
		if w.Details["authmethod"] != "anonymous" || w.Details["authrole"] != "anonymous" {
			t.Errorf("WELCOME %v, want anonymous", w.Details)
		}
	})
}
