package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/switchboard-wamp/switchboard/adapters/goroutine"
	"github.com/switchboard-wamp/switchboard/client"
	"github.com/switchboard-wamp/switchboard/core"
	"github.com/switchboard-wamp/switchboard/core/wamp"
)

// syncBuffer is a log sink the test reads while the server writes.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// running is a router started by serveSignals from a config file, driven
// with signals sent on its channel.
type running struct {
	srv  *server
	be   *goroutine.Backend // the clients'
	sigs chan os.Signal
	logs *syncBuffer
	done chan error // serveSignals' result
	file string
}

// runFile writes text to a config file and serves it until the test sends
// SIGTERM (or the cleanup does).
func runFile(t *testing.T, text string) *running {
	t.Helper()
	r := &running{sigs: make(chan os.Signal, 4), logs: &syncBuffer{}, done: make(chan error, 1),
		file: filepath.Join(t.TempDir(), "switchboard.yaml")}
	r.write(t, text)
	// Cleanups run last first: the clients' backend closes after the
	// router stopped, so the clients can answer its GOODBYE.
	r.be = goroutine.New(goroutine.Config{})
	t.Cleanup(func() { r.be.Close() })
	started := make(chan *server, 1)
	go func() {
		r.done <- serveSignals([]string{"-config", r.file}, r.logs, r.sigs, func(s *server) { started <- s })
	}()
	select {
	case r.srv = <-started:
	case err := <-r.done:
		t.Fatalf("serve: %v\n%s", err, r.logs)
	case <-time.After(20 * time.Second):
		t.Fatal("the router did not start")
	}
	t.Cleanup(func() {
		select {
		case <-r.done:
		default:
			r.sigs <- syscall.SIGTERM
			r.sigs <- syscall.SIGTERM // skip the drain
			r.wait(t)
		}
	})
	return r
}

