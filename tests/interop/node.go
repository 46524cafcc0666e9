package interop

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// Sentinel errors of the node helpers.
var (
	// ErrNodeMissing reports that node or npm is not on PATH.
	ErrNodeMissing = errors.New("interop: node and npm are required (Debian: apt-get install nodejs npm)")
	// ErrNoResultLine reports that scenario.js printed no JSON result line.
	ErrNoResultLine = errors.New("interop: scenario.js printed no result line")
)

// Timeouts of the helpers. They are failure guards, not speed expectations.
const (
	// NpmTimeout bounds one `npm ci`.
	NpmTimeout = 5 * time.Minute
	// ScenarioTimeout bounds one node process in RunScenario; the script's
	// own watchdog (15s by default) fires well before it.
	ScenarioTimeout = 30 * time.Second
)

var (
	depsOnce sync.Once
	depsDir  string
	depsErr  error
)

// EnsureNodeDeps returns the absolute path of tests/interop/js after making
// sure node and npm exist and the pinned npm packages are installed there
// (`npm ci` when node_modules is missing or older than package-lock.json).
// It fails the test when node/npm are missing or the install fails, under CI
// and locally alike: node is a documented requirement, never a skip.
// Safe for concurrent use; the work is done once per process, and a file lock
// serialises installs across test processes.
func EnsureNodeDeps(t testing.TB) string {
	t.Helper()
	depsOnce.Do(func() { depsDir, depsErr = ensureNodeDeps() })
	if depsErr != nil {
		t.Fatalf("%v", depsErr)
	}
	return depsDir
}

// JSDir returns the absolute path of tests/interop/js, located from this
// source file so it works from any working directory.
func JSDir() (string, error) {
	_, file, _, ok := runtime.Caller(0)
	if !ok {
		return "", errors.New("interop: runtime.Caller failed: cannot locate tests/interop/js")
	}
	dir := filepath.Join(filepath.Dir(file), "js")
	if _, err := os.Stat(filepath.Join(dir, "package-lock.json")); err != nil {
		return "", fmt.Errorf("interop: %s has no package-lock.json: %w", dir, err)
	}
	return dir, nil
}

func ensureNodeDeps() (string, error) {
	dir, err := JSDir()
	if err != nil {
		return "", err
	}
	for _, bin := range []string{"node", "npm"} {
		if _, err := exec.LookPath(bin); err != nil {
			return "", fmt.Errorf("%w: %s not found on PATH (CI=%q)", ErrNodeMissing, bin, os.Getenv("CI"))
		}
	}
	unlock, err := lockDir(dir)
	if err != nil {
		return "", err
	}
	defer unlock()
	stale, why, err := depsStale(dir)
	if err != nil || !stale {
		return dir, err
	}
	ctx, cancel := context.WithTimeout(context.Background(), NpmTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, "npm", "ci", "--no-audit", "--no-fund")
	cmd.Dir = dir
	cmd.WaitDelay = 10 * time.Second
	out, err := cmd.CombinedOutput()
	if err != nil {
		return "", fmt.Errorf("interop: npm ci in %s (%s) failed: %w\n%s", dir, why, err, out)
	}
	if stale, why, err = depsStale(dir); err != nil || stale {
		return "", fmt.Errorf("interop: after npm ci in %s the install is still stale (%s), err=%v\n%s", dir, why, err, out)
	}
	return dir, nil
}

// depsStale reports whether dir needs `npm ci`, and why: node_modules or
// npm's record of it is missing, the lock file is newer than that record, or
// the installed autobahn is not the version package.json pins.
func depsStale(dir string) (bool, string, error) {
	lock, err := os.Stat(filepath.Join(dir, "package-lock.json"))
	if err != nil {
		return false, "", fmt.Errorf("interop: %w", err)
	}
	installed, err := os.Stat(filepath.Join(dir, "node_modules", ".package-lock.json"))
	if err != nil {
		return true, "node_modules missing", nil
	}
	if lock.ModTime().After(installed.ModTime()) {
		return true, "package-lock.json newer than node_modules", nil
	}
	want, err := readVersion(filepath.Join(dir, "package.json"), "autobahn")
	if err != nil {
		return false, "", err
	}
	got, err := readVersion(filepath.Join(dir, "node_modules", "autobahn", "package.json"), "")
	if err != nil || got != want {
		return true, fmt.Sprintf("installed autobahn %q, pinned %q", got, want), nil
	}
	// The browser test's packages (examples/browser), added later: an
	// install from before them is stale.
	// wampy (the wampy.js scenarios) likewise.
	for _, f := range []string{"autobahn-browser/autobahn.min.js", "playwright-core/package.json", "wampy/package.json"} {
		if _, err := os.Stat(filepath.Join(dir, "node_modules", f)); err != nil {
			return true, f + " missing", nil
		}
	}
	return false, "", nil
}

// readVersion reads a package.json: the pinned version of dependency dep, or
// the package's own version when dep is empty.
func readVersion(path, dep string) (string, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return "", fmt.Errorf("interop: %w", err)
	}
	var pkg struct {
		Version      string            `json:"version"`
		Dependencies map[string]string `json:"dependencies"`
	}
	if err := json.Unmarshal(raw, &pkg); err != nil {
		return "", fmt.Errorf("interop: %s: %w", path, err)
	}
	if dep == "" {
		return pkg.Version, nil
	}
	v, ok := pkg.Dependencies[dep]
	if !ok {
		return "", fmt.Errorf("interop: %s does not depend on %s", path, dep)
	}
	return v, nil
}

