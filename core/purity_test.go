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

// The purity rule, enforced here once for every pure package under core/.
//
// A pure package is a sans-IO state machine or function: it takes now as an
// argument and returns what it wants done as values. Its own code never
// starts a goroutine, reads the clock, creates a timer, draws randomness of
// its own, does I/O or synchronises. TestPurity parses the non-test files of
// every pure package (go/parser only: no type information, no go list) and
// rejects
//   - imports: the standard packages in bannedImports; any package of this
//     module other than the pure packages the importer's entry allows; any
//     package outside the standard library and this module not allowed by
//     the importer's entry; any dot import (the checker could not tell which
//     package a name comes from); non-Go sources (assembly, cgo, .syso);
//   - the package members in bannedMembers (time.Now, time.Sleep,
//     context.WithTimeout, fmt.Println, ...), however the package is named
//     locally (import t "time"; t.Now() is time.Now), called or not;
//   - go statements, select statements, channel sends, channel receives,
//     channel types (make(chan T), chan T or <-chan T anywhere), and the
//     builtins print and println (they write to standard error).
//
// What syntax cannot show: a range over a channel that comes from elsewhere
// (for range ctx.Done()) is not caught; every other way to have or use a
// channel is. A local variable named like an imported package (time.Now()
// with a local time) is reported although it is not the package: rename it.
//
// Test files (*_test.go) are not checked: tests may use the clock, goroutines
// and files to drive and observe a machine. TestPurityPlanted proves that the
// checker reports each kind of violation, from files in testdata/purity.

// pureSpec is one pure package: its directory under core/, the packages of
// this module it may import (module-relative), and the packages from other
// modules it may import, each with the reason.
type pureSpec struct {
	dir        string
	imports    []string
	thirdParty map[string]string
}

// purePackages is the list of pure packages. The dependency direction is
// wamp at the bottom; router, peer and serialize import core/wamp only.
var purePackages = []pureSpec{
	{dir: "wamp"},
	{dir: "router", imports: []string{"core/wamp"}},
	{dir: "peer", imports: []string{"core/wamp"}},
	// A codec is a pure function of its input: bytes in, messages out and
	// back, no clock, no state, no I/O (it appends to the caller's slice).
	// The libraries below are codecs too; they pool memory internally, which
	// cannot make an output depend on timing.
	{dir: "serialize", imports: []string{"core/wamp"}, thirdParty: map[string]string{
		"github.com/fxamacker/cbor/v2":       "CBOR decoding (after our pre-scan) and the encoder's fallback",
		"github.com/segmentio/encoding/json": "JSON fallback for values our encoder does not know",
		"github.com/vmihailenco/msgpack/v5":  "msgpack fallback for values our encoder does not know",
	}},
}

// impurePackages names every package directory under core/ that is not
// pure, with the reason. Each package directory under core/ must be in
// exactly one of the two lists.
var impurePackages = map[string]string{
	".":                "the server API: starts handlers, session hooks and authenticators as tasks",
	"engine":           "the engine: binds the pure machines to a scheduler backend and to connections",
	"serialize/shared": "the encode-once wrapper of fan-out: peer writers fill its cache concurrently, under a lock",
	"wamp/wamptest":    "test helper: loads the specification's vector files from disk; imported by tests only",
}

// bannedImport is a standard package a pure package may not import.
type bannedImport struct {
	path string
	sub  bool // every package below path too
	why  string
}

