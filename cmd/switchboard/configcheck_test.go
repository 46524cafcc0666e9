package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// config check passes the example file and exits 0.
func TestConfigCheckExample(t *testing.T) {
	var out, errOut strings.Builder
	code := run([]string{"config", "check", "switchboard.example.yaml"}, &out, &errOut)
	if code != 0 || out.String() != "switchboard.example.yaml: ok\n" || errOut.Len() != 0 {
		t.Fatalf("exit %d, stdout %q, stderr %q", code, out.String(), errOut.String())
	}
}

// config check reports every problem with its line and key path and exits 1.
func TestConfigCheckErrors(t *testing.T) {
	dir := t.TempDir()
	base := "realms:\n  - uri: r\nlisteners:\n  - type: websocket\n    address: ':0'\n"
	cases := []struct {
		name, text string
		want       []string // lines of stderr, after "FILE"
	}{
		{"unknown key", base + "listners: []\n",
			[]string{`:6: listners: unknown key "listners"`}},
		{"nested unknown key", "realms:\n  - uri: r\n    strict: true\nlisteners:\n  - type: websocket\n    address: ':0'\n",
			[]string{`:3: realms[0].strict: unknown key "strict"`}},
		{"wrong type", base + "outbound_queue: lots\n",
			[]string{":6: outbound_queue: cannot unmarshal !!str `lots` into int"}},
		{"wrong type in flow mapping", "realms: [{uri: r, max_option_list_len: many}]\nlisteners: [{type: websocket, address: ':0'}]\n",
			[]string{":1: realms[0].max_option_list_len: cannot unmarshal !!str `many` into int"}},
		{"negative limit", "realms:\n  - uri: r\n    max_option_list_len: -1\nlisteners:\n  - type: websocket\n    address: ':0'\n",
			[]string{":3: realms[0].max_option_list_len: -1: want 0 (the default, 1024) or more"}},
		{"negative byte budget", "realms: [{uri: r}]\nlisteners: [{type: websocket, address: ':0'}]\noutbound_queue_bytes: 10\noutbound_budget_bytes: -5\n",
			[]string{":4: outbound_budget_bytes: -5: want 0 (the default) or more"}},
		{"overdraft below -1", base + "outbound_overdraft_bytes: -2\n",
			[]string{":6: outbound_overdraft_bytes: -2: want 0 (the default), -1 (none) or more"}},
		{"negative connection cap", "realms:\n  - uri: r\nlisteners:\n  - type: both\n    address: ':0'\n    max_connections_per_address: -1\n",
			[]string{":6: listeners[0].max_connections_per_address: -1: want 0 (unlimited) or more"}},
		{"unknown backend", "backend: threads\n" + base,
			[]string{`:1: backend: "threads": want one of [goroutine eventloop pool]`}},
		{"roles", "realms:\n  - uri: r\n    roles:\n      - name: a\n        permissions:\n          - uri: com..x\n            allow: [call, fly]\n" +
			"          - uri: c\n            match: regex\n      - name: a\nlisteners:\n  - type: websocket\n    address: ':0'\n",
			[]string{
				`:6: realms[0].roles[0].permissions[0].uri: "com..x": not a valid URI for match "exact"`,
				`:7: realms[0].roles[0].permissions[0].allow[1]: "fly": want one of [call register publish subscribe disclose]`,
				`:9: realms[0].roles[0].permissions[1].match: "regex": want exact, prefix or wildcard`,
				`:10: realms[0].roles[1].name: "a": role listed twice`,
			}},
		{"missing key: the line of its parent", "realms:\n  - strict_uri: true\nlisteners:\n  - type: websocket\n    address: ':0'\n",
			[]string{":2: realms[0].uri: empty"}},
		{"missing section: no line", "realms:\n  - uri: r\n",
			[]string{": listeners: at least one listener is needed"}},
		{"all of them", "backend: threads\n" + base + "listners: []\noutbound_queue: -1\nmax_message_bytes: big\n",
			[]string{
				`:7: listners: unknown key "listners"`,
				":9: max_message_bytes: cannot unmarshal !!str `big` into int",
				`:1: backend: "threads": want one of [goroutine eventloop pool]`,
				":8: outbound_queue: -1: want at least 1",
			}},
		{"no validation below a mistyped key", "realms:\n  - uri: r\nlisteners:\n  - type: websocket\n    address: [a, b]\n",
			[]string{":5: listeners[0].address: cannot unmarshal !!seq into string"}},
		{"syntax error", "realms: [{uri: r}\nlisteners: []\n",
			[]string{":1: yaml: did not find expected ',' or ']'"}},
		{"empty", "# nothing\n",
			[]string{": no YAML document (the file is empty)"}},
	}
	for i, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			file := filepath.Join(dir, strings.Repeat("c", i+1)+".yaml")
			if err := os.WriteFile(file, []byte(tc.text), 0o600); err != nil {
				t.Fatal(err)
			}
			var out, errOut strings.Builder
			code := run([]string{"config", "check", file}, &out, &errOut)
			var want strings.Builder
			for _, w := range tc.want {
				want.WriteString(file + w + "\n")
			}
			if code != 1 || out.Len() != 0 || errOut.String() != want.String() {
				t.Fatalf("exit %d, stdout %q, stderr:\n%s\nwant exit 1 and stderr:\n%s", code, out.String(), errOut.String(), want.String())
			}
			// -config FILE refuses the same file.
			if _, err := parseFlags([]string{"-config", file}, &out); err == nil {
				t.Fatal("-config accepts it")
			}
		})
	}
}

func TestConfigCheckUsage(t *testing.T) {
	for _, args := range [][]string{{"config"}, {"config", "check"}, {"config", "lint", "x.yaml"}, {"config", "check", "a.yaml", "b.yaml"}} {
		var out, errOut strings.Builder
		if code := run(args, &out, &errOut); code != 1 || !strings.Contains(errOut.String(), "usage: switchboard config check FILE") {
			t.Errorf("%v: exit %d, stderr %q", args, code, errOut.String())
		}
	}
	var out, errOut strings.Builder
	if code := run([]string{"config", "check", filepath.Join(t.TempDir(), "none.yaml")}, &out, &errOut); code != 1 || !strings.Contains(errOut.String(), "no such file") {
		t.Errorf("missing file: exit %d, stderr %q", code, errOut.String())
	}
	errOut.Reset()
	if code := run([]string{"config", "check", "-h"}, &out, &errOut); code != 0 || !strings.Contains(errOut.String(), "FILE:LINE: KEY.PATH: message") {
		t.Errorf("config check -h: exit %d, stderr %q", code, errOut.String())
	}
}
