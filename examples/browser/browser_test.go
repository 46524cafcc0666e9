package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/switchboard-wamp/switchboard/tests/interop"
)

// chromiumPath is Debian's chromium package's browser (scripts/test.sh
// installs it when missing).
const chromiumPath = "/usr/bin/chromium"

// TestBrowser serves the example and drives its page in headless Chromium
// (playwright-core from tests/interop/js, pinned): the page joins the
// realm, shows live events, and a click calls the Go procedure, whose
// progressive results and final result the page shows. The screenshot is
// saved in the test's temp dir. Under CI a missing Chromium fails the
// test; elsewhere it skips, naming the package to install.
func TestBrowser(t *testing.T) {
	if _, err := os.Stat(chromiumPath); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("%s is missing (CI=true): scripts/test.sh installs it (apt-get install chromium): %v", chromiumPath, err)
		}
		t.Skipf("%s is missing: apt-get install chromium (or run scripts/test.sh)", chromiumPath)
	}
	js := interop.EnsureNodeDeps(t)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	url, shutdown, err := serve(ctx, options{
		addr:   "127.0.0.1:0",
		bundle: filepath.Join(js, "node_modules", "autobahn-browser", "autobahn.min.js"),
		tick:   50 * time.Millisecond,
		step:   20 * time.Millisecond,
	})
	if err != nil {
		t.Fatal(err)
	}
	defer shutdown()

	shot := filepath.Join(t.TempDir(), "browser.png")
	cmd := exec.CommandContext(ctx, "node", "drive.js", url, shot, chromiumPath)
	cmd.Env = append(os.Environ(), "NODE_PATH="+filepath.Join(js, "node_modules"))
	cmd.WaitDelay = 10 * time.Second
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	runErr := cmd.Run()
	lines := strings.Split(strings.TrimSpace(stdout.String()), "\n")
	var shown struct {
		OK        bool
		Error     string
		Logs      []string
		Status    string
		Events    int
		LastEvent string
		Progress  string
		Result    string
	}
	if err := json.Unmarshal([]byte(lines[len(lines)-1]), &shown); err != nil || runErr != nil || !shown.OK {
		t.Fatalf("drive.js: %v / %v\nstdout:\n%s\nstderr:\n%s", runErr, err, stdout.String(), stderr.String())
	}
	if !strings.HasPrefix(shown.Status, "joined realm1 as session ") || shown.Events < 2 ||
		!strings.HasPrefix(shown.LastEvent, "tick ") || shown.Progress != "3 2 1" || shown.Result != "liftoff" {
		t.Fatalf("the page showed %+v", shown)
	}
	png, err := os.ReadFile(shot)
	if err != nil || !bytes.HasPrefix(png, []byte("\x89PNG")) {
		t.Fatalf("screenshot %s: %v (%d bytes)", shot, err, len(png))
	}
	t.Logf("the page showed %+v; screenshot %s (%d bytes)", shown, shot, len(png))
}