var bannedImports = []bannedImport{
	{"net", true, "network I/O belongs to transport/"},
	{"os", true, "files, processes, signals and the environment are I/O"},
	{"syscall", false, "system calls are I/O"},
	{"C", false, "cgo can do anything"},
	{"log", true, "logging writes to a file; report what happened as a value"},
	{"path/filepath", false, "file paths are I/O (Glob, Walk, Abs read the file system)"},
	{"io/ioutil", false, "file I/O"},
	{"plugin", false, "loads code from files"},
	{"expvar", false, "publishes over HTTP and synchronises"},
	{"crypto/tls", false, "network I/O belongs to transport/"},
	{"sync", true, "locks and atomics belong to the engine and the backends: one serial executor owns a machine"},
	{"math/rand", true, "randomness must be seeded by the caller (a deterministic generator on a seed from config)"},
	{"crypto/rand", false, "randomness must be seeded by the caller"},
	{"hash/maphash", false, "its seeds are random per process"},
	{"runtime", true, "scheduling and goroutine introspection are the backend's business"},
	{"unsafe", false, "bypasses the type system (atomics by hand, go:linkname to the runtime's clock)"},
	{"testing", true, "test helpers belong in _test.go files or in a named impure package"},
}

// bannedMembers are package members a pure package may not use.
var bannedMembers = map[string]map[string]string{
	"time": {
		"Now":          "reads the clock: take now as an argument",
		"Since":        "reads the clock: take now as an argument",
		"Until":        "reads the clock: take now as an argument",
		"Sleep":        "blocks on the clock: report a deadline instead",
		"After":        "creates a timer: report a deadline instead",
		"AfterFunc":    "creates a timer: report a deadline instead",
		"NewTimer":     "creates a timer: report a deadline instead",
		"NewTicker":    "creates a timer: report a deadline instead",
		"Tick":         "creates a timer: report a deadline instead",
		"Timer":        "a timer belongs to the engine: report a deadline instead",
		"Ticker":       "a timer belongs to the engine: report a deadline instead",
		"LoadLocation": "reads the time zone database from disk",
	},
	"context": {
		"WithTimeout":       "reads the clock and creates a timer",
		"WithDeadline":      "creates a timer",
		"WithTimeoutCause":  "reads the clock and creates a timer",
		"WithDeadlineCause": "creates a timer",
		"AfterFunc":         "starts a goroutine",
	},
	"fmt": {
		"Print":   "writes to standard output",
		"Printf":  "writes to standard output",
		"Println": "writes to standard output",
		"Scan":    "reads standard input",
		"Scanf":   "reads standard input",
		"Scanln":  "reads standard input",
	},
}

// The constructs, as reported in purityViolation.what.
const (
	goStmt     = "go statement"
	selectStmt = "select statement"
	chanSend   = "channel send"
	chanRecv   = "channel receive"
	chanType   = "channel type"
)

var constructs = map[string]string{
	goStmt:     "starts a goroutine: return what should run as a value",
	selectStmt: "waits on channels",
	chanSend:   "synchronises with another goroutine",
	chanRecv:   "synchronises with another goroutine",
	chanType:   "channels synchronise goroutines; a pure package has none",
	"print":    "writes to standard error",
	"println":  "writes to standard error",
}

// nonGoSources are the extensions of files the go tool compiles or links
// besides Go; in a pure package they would escape the checker.
var nonGoSources = []string{".s", ".S", ".sx", ".c", ".cc", ".cpp", ".cxx", ".h", ".hh", ".hpp", ".hxx", ".m", ".f", ".F", ".for", ".f90", ".swig", ".swigcxx", ".syso"}

// purityViolation is one finding. what names the violation exactly ("import
// net", "time.Now", "channel send"), why says what is wrong with it.
type purityViolation struct {
	pos  token.Position
	what string
	why  string
}

func (v purityViolation) String() string {
	return fmt.Sprintf("%s:%d: %s: %s", v.pos.Filename, v.pos.Line, v.what, v.why)
}

