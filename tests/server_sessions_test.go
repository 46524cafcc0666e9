package tests

import (
	"context"
	"errors"
	"net/http"
	"reflect"
	"slices"
	"testing"
	"time"

	"github.com/switchboard-wamp/switchboard/client"
	"github.com/switchboard-wamp/switchboard/core"
	"github.com/switchboard-wamp/switchboard/core/wamp"
	"github.com/switchboard-wamp/switchboard/tests/testrouter"
)

// End-to-end tests of the server-side session API (realms, authentication,
// session hooks, topic handlers, dependencies, server-side events) over a
// real WebSocket, with the Go client, on every backend.

// dialAs joins with the Go client configured by cfg (Backend filled in with
// a fresh backend of b's kind, closed at cleanup).
func dialAs(t *testing.T, b backend, r *testrouter.Router, cfg client.Config) (*client.Session, error) {
	t.Helper()
	as := b.New()
	cfg.Backend = as
	s, err := client.Dial(guardCtx(t), r.URL, cfg)
	if err != nil {
		as.Close()
		return nil, err
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		s.Leave(ctx, "")
		as.Close()
	})
	return s, nil
}

func wantAbortReason(t *testing.T, err error, reason wamp.URI) {
	t.Helper()
	var ce *client.CloseError
	if !errors.As(err, &ce) || ce.Reason != reason || !ce.Remote {
		t.Fatalf("err = %v, want ABORT %s from the router", err, reason)
	}
}

func recvWithin[T any](t *testing.T, ch <-chan T, what string) T {
	t.Helper()
	select {
	case v := <-ch:
		return v
	case <-time.After(guard):
		t.Fatalf("timed out waiting for %s", what)
		var zero T
		return zero
	}
}

func TestServerAuthentication(t *testing.T) {
	forEachBackend(t, func(t *testing.T, b backend) {
		r := testrouter.Serve(t, b.New(), core.Config{Realms: []core.RealmConfig{{URI: "secure"}}})
		secure, _ := r.App.Realm("secure")
		secure.SetAuthenticator(func(ctx context.Context, req *core.AuthRequest) (*core.Identity, error) {
			if req.Transport.Header.Get("X-Api-Key") != "k1" {
				return nil, &core.AbortError{URI: wamp.ErrAuthenticationDenied, Message: "unknown API key"}
			}
			a, err := req.Challenge(ctx, "toy", wamp.Dict{"nonce": "abc"})
			if err != nil {
				return nil, err
			}
			if a.Signature != "secret:abc" {
				return nil, &core.AbortError{URI: wamp.ErrAuthenticationDenied, Message: "wrong signature"}
			}
			return &core.Identity{AuthID: req.AuthID, AuthRole: "member", AuthExtra: wamp.Dict{"plan": "gold"}}, nil
		})
		answer := func(secret string) client.ChallengeHandler {
			return func(_ context.Context, c *wamp.Challenge) (string, wamp.Dict, error) {
				nonce, _ := c.Extra["nonce"].(string)
				return secret + ":" + nonce, nil, nil
			}
		}
		cfg := func(key, secret string) client.Config {
			return client.Config{Realm: "secure", AuthID: "dave", AuthMethods: []string{"toy"},
				Header: http.Header{"X-Api-Key": {key}}, OnChallenge: answer(secret)}
		}
		t.Run("admitted", func(t *testing.T) {
			s, err := dialAs(t, b, r, cfg("k1", "secret"))
			must(t, err)
			d := s.Details()
			got := []any{d["authid"], d["authrole"], d["authmethod"], d["authprovider"], d["realm"]}
			if want := []any{"dave", "member", "toy", "application", "secure"}; !reflect.DeepEqual(got, want) {
				t.Errorf("WELCOME identity %v, want %v", got, want)
			}
			if extra, _ := d["authextra"].(wamp.Dict); extra["plan"] != "gold" {
				t.Errorf("authextra %v, want {plan: gold}", d["authextra"])
			}
			sess, ok := secure.Session(s.ID())
			if !ok || sess.AuthID != "dave" || sess.AuthRole != "member" || sess.Transport.Header.Get("X-Api-Key") != "k1" {
				t.Errorf("server-side session %+v", sess)
			}
		})
		t.Run("wrong key", func(t *testing.T) {
			_, err := dialAs(t, b, r, cfg("nope", "secret"))
			wantAbortReason(t, err, wamp.ErrAuthenticationDenied)
		})
		t.Run("wrong secret", func(t *testing.T) {
			_, err := dialAs(t, b, r, cfg("k1", "guess"))
			wantAbortReason(t, err, wamp.ErrAuthenticationDenied)
		})
	})
}

type greeting string

