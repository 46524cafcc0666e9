package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"
)

const configUsage = `usage: switchboard config check FILE

Loads and validates FILE as -config FILE would. Prints "FILE: ok" and exits 0,
or prints every problem found, one a line as FILE:LINE: KEY.PATH: message
(FILE: message when there is no line), on stderr and exits 1.
`

// configMain is `switchboard config check FILE`.
func configMain(args []string, stdout, stderr io.Writer) error {
	if len(args) > 0 && isHelp(args[len(args)-1]) {
		fmt.Fprint(stderr, configUsage)
		return errHelp
	}
	if len(args) != 2 || args[0] != "check" {
		return errors.New("usage: switchboard config check FILE")
	}
	file := args[1]
	problems := checkConfigFile(file)
	if len(problems) == 0 {
		fmt.Fprintf(stdout, "%s: ok\n", file)
		return nil
	}
	for _, p := range problems {
		fmt.Fprintln(stderr, p)
	}
	return errReported
}

// checkConfigFile loads file as -config does (loadConfig's decodeConfig,
// then withDefaults and Validate's problems) and returns every problem
// found, formatted as "FILE:LINE: PATH: message".
//
// yaml.v3 decodes the whole document even past a mistyped value or an
// unknown key and lists them all; each is reported with its line and key
// path (found in the document's node tree). The partly decoded
// configuration is then validated, except for settings at or under a key
// that failed to decode. A YAML syntax error stops everything: it is the
// only problem reported.
func checkConfigFile(file string) []string {
	data, err := os.ReadFile(file)
	if err != nil {
		return []string{err.Error()}
	}
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return []string{syntaxProblem(file, err)}
	}
	c, err := decodeConfig(data)
	var out []string
	var undecoded [][]any
	var te *yaml.TypeError
	switch {
	case err == nil:
	case errors.As(err, &te):
		for _, e := range te.Errors {
			line, path, msg := locateDecodeError(&doc, e)
			if path != nil {
				undecoded = append(undecoded, path)
				msg = pathString(path) + ": " + msg
			}
			out = append(out, located(file, line, msg))
		}
	default:
		return []string{syntaxProblem(file, err)}
	}
	for _, p := range c.withDefaults().problems() {
		if slices.ContainsFunc(undecoded, func(u []any) bool { return hasPrefix(u, p.path) || hasPrefix(p.path, u) }) {
			continue // a consequence of the decoding error already reported
		}
		out = append(out, located(file, lineOf(&doc, p.path), p.Error()))
	}
	return out
}

func located(file string, line int, msg string) string {
	if line > 0 {
		return fmt.Sprintf("%s:%d: %s", file, line, msg)
	}
	return file + ": " + msg
}

var (
	yamlLineRE     = regexp.MustCompile(`^(?:yaml: )?line (\d+): (.*)$`)
	yamlUnknownRE  = regexp.MustCompile(`^field (.+) not found in type \S+$`)
	yamlMistypedRE = regexp.MustCompile("^cannot unmarshal \\S+(?: `([^`]*)`)? into ")
)

// syntaxProblem formats an error that stopped decoding ("yaml: line 3:
// mapping values are not allowed in this context") as FILE:3: ....
func syntaxProblem(file string, err error) string {
	if m := yamlLineRE.FindStringSubmatch(err.Error()); m != nil {
		line, _ := strconv.Atoi(m[1])
		return located(file, line, "yaml: "+m[2])
	}
	return located(file, 0, err.Error())
}

// locateDecodeError finds the line and key path of one of a
// yaml.TypeError's errors: "line 12: field listners not found in type
// main.Config" is line 12, path [listners], message `unknown key
// "listners"`; for "line 5: cannot unmarshal !!str `abc` into int" the path
// is the key whose value on line 5 is abc, and the message yaml.v3's.
// An error it cannot parse comes back whole with line 0 and no path.
func locateDecodeError(doc *yaml.Node, e string) (line int, path []any, msg string) {
	m := yamlLineRE.FindStringSubmatch(e)
	if m == nil {
		return 0, nil, e
	}
	line, _ = strconv.Atoi(m[1])
	msg = m[2]
	if u := yamlUnknownRE.FindStringSubmatch(msg); u != nil {
		walkNodes(doc, nil, func(p []any, key, _ *yaml.Node) {
			if path == nil && key != nil && key.Line == line && key.Value == u[1] {
				path = p
			}
		})
		return line, path, fmt.Sprintf("unknown key %q", u[1])
	}
	if t := yamlMistypedRE.FindStringSubmatch(msg); t != nil {
		// yaml.v3 quotes a scalar's first 7 characters and "..." when
		// it is longer than 10; a sequence or mapping is not quoted.
		scalar, prefix := strings.Contains(t[0], "`"), strings.TrimSuffix(t[1], "...")
		walkNodes(doc, nil, func(p []any, _, val *yaml.Node) {
			if path != nil || val.Line != line {
				return
			}
			if scalar == (val.Kind == yaml.ScalarNode) && (!scalar || strings.HasPrefix(val.Value, prefix)) {
				path = p
			}
		})
	}
	return line, path, msg
}

// lineOf is the line of the key at path in doc, or of the deepest key or
// sequence item on the way there that the document has (realms[0] for a
// missing realms[0].uri); 0 if it has none.
func lineOf(doc *yaml.Node, path []any) int {
	line, depth := 0, -1
	walkNodes(doc, nil, func(p []any, key, val *yaml.Node) {
		if len(p) > depth && hasPrefix(path, p) {
			line, depth = val.Line, len(p)
			if key != nil {
				line = key.Line
			}
		}
	})
	return line
}

// walkNodes calls visit for every mapping entry (its key and value) and
// every sequence item (key nil) under n, in document order, with its key
// path. Aliases are not followed.
func walkNodes(n *yaml.Node, path []any, visit func(path []any, key, val *yaml.Node)) {
	switch n.Kind {
	case yaml.DocumentNode:
		for _, c := range n.Content {
			walkNodes(c, path, visit)
		}
	case yaml.MappingNode:
		for i := 0; i+1 < len(n.Content); i += 2 {
			k, v := n.Content[i], n.Content[i+1]
			p := append(slices.Clip(path), any(k.Value))
			visit(p, k, v)
			walkNodes(v, p, visit)
		}
	case yaml.SequenceNode:
		for i, v := range n.Content {
			p := append(slices.Clip(path), any(i))
			visit(p, nil, v)
			walkNodes(v, p, visit)
		}
	}
}

// hasPrefix reports whether path starts with prefix.
func hasPrefix(path, prefix []any) bool {
	return len(prefix) <= len(path) && slices.Equal(path[:len(prefix)], prefix)
}
