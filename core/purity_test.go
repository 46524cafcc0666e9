package core_test

import (
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// The pure packages under core/ (everything but the engine, package core at
// the root of this folder) are sans-IO state machines: they take time as an
// argument and return what they want done as values. TestCorePurity checks
// that mechanically, by parsing their non-test files (no go list: fast and
// offline). A violation is any of:
//   - an import of net, net/..., sync, sync/..., or of this module's
//     scheduler, adapters or transport packages;
//   - a reference to a clock or timer function of package time (the type
//     time.Time and time.Duration are fine);
//   - a go statement.
// New subpackages are covered automatically: the test walks the tree.

// bannedTimeFuncs read the clock or start timers.
var bannedTimeFuncs = map[string]bool{
	"Now": true, "Sleep": true, "After": true, "AfterFunc": true, "NewTimer": true,
	"NewTicker": true, "Tick": true, "Since": true, "Until": true,
}

// allowedImports lists explicit exceptions, by directory under core/ (the
// directory and everything below it) and import path, each with its reason.
var allowedImports = map[string]map[string]string{
	// Codecs keep encode buffers in a sync.Pool. A codec is a pure function
	// of its input, not a state machine: the pool only recycles memory and
	// cannot make any behaviour depend on scheduling.
	"serialize": {"sync": "sync.Pool buffer pools in codecs"},
}

// purityViolation is one finding, positioned relative to the module root.
type purityViolation struct {
	pos string // core/dir/file.go:line
	msg string
}

func (v purityViolation) String() string { return v.pos + ": " + v.msg }

// bannedImport returns why path may not be imported by a pure package, or "".
func bannedImport(path, module string) string {
	switch {
	case path == "net" || strings.HasPrefix(path, "net/"):
		return "network I/O belongs to transport/"
	case path == "sync" || strings.HasPrefix(path, "sync/"):
		return "locks and atomics belong to the engine and adapters; the core is single-threaded"
	}
	for _, dir := range []string{"scheduler", "adapters", "transport"} {
		p := module + "/" + dir
		if path == p || strings.HasPrefix(path, p+"/") {
			return "the pure core must not depend on " + dir + "/"
		}
	}
	return ""
}

// allowed reports whether pkgDir (relative to core/, slash-separated) has an
// explicit exception for importing path.
func allowed(pkgDir, path string) bool {
	for dir, paths := range allowedImports {
		if pkgDir == dir || strings.HasPrefix(pkgDir, dir+"/") {
			if _, ok := paths[path]; ok {
				return true
			}
		}
	}
	return false
}

// checkPurity walks coreDir (the core/ folder) and returns the violations in
// every package below it, and the package directories it checked.
func checkPurity(coreDir, module string) ([]purityViolation, []string, error) {
	var found []purityViolation
	checked := map[string]bool{}
	fset := token.NewFileSet()
	err := filepath.WalkDir(coreDir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(coreDir, path)
		if err != nil {
			return err
		}
		rel = filepath.ToSlash(rel)
		name := d.Name()
		if d.IsDir() {
			if rel != "." && (name == "testdata" || strings.HasPrefix(name, ".") || strings.HasPrefix(name, "_")) {
				return filepath.SkipDir
			}
			return nil
		}
		pkgDir := filepath.ToSlash(filepath.Dir(rel))
		if pkgDir == "." || !strings.HasSuffix(name, ".go") || strings.HasSuffix(name, "_test.go") {
			return nil // the engine itself, non-Go files, tests
		}
		checked[pkgDir] = true
		file, err := parser.ParseFile(fset, path, nil, 0)
		if err != nil {
			return err
		}
		report := func(pos token.Pos, msg string) {
			found = append(found, purityViolation{
				pos: fmt.Sprintf("core/%s:%d", rel, fset.Position(pos).Line),
				msg: msg,
			})
		}
		checkFile(file, pkgDir, module, report)
		return nil
	})
	return found, slices.Sorted(maps.Keys(checked)), err
}

// checkFile reports the banned imports, time calls and go statements of one
// parsed file of the package in pkgDir.
func checkFile(file *ast.File, pkgDir, module string, report func(token.Pos, string)) {
	timeNames := map[string]bool{}
	for _, spec := range file.Imports {
		path, err := strconv.Unquote(spec.Path.Value)
		if err != nil {
			continue
		}
		if why := bannedImport(path, module); why != "" && !allowed(pkgDir, path) {
			report(spec.Pos(), fmt.Sprintf("imports %q: %s", path, why))
		}
		if path != "time" {
			continue
		}
		switch {
		case spec.Name == nil:
			timeNames["time"] = true
		case spec.Name.Name == ".":
			report(spec.Pos(), `dot-imports "time": its clock functions could not be checked`)
		case spec.Name.Name != "_":
			timeNames[spec.Name.Name] = true
		}
	}
	ast.Inspect(file, func(n ast.Node) bool {
		switch n := n.(type) {
		case *ast.GoStmt:
			report(n.Pos(), "go statement: the pure core never starts goroutines")
		case *ast.SelectorExpr:
			// Obj is nil for a package name and set for a local
			// identifier that shadows it.
			if id, ok := n.X.(*ast.Ident); ok && id.Obj == nil && timeNames[id.Name] && bannedTimeFuncs[n.Sel.Name] {
				report(n.Pos(), fmt.Sprintf("uses time.%s: time is an input to the core, never read or awaited", n.Sel.Name))
			}
		}
		return true
	})
}