func TestServerSessionLifecycle(t *testing.T) {
	forEachBackend(t, func(t *testing.T, b backend) {
		r := testrouter.Serve(t, b.New(), core.Config{Realms: []core.RealmConfig{{URI: "realm1"}}})
		core.Provide(r.App, greeting("hello"))
		events := make(chan string, 8)
		r.App.OnSession(func(ctx context.Context, s *core.Session) (func(context.Context), error) {
			s.Set("greeting", string(core.MustDep[greeting](ctx))+", "+s.AuthID)
			events <- "open"
			return func(context.Context) {
				v, _ := s.Get("greeting")
				events <- "close " + v.(string)
			}, nil
		})
		_, err := r.Realm.Register(guardCtx(t), "com.example.greeting", func(_ context.Context, inv *core.Invocation) (*core.Result, error) {
			v, _ := inv.Session.Get("greeting")
			return &core.Result{Args: wamp.List{v}}, nil
		}, nil)
		must(t, err)
		s, err := dialAs(t, b, r, client.Config{Realm: "realm1", AuthID: "ignored"})
		must(t, err)
		if got := recvWithin(t, events, "the open hook"); got != "open" {
			t.Fatalf("event %q, want open", got)
		}
		want := "hello, " + s.Details()["authid"].(string)
		res, err := s.Call(guardCtx(t), "com.example.greeting", nil, nil, nil)
		must(t, err)
		if res.Args[0] != want {
			t.Errorf("greeting %v, want %q (session data set by the open hook)", res.Args, want)
		}
		must(t, s.Leave(guardCtx(t), ""))
		if got := recvWithin(t, events, "the close hook"); got != "close "+want {
			t.Errorf("event %q, want %q", got, "close "+want)
		}
	})
}

func TestServerTopicsAndEvents(t *testing.T) {
	forEachBackend(t, func(t *testing.T, b backend) {
		r := testrouter.Serve(t, b.New(), core.Config{Realms: []core.RealmConfig{{URI: "realm1"}}})
		left := make(chan wamp.URI, 4)
		err := r.App.HandleTopic("com.example.inbox", func(_ context.Context, sub *core.TopicSubscription) (func(context.Context), error) {
			if sub.Topic != wamp.URI("com.example.inbox."+sub.Session.AuthID) {
				return nil, &core.Error{URI: wamp.ErrNotAuthorized, Args: wamp.List{"not your inbox"}}
			}
			return func(context.Context) { left <- sub.Topic }, nil
		}, &core.TopicOptions{Match: wamp.MatchPrefix})
		must(t, err)
		var sessions [2]*client.Session
		var inboxes [2]chan string
		for i := range sessions {
			s, err := dialAs(t, b, r, client.Config{Realm: "realm1"})
			must(t, err)
			sessions[i], inboxes[i] = s, make(chan string, 4)
			_, err = s.Subscribe(guardCtx(t), "com.example.news", func(e *client.Event) { inboxes[i] <- e.Args[0].(string) }, nil)
			must(t, err)
		}
		me := sessions[0]
		inbox := wamp.URI("com.example.inbox." + me.Details()["authid"].(string))
		_, err = me.Subscribe(guardCtx(t), "com.example.inbox.someone-else", func(*client.Event) {}, nil)
		wantErrorURI(t, err, wamp.ErrNotAuthorized)
		sub, err := me.Subscribe(guardCtx(t), inbox, func(e *client.Event) { inboxes[0] <- "inbox: " + e.Args[0].(string) }, nil)
		must(t, err)

		// Server-side events: to one session only, then to everyone.
		srv, ok := r.Realm.Session(me.ID())
		if !ok {
			t.Fatal("no server-side session")
		}
		must(t, srv.SendEvent(guardCtx(t), "com.example.news", wamp.List{"for you"}, nil))
		must(t, srv.SendEvent(guardCtx(t), inbox, wamp.List{"mail"}, nil))
		must(t, r.Realm.Publish(guardCtx(t), "com.example.news", wamp.List{"for all"}, nil, &core.PublishOptions{Acknowledge: true}))
		// The client runs each subscription's handler in order, but
		// subscriptions apart, so compare as a set.
		var got []string
		for range 3 {
			got = append(got, recvWithin(t, inboxes[0], "3 events"))
		}
		slices.Sort(got)
		if want := []string{"for all", "for you", "inbox: mail"}; !slices.Equal(got, want) {
			t.Errorf("session 0 got %q, want %q", got, want)
		}
		if got := recvWithin(t, inboxes[1], "for all"); got != "for all" {
			t.Errorf("session 1 got %q first, want only \"for all\"", got)
		}
		must(t, sub.Unsubscribe(guardCtx(t)))
		if got := recvWithin(t, left, "onLeave"); got != inbox {
			t.Errorf("onLeave for %q, want %q", got, inbox)
		}
	})
}

func TestServerDefaultRealm(t *testing.T) {
	forEachBackend(t, func(t *testing.T, b backend) {
		r := testrouter.Serve(t, b.New(), core.Config{DefaultRealm: &core.RealmConfig{URI: "fallback"}})
		s, err := dialAs(t, b, r, client.Config{Realm: "com.example.anything"})
		must(t, err)
		if got := s.Details()["realm"]; got != "com.example.anything" {
			t.Errorf("WELCOME realm %v, want the realm asked for", got)
		}
		def, _ := r.App.DefaultRealm()
		srv, ok := def.Session(s.ID())
		if !ok || srv.RealmName != "com.example.anything" || def.URI() != "fallback" {
			t.Errorf("server-side session %+v in %s", srv, def.URI())
		}
		r2 := testrouter.Serve(t, b.New(), core.Config{Realms: []core.RealmConfig{{URI: "realm1"}}})
		_, err = dialAs(t, b, r2, client.Config{Realm: "com.example.anything"})
		wantAbortReason(t, err, wamp.ErrNoSuchRealm)
	})
}