func (r *running) write(t *testing.T, text string) {
	t.Helper()
	if err := os.WriteFile(r.file, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
}

// wait returns serveSignals' result.
func (r *running) wait(t *testing.T) error {
	t.Helper()
	select {
	case err := <-r.done:
		r.done <- err
		return err
	case <-time.After(30 * time.Second):
		t.Fatalf("the router did not stop\n%s", r.logs)
		return nil
	}
}

// dial joins realm at the router's first listener.
func (r *running) dial(ctx context.Context, t *testing.T, realm wamp.URI) (*client.Session, error) {
	return client.Dial(ctx, r.srv.URLs()[0], client.Config{Realm: realm, Backend: r.be, Logger: quietLog()})
}

// closedWith fails unless s ended with a GOODBYE or ABORT of reason.
func closedWith(t *testing.T, name string, s *client.Session, reason wamp.URI) {
	t.Helper()
	select {
	case <-s.Done():
	case <-time.After(20 * time.Second):
		t.Fatalf("%s still open", name)
	}
	var ce *client.CloseError
	if !errors.As(s.Err(), &ce) || ce.Reason != reason {
		t.Fatalf("%s ended with %v, want %s", name, s.Err(), reason)
	}
}

// SIGTERM drains: the listener stops accepting and /readyz says 503 while
// a call is in flight; the call completes; then every session gets
// GOODBYE wamp.close.system_shutdown and the router exits.
func TestDrainWaitsForInFlightCall(t *testing.T) {
	r := runFile(t, `
realms: [{uri: realm1}]
listeners: [{type: websocket, address: "127.0.0.1:0"}]
drain_timeout: 20s
metrics: {address: "127.0.0.1:0"}
`)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	callee, err := r.dial(ctx, t, "realm1")
	if err != nil {
		t.Fatal(err)
	}
	caller, err := r.dial(ctx, t, "realm1")
	if err != nil {
		t.Fatal(err)
	}
	entered, release := make(chan struct{}), make(chan struct{})
	defer func() {
		select {
		case <-release:
		default:
			close(release)
		}
	}()
	if _, err := callee.Register(ctx, "com.example.slow", func(context.Context, *client.Invocation) (*client.Result, error) {
		close(entered)
		<-release
		return &client.Result{Args: wamp.List{"finished"}}, nil
	}, nil); err != nil {
		t.Fatal(err)
	}
	result := make(chan error, 1)
	go func() {
		res, err := caller.Call(ctx, "com.example.slow", nil, nil, nil)
		if err == nil && res.Args[0] != "finished" {
			err = fmt.Errorf("result %v", res.Args)
		}
		result <- err
	}()
	select {
	case <-entered:
	case <-time.After(20 * time.Second):
		t.Fatal("the call did not reach the callee")
	}

	ops := r.srv.OpsURL()
	addr := strings.TrimSuffix(strings.TrimPrefix(r.srv.URLs()[0], "ws://"), "/ws")
	r.sigs <- syscall.SIGTERM
	waitUntil(t, "the listener to refuse connections", func() bool {
		nc, err := net.Dial("tcp", addr)
		if err == nil {
			nc.Close()
		}
		return err != nil
	})
	if code, body := httpGet(t, ops+"/readyz"); code != http.StatusServiceUnavailable {
		t.Fatalf("/readyz while draining: %d %s", code, body)
	}
	select {
	case err := <-result:
		t.Fatalf("the call ended before its callee answered: %v", err)
	case err := <-r.done:
		t.Fatalf("the router stopped with a call in flight: %v", err)
	default:
	}
	close(release)
	select {
	case err := <-result:
		if err != nil {
			t.Fatalf("the call in flight during the drain: %v", err)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("the call did not complete")
	}
	if err := r.wait(t); err != nil {
		t.Fatalf("serve: %v", err)
	}
	closedWith(t, "callee", callee, wamp.CloseSystemShutdown)
	closedWith(t, "caller", caller, wamp.CloseSystemShutdown)
	if !strings.Contains(r.logs.String(), "drained: no call in flight") {
		t.Fatalf("logs:\n%s", r.logs)
	}
}

// A drain that outlasts drain_timeout gives up: the sessions get GOODBYE
// with the call still in flight, which fails for its caller.
func TestDrainDeadline(t *testing.T) {
	r := runFile(t, `
realms: [{uri: realm1}]
listeners: [{type: websocket, address: "127.0.0.1:0"}]
drain_timeout: 200ms
`)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	callee, err := r.dial(ctx, t, "realm1")
	if err != nil {
		t.Fatal(err)
	}
	caller, err := r.dial(ctx, t, "realm1")
	if err != nil {
		t.Fatal(err)
	}
	entered, release := make(chan struct{}), make(chan struct{})
	defer close(release)
	if _, err := callee.Register(ctx, "com.example.stuck", func(context.Context, *client.Invocation) (*client.Result, error) {
		close(entered)
		<-release
		return &client.Result{}, nil
	}, nil); err != nil {
		t.Fatal(err)
	}
	result := make(chan error, 1)
	go func() {
		_, err := caller.Call(ctx, "com.example.stuck", nil, nil, nil)
		result <- err
	}()
	select {
	case <-entered:
	case <-time.After(20 * time.Second):
		t.Fatal("the call did not reach the callee")
	}
	r.sigs <- syscall.SIGTERM
	if err := r.wait(t); err != nil {
		t.Fatalf("serve: %v", err)
	}
	select {
	case err := <-result:
		if err == nil {
			t.Fatal("the stuck call succeeded")
		}
	case <-time.After(20 * time.Second):
		t.Fatal("the stuck call did not end with its session")
	}
	closedWith(t, "caller", caller, wamp.CloseSystemShutdown)
	if !strings.Contains(r.logs.String(), "drain ended with calls still in flight") {
		t.Fatalf("logs:\n%s", r.logs)
	}
}

// SIGHUP with a valid file adds and removes realms and changes a kept
// realm's limits without dropping its sessions; with an invalid file it
// logs the problem and keeps the running configuration.
func TestReload(t *testing.T) {
	r := runFile(t, `
realms: [{uri: keep}, {uri: gone}]
listeners: [{type: websocket, address: "127.0.0.1:0"}]
`)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	kept, err := r.dial(ctx, t, "keep")
	if err != nil {
		t.Fatal(err)
	}
	gone, err := r.dial(ctx, t, "gone")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := r.dial(ctx, t, "added"); err == nil {
		t.Fatal("joined a realm not configured yet")
	}
	publish3 := func() error { // an exclude list of 3 entries
		return kept.Publish(ctx, "com.example.t", nil, nil, &client.PublishOptions{Acknowledge: true, Exclude: []wamp.ID{1, 2, 3}})
	}
	if err := publish3(); err != nil {
		t.Fatalf("publish before the reload: %v", err)
	}

	r.write(t, `
realms: [{uri: keep, max_option_list_len: 2, max_sessions: 2}, {uri: added}]
listeners: [{type: websocket, address: "127.0.0.1:0"}]
log: {level: debug}
`)
	r.sigs <- syscall.SIGHUP
	waitUntil(t, "the reload", func() bool { return strings.Contains(r.logs.String(), "msg=reloaded") })
	closedWith(t, "the removed realm's session", gone, core.ReasonRealmRemoved)
	added, err := r.dial(ctx, t, "added")
	if err != nil {
		t.Fatalf("the added realm: %v", err)
	}
	added.Leave(ctx, "")
	var ce *client.Error
	if err := publish3(); !errors.As(err, &ce) || ce.URI != wamp.ErrInvalidArgument {
		t.Fatalf("publish with 3 excluded after the limit became 2: %v", err)
	}
	second, err := r.dial(ctx, t, "keep")
	if err != nil {
		t.Fatalf("the second session of keep (max_sessions 2): %v", err)
	}
	if _, err := r.dial(ctx, t, "keep"); err == nil || !strings.Contains(err.Error(), string(core.ReasonTooManySessions)) {
		t.Fatalf("a third session of keep (max_sessions 2): %v", err)
	}
	second.Leave(ctx, "")
	if r.srv.level.Level() != -4 {
		t.Fatalf("log level after the reload: %v", r.srv.level.Level())
	}

	for name, text := range map[string]string{
		"invalid YAML":  "realms: [\n",
		"unknown key":   "realms: [{uri: keep}]\nlisteners: [{type: websocket, address: '127.0.0.1:0'}]\nbakend: pool\n",
		"no realm":      "listeners: [{type: websocket, address: '127.0.0.1:0'}]\n",
		"negative list": "realms: [{uri: keep, max_option_list_len: -1}]\nlisteners: [{type: websocket, address: '127.0.0.1:0'}]\n",
	} {
		before := strings.Count(r.logs.String(), "reload refused")
		r.write(t, text)
		r.sigs <- syscall.SIGHUP
		waitUntil(t, name+" to be refused", func() bool { return strings.Count(r.logs.String(), "reload refused") > before })
	}
	if _, ok := r.srv.app.Realm("added"); !ok {
		t.Fatal("an invalid file removed a realm")
	}
	if err := kept.Publish(ctx, "com.example.t", nil, nil, &client.PublishOptions{Acknowledge: true}); err != nil {
		t.Fatalf("the kept session after the refused reloads: %v", err)
	}
	if err := publish3(); !errors.As(err, &ce) {
		t.Fatalf("the limit after the refused reloads: %v", err)
	}
}

// log: {format: json} writes one JSON object a line.
func TestLogFormatJSON(t *testing.T) {
	r := runFile(t, `
realms: [{uri: realm1}]
listeners: [{type: websocket, address: "127.0.0.1:0"}]
log: {format: json}
`)
	r.sigs <- syscall.SIGTERM
	if err := r.wait(t); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(r.logs.String()), "\n")
	for _, l := range lines {
		var rec map[string]any
		if err := json.Unmarshal([]byte(l), &rec); err != nil || rec["msg"] == nil {
			t.Fatalf("not a JSON log line: %q (%v)", l, err)
		}
	}
	if !strings.Contains(lines[0], `"msg":"switchboard running"`) {
		t.Fatalf("first line %q", lines[0])
	}
}