// modulePath reads the module path from the go.mod above core/.
func modulePath(t *testing.T, goMod string) string {
	t.Helper()
	data, err := os.ReadFile(goMod)
	if err != nil {
		t.Fatalf("reading go.mod: %v", err)
	}
	for line := range strings.Lines(string(data)) {
		if rest, ok := strings.CutPrefix(strings.TrimSpace(line), "module "); ok {
			return strings.Trim(strings.TrimSpace(rest), `"`)
		}
	}
	t.Fatalf("no module line in %s", goMod)
	return ""
}

func TestCorePurity(t *testing.T) {
	module := modulePath(t, filepath.Join("..", "go.mod"))
	found, checked, err := checkPurity(".", module)
	if err != nil {
		t.Fatalf("checking core/: %v", err)
	}
	// Guard against a checker that silently looks at nothing.
	if !slices.Contains(checked, "wamp") {
		t.Fatalf("core/wamp was not checked; checked %v", checked)
	}
	t.Logf("checked %d packages: %v", len(checked), checked)
	for _, v := range found {
		t.Errorf("%s", v)
	}
}

// TestPurityCheckerFindsViolations runs the checker over a fake module tree
// so the checker itself is tested: each case writes files under core/ and
// lists the violations expected, as "core/file.go:line: message fragment".
func TestPurityCheckerFindsViolations(t *testing.T) {
	const module = "example.com/m"
	tests := []struct {
		name  string
		files map[string]string // path under core/ -> source
		want  []string
	}{
		{
			name: "banned imports",
			files: map[string]string{"bad/bad.go": `package bad

import (
	"net/http"
	"sync"
	_ "sync/atomic"
	"net"
	"example.com/m/scheduler"
	"example.com/m/adapters/goroutine"
	"example.com/m/transport"
	"example.com/m/transportx"
)
`},
			want: []string{
				`core/bad/bad.go:4: imports "net/http"`,
				`core/bad/bad.go:5: imports "sync"`,
				`core/bad/bad.go:6: imports "sync/atomic"`,
				`core/bad/bad.go:7: imports "net"`,
				`core/bad/bad.go:8: imports "example.com/m/scheduler"`,
				`core/bad/bad.go:9: imports "example.com/m/adapters/goroutine"`,
				`core/bad/bad.go:10: imports "example.com/m/transport"`,
			},
		},
		{
			name: "time clock functions, aliased and as values",
			files: map[string]string{"deep/er/clock.go": `package er

import (
	"time"
	tm "time"
)

var start = time.Now()

func f(d time.Duration) time.Time {
	time.Sleep(d)
	g := tm.Since
	_ = g
	<-time.After(d)
	return time.Unix(0, 0).Add(d)
}
`},
			want: []string{
				`core/deep/er/clock.go:8: uses time.Now`,
				`core/deep/er/clock.go:11: uses time.Sleep`,
				`core/deep/er/clock.go:12: uses time.Since`,
				`core/deep/er/clock.go:14: uses time.After`,
			},
		},
		{
			name: "go statement and dot import",
			files: map[string]string{"g/g.go": `package g

import . "time"

func f() { go func() {}() }
`},
			want: []string{
				`core/g/g.go:3: dot-imports "time"`,
				`core/g/g.go:5: go statement`,
			},
		},
		{
			name: "clean code, shadowed time, tests, testdata and the engine root",
			files: map[string]string{
				"ok/ok.go": `package ok

import "time"

type clock interface{ Now() time.Time }

func f(time clock) { _ = time.Now() }
`,
				"ok/ok_test.go":    "package ok\n\nimport \"net\"\n\nfunc g() { go func() {}(); _ = net.IPv4len }\n",
				"ok/testdata/x.go": "package x\n\nimport \"net\"\n",
				"engine.go":        "package core\n\nimport \"sync\"\n\nfunc f() { go func() {}(); var _ sync.Mutex }\n",
				"_scratch/x.go":    "package x\n\nimport \"net\"\n",
				"ok/README.md":     "not go",
			},
		},
		{
			name: "serialize may use sync, nothing else banned",
			files: map[string]string{
				"serialize/pool.go":   "package serialize\n\nimport \"sync\"\n\nvar p sync.Pool\n",
				"serialize/json/j.go": "package json\n\nimport \"sync\"\n\nvar p sync.Pool\n",
				"serialize/atomic.go": "package serialize\n\nimport \"sync/atomic\"\n\nvar n atomic.Int64\n",
				"serializer/x.go":     "package serializer\n\nimport \"sync\"\n",
			},
			want: []string{
				`core/serialize/atomic.go:3: imports "sync/atomic"`,
				`core/serializer/x.go:3: imports "sync"`,
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			root := t.TempDir()
			for name, src := range tt.files {
				path := filepath.Join(root, filepath.FromSlash(name))
				if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(path, []byte(src), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			found, _, err := checkPurity(root, module)
			if err != nil {
				t.Fatalf("checkPurity: %v", err)
			}
			var got []string
			for _, v := range found {
				got = append(got, v.String())
			}
			slices.Sort(got)
			want := slices.Sorted(slices.Values(tt.want))
			if len(got) != len(want) {
				t.Fatalf("violations:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
			}
			for i := range got {
				if !strings.HasPrefix(got[i], want[i]) {
					t.Errorf("violation %q, want prefix %q", got[i], want[i])
				}
			}
		})
	}
}