// checkPureFile returns every violation of the purity rule in one file of
// the pure package spec; module is this module's path.
func checkPureFile(fset *token.FileSet, file *ast.File, spec pureSpec, module string) []purityViolation {
	var found []purityViolation
	report := func(pos token.Pos, what, why string) {
		found = append(found, purityViolation{fset.Position(pos), what, why})
	}
	names := map[string]string{} // local name -> path, for packages with banned members
	for _, imp := range file.Imports {
		path, err := strconv.Unquote(imp.Path.Value)
		if err != nil {
			report(imp.Pos(), "import "+imp.Path.Value, "unreadable import path")
			continue
		}
		if why := importProblem(path, spec, module); why != "" {
			report(imp.Pos(), "import "+path, why)
		}
		if imp.Name != nil && imp.Name.Name == "." {
			report(imp.Pos(), "dot import "+path, "hides which package a name comes from")
			continue
		}
		if _, ok := bannedMembers[path]; !ok {
			continue
		}
		local := path[strings.LastIndex(path, "/")+1:]
		if imp.Name != nil {
			local = imp.Name.Name // "_" is never a selector's operand
		}
		names[local] = path
	}

	var visit func(n ast.Node) bool
	visit = func(n ast.Node) bool {
		switch n := n.(type) {
		case *ast.GoStmt:
			report(n.Pos(), goStmt, constructs[goStmt])
		case *ast.SelectStmt:
			// The select is the violation; its cases' channel
			// operations are part of it. Their bodies are checked.
			report(n.Pos(), selectStmt, constructs[selectStmt])
			for _, c := range n.Body.List {
				for _, s := range c.(*ast.CommClause).Body {
					ast.Inspect(s, visit)
				}
			}
			return false
		case *ast.SendStmt:
			report(n.Arrow, chanSend, constructs[chanSend])
		case *ast.UnaryExpr:
			if n.Op == token.ARROW {
				report(n.OpPos, chanRecv, constructs[chanRecv])
			}
		case *ast.ChanType:
			report(n.Pos(), chanType, constructs[chanType])
		case *ast.CallExpr:
			if id, ok := n.Fun.(*ast.Ident); ok && (id.Name == "print" || id.Name == "println") {
				report(id.Pos(), id.Name, constructs[id.Name])
			}
		case *ast.SelectorExpr:
			id, ok := n.X.(*ast.Ident)
			if !ok {
				break
			}
			if path, ok := names[id.Name]; ok {
				if why, ok := bannedMembers[path][n.Sel.Name]; ok {
					report(n.Pos(), path+"."+n.Sel.Name, why)
				}
			}
		}
		return true
	}
	ast.Inspect(file, visit)
	return found
}

// importProblem returns why the package spec may not import path, or "".
func importProblem(path string, spec pureSpec, module string) string {
	if rel, ok := strings.CutPrefix(path, module+"/"); ok || path == module {
		if slices.Contains(spec.imports, rel) {
			return ""
		}
		for _, p := range purePackages {
			if rel == "core/"+p.dir {
				return fmt.Sprintf("core/%s is pure, but core/%s may import only %v of this module", p.dir, spec.dir, spec.imports)
			}
		}
		return "not a pure package: the pure core must not depend on the rest of the module"
	}
	if first, _, _ := strings.Cut(path, "/"); strings.Contains(first, ".") {
		if _, ok := spec.thirdParty[path]; ok {
			return ""
		}
		return fmt.Sprintf("a package from another module; core/%s may import only %v", spec.dir, slices.Sorted(maps.Keys(spec.thirdParty)))
	}
	for _, b := range bannedImports {
		if path == b.path || b.sub && strings.HasPrefix(path, b.path+"/") {
			return b.why
		}
	}
	return ""
}