// ScenarioSpec names one run of scenario.js.
type ScenarioSpec struct {
	URL        string // router WebSocket URL, e.g. ws://127.0.0.1:PORT/ws
	Realm      string
	Scenario   string // js-callee-caller | call-go | pubsub | no-such-procedure | selfcheck
	Serializer string // json | msgpack | cbor
	// Timeout is the script's own watchdog (INTEROP_TIMEOUT_MS). Zero keeps
	// the script's default of 15s.
	Timeout time.Duration
	// Script is the entry point in tests/interop/js: scenario.js
	// (autobahn-js) when empty, or wampy_scenario.js (wampy.js).
	Script string
	// Env adds NAME=value variables to the script's environment (the
	// cluster scenarios' INTEROP_PEER_URL).
	Env []string
}

// ScenarioRun is the outcome of one scenario.js process.
type ScenarioRun struct {
	// Result is the parsed result line: always has "ok", and "error" when ok
	// is false.
	Result   map[string]any
	ExitCode int
	Stdout   string
	Stderr   string
}

// OK reports whether the result line said "ok": true.
func (r ScenarioRun) OK() bool { return r.Result["ok"] == true }

// ExecScenario runs `node scenario.js` in jsDir (from EnsureNodeDeps) until it
// exits or ctx ends. It returns an error when node could not be run, ctx
// ended first, or no result line was printed; a scenario that ran and failed
// is not an error: see ScenarioRun.OK. Safe for concurrent use.
func ExecScenario(ctx context.Context, jsDir string, spec ScenarioSpec) (ScenarioRun, error) {
	script := spec.Script
	if script == "" {
		script = "scenario.js"
	}
	cmd := exec.CommandContext(ctx, "node", script, spec.URL, spec.Realm, spec.Scenario, spec.Serializer)
	cmd.Dir = jsDir
	cmd.WaitDelay = 5 * time.Second
	cmd.Env = append(os.Environ(), spec.Env...)
	if spec.Timeout > 0 {
		cmd.Env = append(cmd.Env, "INTEROP_TIMEOUT_MS="+strconv.FormatInt(spec.Timeout.Milliseconds(), 10))
	}
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	runErr := cmd.Run()
	run := ScenarioRun{ExitCode: cmd.ProcessState.ExitCode(), Stdout: stdout.String(), Stderr: stderr.String()}
	if ctx.Err() != nil {
		return run, fmt.Errorf("interop: node %s %s killed: %w", script, spec.Scenario, ctx.Err())
	}
	var exitErr *exec.ExitError
	if runErr != nil && !errors.As(runErr, &exitErr) {
		return run, fmt.Errorf("interop: running node: %w", runErr)
	}
	res, err := lastResultLine(run.Stdout)
	if err != nil {
		return run, err
	}
	run.Result = res
	return run, nil
}

// lastResultLine parses the last stdout line that is a JSON object with "ok".
func lastResultLine(stdout string) (map[string]any, error) {
	lines := strings.Split(strings.TrimSpace(stdout), "\n")
	for i := len(lines) - 1; i >= 0; i-- {
		line := strings.TrimSpace(lines[i])
		if !strings.HasPrefix(line, "{") {
			continue
		}
		var m map[string]any
		if json.Unmarshal([]byte(line), &m) != nil {
			continue
		}
		if _, ok := m["ok"]; ok {
			return m, nil
		}
	}
	return nil, ErrNoResultLine
}

// RunScenario runs one autobahn-js scenario against the router at url and
// returns its parsed result line. It installs the npm packages first
// (EnsureNodeDeps), bounds the node process by ScenarioTimeout, and fails the
// test, with stdout and stderr, unless the result says "ok": true and node
// exited 0.
func RunScenario(t testing.TB, url, realm, scenario, serializer string) map[string]any {
	t.Helper()
	return RunSpec(t, ScenarioSpec{URL: url, Realm: realm, Scenario: scenario, Serializer: serializer})
}

// RunSpec is RunScenario for a full ScenarioSpec (another script, a
// watchdog).
func RunSpec(t testing.TB, spec ScenarioSpec) map[string]any {
	t.Helper()
	scenario, serializer := spec.Scenario, spec.Serializer
	dir := EnsureNodeDeps(t)
	ctx, cancel := context.WithTimeout(context.Background(), ScenarioTimeout)
	defer cancel()
	run, err := ExecScenario(ctx, dir, spec)
	if err != nil {
		t.Fatalf("interop %s/%s: %v\nstdout:\n%s\nstderr:\n%s", scenario, serializer, err, run.Stdout, run.Stderr)
	}
	if !run.OK() || run.ExitCode != 0 {
		t.Fatalf("interop %s/%s failed (exit %d): %v\nresult: %s\nstderr:\n%s",
			scenario, serializer, run.ExitCode, run.Result["error"], strings.TrimSpace(run.Stdout), run.Stderr)
	}
	return run.Result
}
