package main

import (
	"context"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/switchboard-wamp/switchboard/adapters/goroutine"
	"github.com/switchboard-wamp/switchboard/client"
)

// A websocket listener with static: {dir, prefix} serves the directory's
// files under the prefix, a subdirectory only through its index.html, and
// its WebSocket endpoint as before.
func TestStaticFiles(t *testing.T) {
	dir := t.TempDir()
	for name, text := range map[string]string{"index.html": "<p>home</p>", "app.js": "let x = 1;", "sub/note.txt": "note",
		"docs/index.html": "docs"} {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	c := Config{Realms: []RealmConfig{{URI: "realm1"}},
		Listeners: []ListenerConfig{{Type: "websocket", Address: "127.0.0.1:0", Static: &StaticConfig{Dir: dir, Prefix: "/app"}}},
	}.withDefaults()
	if err := c.Validate(); err != nil {
		t.Fatal(err)
	}
	srv, err := start(c, quietLog())
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Shutdown(5 * time.Second)
	base := "http://" + strings.TrimSuffix(strings.TrimPrefix(srv.URLs()[0], "ws://"), "/ws")
	for path, want := range map[string]string{"/app/": "<p>home</p>", "/app/app.js": "let x = 1;", "/app/sub/note.txt": "note",
		"/app/docs/": "docs", "/app/sub/": "404", "/app/missing.js": "404", "/index.html": "404"} {
		code, body := httpGet(t, base+path)
		if want == "404" && code != http.StatusNotFound || want != "404" && (code != http.StatusOK || body != want) {
			t.Errorf("GET %s: %d %q, want %s", path, code, body, want)
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	be := goroutine.New(goroutine.Config{})
	defer be.Close()
	s, err := client.Dial(ctx, srv.URLs()[0], client.Config{Realm: "realm1", Backend: be, Logger: quietLog()})
	if err != nil {
		t.Fatalf("the WebSocket endpoint beside the static files: %v", err)
	}
	s.Leave(ctx, "")

	// A missing directory stops the router at start.
	c.Listeners[0].Static = &StaticConfig{Dir: filepath.Join(dir, "nope"), Prefix: "/"}
	if srv2, err := start(c, quietLog()); err == nil {
		srv2.Shutdown(time.Second)
		t.Fatal("a missing static dir started")
	}
}

// Static settings are validated with their key paths.
func TestStaticProblems(t *testing.T) {
	c := Config{Realms: []RealmConfig{{URI: "r"}}, Listeners: []ListenerConfig{
		{Type: "rawsocket", Address: ":0", Static: &StaticConfig{Dir: "d"}},
		{Type: "websocket", Address: ":0", Static: &StaticConfig{Prefix: "app"}},
		{Type: "both", Address: ":0", Path: "/", Static: &StaticConfig{Dir: "d"}},
	}}.withDefaults()
	var got []string
	for _, p := range c.problems() {
		got = append(got, p.Error())
	}
	want := []string{
		`listeners[0].static: only a websocket or both listener serves HTTP`,
		`listeners[1].static.dir: empty: name the directory to serve`,
		`listeners[1].static.prefix: "app": want a URL path starting with /`,
		`listeners[2].static.prefix: "/": the WebSocket endpoint's path; the directory needs its own`,
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("problems:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}
