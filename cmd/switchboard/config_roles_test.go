package main

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/switchboard-wamp/switchboard/adapters/goroutine"
	"github.com/switchboard-wamp/switchboard/client"
	"github.com/switchboard-wamp/switchboard/core/serialize"
	"github.com/switchboard-wamp/switchboard/core/wamp"
)

// A realm's roles in the YAML file reach the router: an anonymous client
// may subscribe and call under the public prefix, and nothing else.
func TestConfigRolesServed(t *testing.T) {
	file := filepath.Join(t.TempDir(), "roles.yaml")
	text := `realms:
  - uri: realm1
    roles:
      - name: anonymous
        permissions:
          - {uri: com.example.public., match: prefix, allow: [call, subscribe]}
listeners:
  - {type: websocket, address: "127.0.0.1:0"}
`
	if err := os.WriteFile(file, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	c, err := parseFlags([]string{"-config", file}, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	srv, err := start(c, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Shutdown(5 * time.Second)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	be := goroutine.New(goroutine.Config{})
	defer be.Close()
	s, err := client.Dial(ctx, srv.URLs()[0], client.Config{Realm: "realm1", Backend: be, Serializers: []serialize.Serializer{serialize.JSON}})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Leave(ctx, "")
	if _, err := s.Subscribe(ctx, "com.example.public.news", func(*client.Event) {}, nil); err != nil {
		t.Fatalf("subscribe to a public topic: %v", err)
	}
	_, err = s.Register(ctx, "com.example.public.proc", func(context.Context, *client.Invocation) (*client.Result, error) {
		return &client.Result{}, nil
	}, nil)
	var we *client.Error
	if !errors.As(err, &we) || we.URI != wamp.ErrNotAuthorized {
		t.Fatalf("register: %v, want %s", err, wamp.ErrNotAuthorized)
	}
	_, err = s.Call(ctx, "com.example.public.proc", nil, nil, nil)
	if !errors.As(err, &we) || we.URI != wamp.ErrNoSuchProcedure {
		t.Fatalf("call to a public procedure: %v, want %s (allowed, not registered)", err, wamp.ErrNoSuchProcedure)
	}
	_, err = s.Call(ctx, "com.example.private.proc", nil, nil, nil)
	if !errors.As(err, &we) || we.URI != wamp.ErrNotAuthorized {
		t.Fatalf("call to a private procedure: %v, want %s", err, wamp.ErrNotAuthorized)
	}
}
