package interop

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"
)

// The tests in this file need NO router: they check the node harness itself
// (install, pinned client, serializers, and that scenario.js always ends by
// itself with a precise ok:false when the router is dead or silent). The
// scenarios against the real router live in the router interop test.

var serializers = []string{"json", "msgpack", "cbor"}

// TestNodeHarnessSelfCheck runs the router-free "selfcheck" scenario through
// RunScenario: the installed autobahn is the pinned one, the ws shim is in
// place and each serializer round-trips a WAMP message.
func TestNodeHarnessSelfCheck(t *testing.T) {
	for _, ser := range serializers {
		t.Run(ser, func(t *testing.T) {
			res := RunScenario(t, "ws://127.0.0.1:1/unused", "unused", "selfcheck", ser)
			want := map[string]any{
				"ok": true, "scenario": "selfcheck", "serializer": ser,
				"autobahn_version": "26.3.1", "serializer_id": ser, "binary": ser != "json",
			}
			for k, v := range want {
				if res[k] != v {
					t.Errorf("result[%q] = %#v, want %#v (result %v)", k, res[k], v, res)
				}
			}
		})
	}
}

// closedPortURL returns a ws:// URL on 127.0.0.1 where nothing listens.
func closedPortURL(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	if err := ln.Close(); err != nil {
		t.Fatal(err)
	}
	return "ws://" + addr + "/ws"
}

// execFailing runs spec and checks that scenario.js ended by itself (before
// the Go-side guard) with exit 1 and ok:false naming the scenario. It returns
// the error message of the result line.
func execFailing(t *testing.T, spec ScenarioSpec) string {
	t.Helper()
	dir := EnsureNodeDeps(t)
	ctx, cancel := context.WithTimeout(context.Background(), ScenarioTimeout)
	defer cancel()
	run, err := ExecScenario(ctx, dir, spec)
	if err != nil {
		t.Fatalf("ExecScenario: %v\nstdout:\n%s\nstderr:\n%s", err, run.Stdout, run.Stderr)
	}
	if run.OK() || run.Result["ok"] != false || run.ExitCode != 1 {
		t.Fatalf("want ok:false and exit 1, got exit %d result %v", run.ExitCode, run.Result)
	}
	if got := strings.Count(strings.TrimSpace(run.Stdout), "\n"); got != 0 {
		t.Errorf("stdout has %d lines, want exactly one result line:\n%s", got+1, run.Stdout)
	}
	msg, _ := run.Result["error"].(string)
	if msg == "" {
		t.Fatalf("result has no error message: %v", run.Result)
	}
	return msg
}

// TestScenarioDeadRouter proves every scenario terminates by itself with a
// connection error when nothing listens, on every serializer.
func TestScenarioDeadRouter(t *testing.T) {
	url := closedPortURL(t)
	scenarios := []string{"js-callee-caller", "call-go", "pubsub", "no-such-procedure"}
	for _, ser := range serializers {
		for _, sc := range scenarios {
			t.Run(sc+"/"+ser, func(t *testing.T) {
				run := ScenarioSpec{URL: url, Realm: "realm1", Scenario: sc, Serializer: ser}
				msg := execFailing(t, run)
				for _, want := range []string{"connection unreachable", "ECONNREFUSED"} {
					if !strings.Contains(msg, want) {
						t.Errorf("error = %q, want it to contain %q", msg, want)
					}
				}
			})
		}
	}
}

// fatalRecorder is a testing.TB whose Fatalf records the message and ends
// the calling goroutine, like the real one.
type fatalRecorder struct {
	testing.TB
	msg string
}

func (r *fatalRecorder) Helper() {}

func (r *fatalRecorder) Fatalf(format string, args ...any) {
	r.msg = fmt.Sprintf(format, args...)
	runtime.Goexit()
}

// TestRunScenarioFailureReport checks that RunScenario fails the test on an
// ok:false result and that the failure carries the result and node's stderr.
func TestRunScenarioFailureReport(t *testing.T) {
	rec := &fatalRecorder{TB: t}
	url := closedPortURL(t)
	done := make(chan map[string]any, 1)
	go func() {
		defer close(done)
		done <- RunScenario(rec, url, "realm1", "no-such-procedure", "json")
	}()
	if res, returned := <-done; returned {
		t.Fatalf("RunScenario returned %v, want a test failure", res)
	}
	for _, want := range []string{"no-such-procedure/json failed (exit 1)", "connection unreachable", "stderr:", "ECONNREFUSED"} {
		if !strings.Contains(rec.msg, want) {
			t.Errorf("failure message lacks %q:\n%s", want, rec.msg)
		}
	}
}

// silentListener accepts TCP connections and never answers, like a hung
// router. It is closed, with its connections, at the end of the test.
func silentListener(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var (
		mu    sync.Mutex
		conns []net.Conn
		wg    sync.WaitGroup
	)
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			conns = append(conns, c)
			mu.Unlock()
		}
	}()
	t.Cleanup(func() {
		ln.Close()
		wg.Wait()
		mu.Lock()
		defer mu.Unlock()
		for _, c := range conns {
			c.Close()
		}
	})
	return "ws://" + ln.Addr().String() + "/ws"
}