// checkCore checks every package directory under coreDir: a pure one file
// by file, and that each is in exactly one of the lists pure and impure. It
// returns the problems found and the pure directories checked.
func checkCore(coreDir, module string, pure []pureSpec, impure map[string]string) (problems []string, checked []string, err error) {
	specs := map[string]pureSpec{}
	for _, p := range pure {
		specs[p.dir] = p
		if _, ok := impure[p.dir]; ok {
			problems = append(problems, fmt.Sprintf("core/%s is listed as both pure and impure", p.dir))
		}
	}
	seen := map[string]bool{}
	files := map[string]int{} // pure dir -> Go files checked
	fset := token.NewFileSet()
	err = filepath.WalkDir(coreDir, func(path string, d fs.DirEntry, err error) error {
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
				return filepath.SkipDir // ignored by the go tool
			}
			return nil
		}
		dir := filepath.ToSlash(filepath.Dir(rel))
		spec, isPure := specs[dir]
		if strings.HasSuffix(name, ".go") {
			seen[dir] = true
		}
		if !isPure {
			return nil
		}
		if slices.Contains(nonGoSources, filepath.Ext(name)) {
			problems = append(problems, fmt.Sprintf("core/%s: non-Go source in a pure package", rel))
			return nil
		}
		if !strings.HasSuffix(name, ".go") || strings.HasSuffix(name, "_test.go") {
			return nil
		}
		file, err := parser.ParseFile(fset, path, nil, parser.SkipObjectResolution)
		if err != nil {
			return err
		}
		files[dir]++
		for _, v := range checkPureFile(fset, file, spec, module) {
			v.pos.Filename = "core/" + rel
			problems = append(problems, v.String())
		}
		return nil
	})
	for dir := range seen {
		if _, ok := specs[dir]; !ok && impure[dir] == "" {
			problems = append(problems, fmt.Sprintf("core/%s is a new package: add it to purePackages, or to impurePackages with the reason", dir))
		}
	}
	for _, p := range pure {
		if files[p.dir] == 0 {
			problems = append(problems, fmt.Sprintf("core/%s is listed as pure but has no Go files to check", p.dir))
		}
	}
	for dir := range impure {
		if !seen[dir] {
			problems = append(problems, fmt.Sprintf("core/%s is listed as impure but does not exist", dir))
		}
	}
	slices.Sort(problems)
	return problems, slices.Sorted(maps.Keys(files)), err
}

// modulePath reads the module path from a go.mod file.
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

func TestPurity(t *testing.T) {
	module := modulePath(t, filepath.Join("..", "go.mod"))
	problems, checked, err := checkCore(".", module, purePackages, impurePackages)
	if err != nil {
		t.Fatalf("checking core/: %v", err)
	}
	t.Logf("checked pure packages %v", checked)
	for _, p := range problems {
		t.Error(p)
	}
}

// specFor returns the entry of purePackages for dir.
func specFor(t *testing.T, dir string) pureSpec {
	t.Helper()
	i := slices.IndexFunc(purePackages, func(p pureSpec) bool { return p.dir == dir })
	if i < 0 {
		t.Fatalf("no pure package %q", dir)
	}
	return purePackages[i]
}

// plantedWants returns the violations a planted file's comments ask for,
// as "line: what", and the pure package it is checked as.
func plantedWants(fset *token.FileSet, file *ast.File) (wants []string, as string) {
	as = "router"
	for _, g := range file.Comments {
		for _, c := range g.List {
			if what, ok := strings.CutPrefix(c.Text, "// want: "); ok {
				wants = append(wants, fmt.Sprintf("%d: %s", fset.Position(c.Pos()).Line, what))
			}
			if dir, ok := strings.CutPrefix(c.Text, "// purity:as "); ok {
				as = dir
			}
		}
	}
	return wants, as
}

