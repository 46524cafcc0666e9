package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/switchboard-wamp/switchboard/client"
	"github.com/switchboard-wamp/switchboard/client/authenticate"
	"github.com/switchboard-wamp/switchboard/core/wamp"
)

// reloadAuthYAML is realm1 with anonymous sessions (role public), the
// ticket users listed (role member) and the member role allowed memberAllow
// under com.example.; bob's ticket is read from bobFile.
func reloadAuthYAML(bobFile, memberAllow string, users ...string) string {
	var b strings.Builder
	for _, u := range users {
		if u == "bob" {
			fmt.Fprintf(&b, "        - {authid: bob, role: member, ticket: {secret_file: %s}}\n", bobFile)
			continue
		}
		fmt.Fprintf(&b, "        - {authid: %s, role: member, ticket: {secret: %s-ticket}}\n", u, u)
	}
	return fmt.Sprintf(`realms:
  - uri: realm1
    roles:
      - name: public
        permissions: [{uri: com.example.public., match: prefix, allow: [call, subscribe]}]
      - name: member
        permissions: [{uri: com.example., match: prefix, allow: [%s]}]
    auth:
      anonymous: {role: public}
      throttle: {disabled: true}
      users:
%slisteners: [{type: websocket, address: "127.0.0.1:0"}]
`, memberAllow, b.String())
}