// TestScenarioSilentRouter proves the script's own timeouts end it when the
// router accepts the TCP connection but never completes the handshake.
func TestScenarioSilentRouter(t *testing.T) {
	t.Parallel()
	url := silentListener(t)
	spec := ScenarioSpec{URL: url, Realm: "realm1", Scenario: "call-go", Serializer: "json", Timeout: 2 * time.Second}
	msg := execFailing(t, spec)
	if !strings.Contains(msg, "timeout") && !strings.Contains(msg, "did not finish") {
		t.Errorf("error = %q, want a timeout", msg)
	}
}

// TestScenarioBadArguments checks the usage errors of scenario.js.
func TestScenarioBadArguments(t *testing.T) {
	tests := []struct {
		name string
		spec ScenarioSpec
		want string
	}{
		{"unknown scenario", ScenarioSpec{URL: "ws://127.0.0.1:1/ws", Realm: "r", Scenario: "nope", Serializer: "json"}, `unknown scenario "nope"`},
		{"unknown serializer", ScenarioSpec{URL: "ws://127.0.0.1:1/ws", Realm: "r", Scenario: "call-go", Serializer: "xml"}, `unknown serializer "xml"`},
		{"inherited property", ScenarioSpec{URL: "ws://127.0.0.1:1/ws", Realm: "r", Scenario: "toString", Serializer: "json"}, `unknown scenario "toString"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if msg := execFailing(t, tt.spec); !strings.Contains(msg, tt.want) {
				t.Errorf("error = %q, want it to contain %q", msg, tt.want)
			}
		})
	}
}

func TestLastResultLine(t *testing.T) {
	tests := []struct {
		name    string
		stdout  string
		wantOK  any
		wantErr error
	}{
		{"single", `{"ok":true,"x":1}` + "\n", true, nil},
		{"noise before", "AutobahnJS debug enabled\n{\n  \"a\": 1\n}\n" + `{"ok":false,"error":"e"}` + "\n", false, nil},
		{"last wins", `{"ok":false}` + "\n" + `{"ok":true}`, true, nil},
		{"object without ok skipped", `{"ok":true}` + "\n" + `{"other":1}`, true, nil},
		{"empty", "", nil, ErrNoResultLine},
		{"no json", "hello\nworld\n", nil, ErrNoResultLine},
		{"broken json", `{"ok":tru`, nil, ErrNoResultLine},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := lastResultLine(tt.stdout)
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("err = %v, want %v", err, tt.wantErr)
			}
			if err == nil && got["ok"] != tt.wantOK {
				t.Errorf("ok = %#v, want %#v", got["ok"], tt.wantOK)
			}
		})
	}
}

// writeFile writes content to dir/rel, creating folders, with mtime at.
func writeFile(t *testing.T, dir, rel, content string, at time.Time) {
	t.Helper()
	p := filepath.Join(dir, rel)
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Chtimes(p, at, at); err != nil {
		t.Fatal(err)
	}
}

func TestDepsStale(t *testing.T) {
	old := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	later := old.Add(time.Hour)
	const pkg = `{"dependencies":{"autobahn":"26.3.1","ws":"8.23.0"}}`
	tests := []struct {
		name      string
		lockAt    time.Time
		installed bool
		installAt time.Time
		version   string
		wantStale bool
		wantWhy   string
	}{
		{"fresh", old, true, later, "26.3.1", false, ""},
		{"no node_modules", old, false, later, "", true, "node_modules missing"},
		{"lock newer", later, true, old, "26.3.1", true, "package-lock.json newer"},
		{"wrong autobahn", old, true, later, "22.11.1", true, `installed autobahn "22.11.1", pinned "26.3.1"`},
		{"no browser packages", old, true, later, "26.3.1", true, "autobahn-browser/autobahn.min.js missing"},
		{"no wampy", old, true, later, "26.3.1", true, "wampy/package.json missing"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			writeFile(t, dir, "package.json", pkg, old)
			writeFile(t, dir, "package-lock.json", `{}`, tt.lockAt)
			if tt.installed {
				writeFile(t, dir, "node_modules/.package-lock.json", `{}`, tt.installAt)
				writeFile(t, dir, "node_modules/autobahn/package.json", `{"version":"`+tt.version+`"}`, tt.installAt)
				if tt.name != "no browser packages" {
					writeFile(t, dir, "node_modules/autobahn-browser/autobahn.min.js", `;`, tt.installAt)
					writeFile(t, dir, "node_modules/playwright-core/package.json", `{}`, tt.installAt)
				}
				if tt.name != "no wampy" {
					writeFile(t, dir, "node_modules/wampy/package.json", `{}`, tt.installAt)
				}
			}
			stale, why, err := depsStale(dir)
			if err != nil {
				t.Fatal(err)
			}
			if stale != tt.wantStale || !strings.Contains(why, tt.wantWhy) {
				t.Errorf("depsStale = %v, %q; want %v, containing %q", stale, why, tt.wantStale, tt.wantWhy)
			}
		})
	}
}

// TestJSDir checks the script folder is found from the source location.
func TestJSDir(t *testing.T) {
	dir, err := JSDir()
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{"scenario.js", "scenarios.js", "harness.js", "package.json"} {
		if _, err := os.Stat(filepath.Join(dir, f)); err != nil {
			t.Errorf("%s: %v", f, err)
		}
	}
}
