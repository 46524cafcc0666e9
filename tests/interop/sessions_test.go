package interop

import (
	"context"
	"strings"
	"testing"

	"github.com/switchboard-wamp/switchboard/core"
	"github.com/switchboard-wamp/switchboard/core/wamp"
	"github.com/switchboard-wamp/switchboard/tests/testrouter"
)

// setupSessionScenarios adds what js/scenarios_sessions.js needs to a test
// router: realm "interop.auth", whose authentication hook challenges every
// HELLO with "ticket" and admits authid "js-user" with ticket "js-secret"
// as role "js-role" (authextra {greeting}), and the procedure
// com.example.go.send_to_me [topic, value] in realm1, which sends value to
// the calling session alone and then publishes "for everyone" to topic.
func setupSessionScenarios(t *testing.T, r *testrouter.Router) {
	t.Helper()
	realm, err := r.App.AddRealm(core.RealmConfig{URI: "interop.auth"})
	if err != nil {
		t.Fatal(err)
	}
	realm.SetAuthenticator(func(ctx context.Context, req *core.AuthRequest) (*core.Identity, error) {
		a, err := req.Challenge(ctx, "ticket", nil)
		if err != nil {
			return nil, err
		}
		if req.AuthID != "js-user" || a.Signature != "js-secret" {
			return nil, &core.AbortError{URI: wamp.ErrAuthenticationDenied, Message: "invalid ticket"}
		}
		return &core.Identity{AuthID: req.AuthID, AuthRole: "js-role", AuthExtra: wamp.Dict{"greeting": "hello " + req.AuthID}}, nil
	})
	_, err = r.Realm.Register(context.Background(), "com.example.go.send_to_me", core.Blocking(func(ctx context.Context, inv *core.Invocation) (*core.Result, error) {
		if len(inv.Args) != 2 || inv.Session == nil {
			return nil, &core.Error{URI: wamp.ErrInvalidArgument, Args: wamp.List{"send_to_me takes [topic, value] from a remote session"}}
		}
		topic, _ := inv.Args[0].(string)
		if err := inv.Session.SendEvent(ctx, wamp.URI(topic), wamp.List{inv.Args[1]}, nil); err != nil {
			return nil, err
		}
		err := r.Realm.Publish(ctx, wamp.URI(topic), wamp.List{"for everyone"}, nil, &core.PublishOptions{Acknowledge: true})
		return &core.Result{}, err
	}), nil)
	if err != nil {
		t.Fatal(err)
	}
}

// TestAutobahnJSSessions drives the server-side session API with
// autobahn-js on every backend: the authentication hook refusing a client
// (which sees the ABORT reason), admitting one (which sees the identity in
// its join details), and an event the Go application sends to one session.
func TestAutobahnJSSessions(t *testing.T) {
	EnsureNodeDeps(t)
	for _, b := range testrouter.Backends() {
		t.Run(b.Name, func(t *testing.T) {
			r := testrouter.Start(t, b.New())
			setupSessionScenarios(t, r)
			t.Run("auth-abort", func(t *testing.T) {
				got := RunScenario(t, r.URL, "interop.auth", "auth-abort", "json")
				wantJSON(t, got, "abort_reason", `"wamp.error.authentication_denied"`)
				wantJSON(t, got, "abort_message", `"invalid ticket"`)
				wantJSON(t, got, "close_reason", `"closed"`)
			})
			t.Run("auth-admit", func(t *testing.T) {
				got := RunScenario(t, r.URL, "interop.auth", "auth-admit", "json")
				wantJSON(t, got, "authid", `"js-user"`)
				wantJSON(t, got, "authrole", `"js-role"`)
				wantJSON(t, got, "authmethod", `"ticket"`)
				wantJSON(t, got, "authprovider", `"application"`)
				wantJSON(t, got, "authextra", `{"greeting":"hello js-user"}`)
				wantJSON(t, got, "challenges", `["ticket"]`)
			})
			t.Run("server-event", func(t *testing.T) {
				got := RunScenario(t, r.URL, "realm1", "server-event", "json")
				wantJSON(t, got, "a_received", `["only for A","for everyone"]`)
				wantJSON(t, got, "b_received", `["for everyone"]`)
			})
		})
	}
}

// TestSessionScenariosDeadRouter: the session scenarios end by themselves
// with a connection error (not a false "ABORT seen") when nothing listens.
func TestSessionScenariosDeadRouter(t *testing.T) {
	url := closedPortURL(t)
	for _, sc := range []string{"auth-abort", "auth-admit", "server-event"} {
		t.Run(sc, func(t *testing.T) {
			msg := execFailing(t, ScenarioSpec{URL: url, Realm: "interop.auth", Scenario: sc, Serializer: "json"})
			if !strings.Contains(msg, "connection unreachable") {
				t.Errorf("error = %q, want it to contain %q", msg, "connection unreachable")
			}
		})
	}
}