// TestPurityPlanted runs the checker over the planted files in
// testdata/purity: each must draw exactly the violations it wants.
func TestPurityPlanted(t *testing.T) {
	module := modulePath(t, filepath.Join("..", "go.mod"))
	paths, err := filepath.Glob(filepath.Join("testdata", "purity", "*.go"))
	if err != nil || len(paths) == 0 {
		t.Fatalf("no planted files: %v", err)
	}
	planted := map[string]bool{} // every what wanted by some file
	for _, path := range paths {
		t.Run(strings.TrimSuffix(filepath.Base(path), ".go"), func(t *testing.T) {
			fset := token.NewFileSet()
			file, err := parser.ParseFile(fset, path, nil, parser.ParseComments|parser.SkipObjectResolution)
			if err != nil {
				t.Fatal(err)
			}
			wants, as := plantedWants(fset, file)
			var got []string
			for _, v := range checkPureFile(fset, file, specFor(t, as), module) {
				got = append(got, fmt.Sprintf("%d: %s", v.pos.Line, v.what))
			}
			slices.Sort(got)
			slices.Sort(wants)
			if !slices.Equal(got, wants) {
				t.Errorf("checked as core/%s, got violations\n\t%s\nwant\n\t%s", as,
					strings.Join(got, "\n\t"), strings.Join(wants, "\n\t"))
			}
			for _, w := range wants {
				_, what, _ := strings.Cut(w, ": ")
				planted[what] = true
			}
		})
	}

	// Every rule has a planted witness, so none can go silently dead.
	var rules []string
	for _, b := range bannedImports {
		rules = append(rules, "import "+b.path)
	}
	for pkg, members := range bannedMembers {
		for m := range members {
			rules = append(rules, pkg+"."+m)
		}
	}
	for c := range constructs {
		rules = append(rules, c)
	}
	rules = append(rules,
		"import "+module+"/scheduler", // not pure
		"import "+module+"/transport",
		"import "+module+"/adapters/goroutine",
		"import "+module+"/core/peer",         // pure, but not in this direction
		"import github.com/fxamacker/cbor/v2", // another module's, allowed elsewhere only
		"dot import strings",
	)
	for _, r := range rules {
		if !planted[r] {
			t.Errorf("no planted file in testdata/purity wants %q", r)
		}
	}
}

// TestPurityPackageLists checks that a package under core/ cannot escape
// the check: a new one must be listed, a listed one must exist, and a pure
// one holds no non-Go sources.
func TestPurityPackageLists(t *testing.T) {
	root := t.TempDir()
	for name, src := range map[string]string{
		"engine.go":          "package core\n\nimport \"sync\"\n",
		"pure/a.go":          "package pure\n\nimport \"sync\"\n",
		"pure/a_test.go":     "package pure\n\nimport \"os\"\n",
		"pure/clock_amd64.s": "TEXT ·now(SB),$0\n",
		"pure/testdata/x.go": "package x\n\nimport \"net\"\n",
		"pure/deeper/d.go":   "package deeper\n",
		"_scratch/x.go":      "package x\n",
		"impure/helper.go":   "package impure\n\nimport \"os\"\n",
		"empty/README.md":    "no Go here\n",
		"nogo/only_test.go":  "package nogo\n",
		"lister/lister.go":   "package lister\n",
		"lister/lister2.go":  "package lister\n\nimport \"example.com/m/core/impure\"\n",
	} {
		path := filepath.Join(root, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(src), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	pure := []pureSpec{{dir: "pure"}, {dir: "lister"}, {dir: "gone"}}
	impure := map[string]string{".": "engine", "impure": "helper", "removed": "was here"}
	problems, checked, err := checkCore(root, "example.com/m", pure, impure)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{
		"core/gone is listed as pure but has no Go files to check",
		"core/lister/lister2.go:3: import example.com/m/core/impure: not a pure package",
		"core/nogo is a new package",
		"core/pure/a.go:3: import sync:",
		"core/pure/clock_amd64.s: non-Go source in a pure package",
		"core/pure/deeper is a new package",
		"core/removed is listed as impure but does not exist",
	}
	slices.Sort(want)
	if len(problems) != len(want) {
		t.Fatalf("problems\n\t%s\nwant\n\t%s", strings.Join(problems, "\n\t"), strings.Join(want, "\n\t"))
	}
	for i := range want {
		if !strings.HasPrefix(problems[i], want[i]) {
			t.Errorf("problem %q, want prefix %q", problems[i], want[i])
		}
	}
	if !slices.Equal(checked, []string{"lister", "pure"}) {
		t.Errorf("checked %v, want [lister pure]", checked)
	}
}
