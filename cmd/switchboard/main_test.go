package main

import (
	"context"
	"errors"
	"flag"
	"io"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/switchboard-wamp/switchboard/adapters/goroutine"
	"github.com/switchboard-wamp/switchboard/client"
	"github.com/switchboard-wamp/switchboard/core/wamp"
)

func TestParseFlags(t *testing.T) {
	o, err := parseFlags(nil, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if o.Addr != "127.0.0.1:8080" || o.Path != "/ws" || len(o.Realms) != 1 || o.Realms[0] != "realm1" {
		t.Fatalf("defaults = %+v", o)
	}
	o, err = parseFlags([]string{"-addr", ":0", "-realm", "a, b", "-log-level", "debug"}, io.Discard)
	if err != nil || len(o.Realms) != 2 || o.Realms[1] != "b" || o.LogLevel != slog.LevelDebug {
		t.Fatalf("parsed %+v, %v", o, err)
	}
	var help strings.Builder
	if _, err := parseFlags([]string{"-h"}, &help); !errors.Is(err, flag.ErrHelp) || !strings.Contains(help.String(), "-realm") {
		t.Fatalf("-h: err %v, output %q", err, help.String())
	}
	for _, bad := range [][]string{{"-realm", ""}, {"-log-level", "loud"}, {"extra"}} {
		if _, err := parseFlags(bad, io.Discard); err == nil {
			t.Errorf("%v: no error", bad)
		}
	}
}

// The binary's server: clients join realm1 anonymously, call each other,
// and on shutdown get GOODBYE wamp.close.system_shutdown.
func TestServeAndShutdown(t *testing.T) {
	o, err := parseFlags([]string{"-addr", "127.0.0.1:0"}, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	srv, err := start(o, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	be := goroutine.New(goroutine.Config{})
	defer be.Close()
	s, err := client.Dial(ctx, srv.URL(), client.Config{Realm: "realm1", Backend: be})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Register(ctx, "com.example.ping", func(context.Context, *client.Invocation) (*client.Result, error) {
		return &client.Result{Args: wamp.List{"pong"}}, nil
	}, nil); err != nil {
		t.Fatal(err)
	}
	res, err := s.Call(ctx, "com.example.ping", nil, nil, nil)
	if err != nil || res.Args[0] != "pong" {
		t.Fatalf("call: %v %v", res, err)
	}
	if err := srv.Shutdown(5 * time.Second); err != nil {
		t.Fatalf("shutdown: %v", err)
	}
	select {
	case <-s.Done():
	case <-ctx.Done():
		t.Fatal("session still open after shutdown")
	}
	var ce *client.CloseError
	if !errors.As(s.Err(), &ce) || ce.Reason != wamp.CloseSystemShutdown {
		t.Fatalf("session ended with %v, want %s", s.Err(), wamp.CloseSystemShutdown)
	}
}
