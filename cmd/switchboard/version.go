package main

import (
	"fmt"
	"io"
	"runtime"
	"runtime/debug"
)

// versionMain is `switchboard version`: it prints the build information
// from runtime/debug.ReadBuildInfo, see formatBuildInfo.
func versionMain(args []string, stdout, stderr io.Writer) error {
	if len(args) > 0 {
		if isHelp(args[0]) {
			fmt.Fprintln(stderr, "usage: switchboard version\n\nPrints the module version, the VCS revision, whether the tree was modified, and the Go version.")
			return errHelp
		}
		return fmt.Errorf("version: unexpected argument %q", args[0])
	}
	bi, _ := debug.ReadBuildInfo()
	_, err := io.WriteString(stdout, formatBuildInfo(bi))
	return err
}

// formatBuildInfo formats build information as four lines, in this order:
//
//	version: v0.0.0-20261202065826-4147e3d1c2b0+dirty
//	revision: 4147e3d1c2b0e0b2f1c9c1f3c0a9d8e7f6a5b4c3
//	modified: true
//	go: go1.26.8
//
// version is the main module's version (Go stamps a pseudo-version from
// git, or "(devel)"); revision and modified are the vcs.revision and
// vcs.modified build settings. A missing value prints "unknown"; a missing
// Go version (bi nil) is runtime.Version().
func formatBuildInfo(bi *debug.BuildInfo) string {
	version, revision, modified, goVersion := "unknown", "unknown", "unknown", runtime.Version()
	if bi != nil {
		if bi.Main.Version != "" {
			version = bi.Main.Version
		}
		if bi.GoVersion != "" {
			goVersion = bi.GoVersion
		}
		for _, s := range bi.Settings {
			switch {
			case s.Key == "vcs.revision" && s.Value != "":
				revision = s.Value
			case s.Key == "vcs.modified" && s.Value != "":
				modified = s.Value
			}
		}
	}
	return fmt.Sprintf("version: %s\nrevision: %s\nmodified: %s\ngo: %s\n", version, revision, modified, goVersion)
}
