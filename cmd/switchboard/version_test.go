package main

import (
	"runtime"
	"runtime/debug"
	"strings"
	"testing"
)

func TestFormatBuildInfo(t *testing.T) {
	bi := &debug.BuildInfo{
		GoVersion: "go1.26.8",
		Main:      debug.Module{Path: "github.com/switchboard-wamp/switchboard", Version: "v1.2.3"},
		Settings: []debug.BuildSetting{
			{Key: "vcs", Value: "git"},
			{Key: "vcs.revision", Value: "4147e3d1c2b0e0b2f1c9c1f3c0a9d8e7f6a5b4c3"},
			{Key: "vcs.modified", Value: "true"},
		},
	}
	want := "version: v1.2.3\nrevision: 4147e3d1c2b0e0b2f1c9c1f3c0a9d8e7f6a5b4c3\nmodified: true\ngo: go1.26.8\n"
	if got := formatBuildInfo(bi); got != want {
		t.Errorf("formatBuildInfo = %q, want %q", got, want)
	}
	// Built outside a VCS checkout: no vcs settings.
	bi = &debug.BuildInfo{GoVersion: "go1.26.8", Main: debug.Module{Version: "(devel)"}}
	want = "version: (devel)\nrevision: unknown\nmodified: unknown\ngo: go1.26.8\n"
	if got := formatBuildInfo(bi); got != want {
		t.Errorf("formatBuildInfo without vcs = %q, want %q", got, want)
	}
	// No build information at all.
	want = "version: unknown\nrevision: unknown\nmodified: unknown\ngo: " + runtime.Version() + "\n"
	if got := formatBuildInfo(nil); got != want {
		t.Errorf("formatBuildInfo(nil) = %q, want %q", got, want)
	}
}

func TestVersionCommand(t *testing.T) {
	var out, errOut strings.Builder
	if code := run([]string{"version"}, &out, &errOut); code != 0 || errOut.Len() != 0 {
		t.Fatalf("version: exit %d, stderr %q", code, errOut.String())
	}
	lines := strings.Split(strings.TrimSuffix(out.String(), "\n"), "\n")
	if len(lines) != 4 {
		t.Fatalf("version printed %q, want 4 lines", out.String())
	}
	for i, key := range []string{"version: ", "revision: ", "modified: ", "go: "} {
		if !strings.HasPrefix(lines[i], key) || len(lines[i]) == len(key) {
			t.Errorf("line %d = %q, want %q and a value", i+1, lines[i], key)
		}
	}
	out.Reset()
	errOut.Reset()
	if code := run([]string{"version", "extra"}, &out, &errOut); code != 1 || out.Len() != 0 || !strings.Contains(errOut.String(), `unexpected argument "extra"`) {
		t.Fatalf("version extra: exit %d, stdout %q, stderr %q", code, out.String(), errOut.String())
	}
	if code := run([]string{"version", "-h"}, &out, &errOut); code != 0 {
		t.Fatalf("version -h: exit %d", code)
	}
}