// SIGHUP applies a realm's new users and roles to the running router:
//
//   - a user removed from the auth section loses its session, GOODBYE
//     switchboard.close.user_removed, and cannot join again; the other
//     users' and the anonymous sessions stay, and a user added can join;
//   - roles changed take effect on the next request of a session that
//     stays joined;
//   - a secret read from a file (secret_file) is read again: a rotated
//     ticket is accepted and the old one refused, though the file's text
//     is the same;
//   - a file whose auth section is invalid is refused as a whole and the
//     running users and roles stay.
func TestReloadUsersAndRoles(t *testing.T) {
	bobFile := filepath.Join(t.TempDir(), "bob.ticket")
	writeSecret := func(s string) {
		if err := os.WriteFile(bobFile, []byte(s+"\n"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	writeSecret("bob-ticket-1")
	r := runFile(t, reloadAuthYAML(bobFile, "call, register, publish, subscribe", "alice", "bob"))
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	join := func(a authenticate.Auth) (*client.Session, error) {
		cfg := client.Config{Realm: "realm1", Backend: r.be, Logger: quietLog()}
		a.Apply(&cfg)
		return client.Dial(ctx, r.srv.URLs()[0], cfg)
	}
	mustJoin := func(a authenticate.Auth) *client.Session {
		t.Helper()
		s, err := join(a)
		if err != nil {
			t.Fatalf("join as %q: %v", a.AuthID, err)
		}
		return s
	}
	denied := func(what string, err error) {
		t.Helper()
		var ce *client.CloseError
		if !errors.As(err, &ce) || ce.Reason != wamp.ErrAuthenticationDenied {
			t.Fatalf("%s: %v, want ABORT %s", what, err, wamp.ErrAuthenticationDenied)
		}
	}
	reloaded := func(text string) {
		t.Helper()
		before := strings.Count(r.logs.String(), "msg=reloaded")
		r.write(t, text)
		r.sigs <- syscall.SIGHUP
		waitUntil(t, "the reload", func() bool { return strings.Count(r.logs.String(), "msg=reloaded") > before })
	}
	publish := func(s *client.Session) error {
		return s.Publish(ctx, "com.example.news", nil, nil, &client.PublishOptions{Acknowledge: true})
	}
	alice := mustJoin(authenticate.Ticket("alice", "alice-ticket"))
	bob := mustJoin(authenticate.Ticket("bob", "bob-ticket-1"))
	anon := mustJoin(authenticate.Auth{})
	if err := publish(bob); err != nil {
		t.Fatalf("bob publishes before the reload: %v", err)
	}

	// alice removed, carol added, members may no longer publish, bob's
	// ticket rotated in its file.
	writeSecret("bob-ticket-2")
	reloaded(reloadAuthYAML(bobFile, "call, register, subscribe", "bob", "carol"))
	closedWith(t, "alice's session", alice, userRemoved)
	denied("alice after her removal", func() error { _, err := join(authenticate.Ticket("alice", "alice-ticket")); return err }())
	var we *client.Error
	if err := publish(bob); !errors.As(err, &we) || we.URI != wamp.ErrNotAuthorized {
		t.Fatalf("bob's publish after members lost publish: %v, want %s", err, wamp.ErrNotAuthorized)
	}
	if _, err := bob.Call(ctx, "com.example.public.nothing", nil, nil, nil); !errors.As(err, &we) || we.URI != wamp.ErrNoSuchProcedure {
		t.Fatalf("bob's session after the reload: %v, want %s (allowed, nobody registered)", err, wamp.ErrNoSuchProcedure)
	}
	if _, err := anon.Call(ctx, "com.example.public.nothing", nil, nil, nil); !errors.As(err, &we) || we.URI != wamp.ErrNoSuchProcedure {
		t.Fatalf("the anonymous session after the reload: %v", err)
	}
	carol := mustJoin(authenticate.Ticket("carol", "carol-ticket"))
	carol.Leave(ctx, "")
	denied("bob's old ticket after the rotation", func() error { _, err := join(authenticate.Ticket("bob", "bob-ticket-1")); return err }())
	mustJoin(authenticate.Ticket("bob", "bob-ticket-2")).Leave(ctx, "")
	// Only the secret file changes: the same text, another ticket.
	writeSecret("bob-ticket-3")
	reloaded(reloadAuthYAML(bobFile, "call, register, subscribe", "bob", "carol"))
	denied("bob's ticket before the second rotation", func() error { _, err := join(authenticate.Ticket("bob", "bob-ticket-2")); return err }())
	mustJoin(authenticate.Ticket("bob", "bob-ticket-3")).Leave(ctx, "")
	if !strings.Contains(r.logs.String(), "authid=alice") || strings.Contains(r.logs.String(), "bob-ticket-") {
		t.Fatalf("the removal is not logged, or a ticket is:\n%s", r.logs)
	}

	// Invalid auth sections: each reload is refused, users and roles stay.
	for name, text := range map[string]string{
		"duplicate user": reloadAuthYAML(bobFile, "call, register, publish, subscribe", "bob", "dan", "dan"),
		"missing secret file": strings.Replace(reloadAuthYAML(bobFile, "call, register, publish, subscribe", "bob", "dan"),
			bobFile, bobFile+".missing", 1),
		"no method": strings.Replace(reloadAuthYAML(bobFile, "call, register, publish, subscribe", "bob", "dan"),
			"ticket: {secret: dan-ticket}", "role: member", 1),
	} {
		before := strings.Count(r.logs.String(), "reload refused")
		r.write(t, text)
		r.sigs <- syscall.SIGHUP
		waitUntil(t, name+" to be refused", func() bool { return strings.Count(r.logs.String(), "reload refused") > before })
	}
	denied("dan, in refused files only", func() error { _, err := join(authenticate.Ticket("dan", "dan-ticket")); return err }())
	mustJoin(authenticate.Ticket("carol", "carol-ticket")).Leave(ctx, "")
	if err := publish(bob); !errors.As(err, &we) || we.URI != wamp.ErrNotAuthorized {
		t.Fatalf("bob's publish after the refused reloads: %v, want the kept roles' %s", err, wamp.ErrNotAuthorized)
	}
	for name, s := range map[string]*client.Session{"bob": bob, "anonymous": anon} {
		select {
		case <-s.Done():
			t.Fatalf("%s's session ended: %v", name, s.Err())
		default:
		}
	}
}

// A user removed by a reload while its authentication is under way (its
// CHALLENGE answered only after the reload) is refused: it does not slip
// in after reloadAuth closed the user's sessions. A kept user in the same
// position joins.
func TestReloadRemovesUserMidChallenge(t *testing.T) {
	bobFile := filepath.Join(t.TempDir(), "bob.ticket")
	if err := os.WriteFile(bobFile, []byte("bob-ticket"), 0o600); err != nil {
		t.Fatal(err)
	}
	r := runFile(t, reloadAuthYAML(bobFile, "call", "alice", "bob"))
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	// held starts a join whose CHALLENGE is answered when release closes.
	held := func(authid string) (challenged chan struct{}, release chan struct{}, result chan error) {
		challenged, release, result = make(chan struct{}), make(chan struct{}), make(chan error, 1)
		a := authenticate.Ticket(authid, authid+"-ticket")
		answer := a.OnChallenge
		a.OnChallenge = func(ctx context.Context, c *wamp.Challenge) (string, wamp.Dict, error) {
			close(challenged)
			select {
			case <-release:
			case <-ctx.Done():
				return "", nil, ctx.Err()
			}
			return answer(ctx, c)
		}
		cfg := client.Config{Realm: "realm1", Backend: r.be, Logger: quietLog()}
		a.Apply(&cfg)
		go func() {
			s, err := client.Dial(ctx, r.srv.URLs()[0], cfg)
			if err == nil {
				s.Leave(ctx, "")
			}
			result <- err
		}()
		return challenged, release, result
	}
	wait := func(what string, ch chan struct{}) {
		t.Helper()
		select {
		case <-ch:
		case <-time.After(30 * time.Second):
			t.Fatalf("timed out waiting for %s", what)
		}
	}
	aliceChallenged, aliceRelease, aliceResult := held("alice")
	wait("alice's challenge", aliceChallenged)
	bobChallenged, bobRelease, bobResult := held("bob")
	wait("bob's challenge", bobChallenged)

	r.write(t, reloadAuthYAML(bobFile, "call", "bob"))
	r.sigs <- syscall.SIGHUP
	waitUntil(t, "the reload", func() bool { return strings.Contains(r.logs.String(), "msg=reloaded") })
	close(aliceRelease)
	close(bobRelease)
	for name, res := range map[string]chan error{"alice": aliceResult, "bob": bobResult} {
		var err error
		select {
		case err = <-res:
		case <-time.After(30 * time.Second):
			t.Fatalf("%s's join did not end", name)
		}
		var ce *client.CloseError
		switch {
		case name == "bob" && err != nil:
			t.Errorf("bob, kept, answering after the reload: %v", err)
		case name == "alice" && (!errors.As(err, &ce) || ce.Reason != wamp.ErrAuthenticationDenied):
			t.Errorf("alice, removed, answering after the reload: %v, want ABORT %s", err, wamp.ErrAuthenticationDenied)
		}
	}
}
