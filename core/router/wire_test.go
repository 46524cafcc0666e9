package router

import (
	"bytes"
	"encoding/json"
	"fmt"
	"sort"
	"strconv"
	"strings"

	"github.com/switchboard-wamp/switchboard/core/wamp"
)

// Test-only conversion between JSON text and typed messages: JSON is
// decoded the way serializers do (int64 numbers, []any, map[string]any),
// then wamp.FromList / wamp.ToList do the rest.

// parseJSON decodes one JSON value with integers as int64.
func parseJSON(s string) (any, error) {
	dec := json.NewDecoder(strings.NewReader(s))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, err
	}
	if dec.More() {
		return nil, fmt.Errorf("trailing data after JSON value")
	}
	return normalise(v), nil
}

func normalise(v any) any {
	switch x := v.(type) {
	case json.Number:
		if n, err := strconv.ParseInt(string(x), 10, 64); err == nil {
			return n
		}
		if n, err := strconv.ParseUint(string(x), 10, 64); err == nil {
			return n
		}
		f, _ := x.Float64()
		return f
	case []any:
		for i := range x {
			x[i] = normalise(x[i])
		}
	case map[string]any:
		for k := range x {
			x[k] = normalise(x[k])
		}
	}
	return v
}

// toList renders a message for transcripts: wamp.ToList, plus the
// transcript's abbreviated WELCOME.
func toList(m wamp.Message) wamp.List {
	if w, ok := m.(*welcomeMarker); ok {
		return wamp.List{int64(wamp.WELCOME), int64(w.Session), "<standard details>"}
	}
	if l := wamp.ToList(m); l != nil {
		return l
	}
	return wamp.List{int64(m.Type()), fmt.Sprintf("<no rendering for %T>", m)}
}

// idNamer names integers in rendered output: it returns "" to print the
// number itself. kind is the ID's role at that list position ("sub", "reg",
// "pub" or "" elsewhere).
type idNamer func(n uint64, kind string) string

// idKinds marks the list positions holding router-assigned IDs.
var idKinds = map[wamp.Type]map[int]string{
	wamp.SUBSCRIBED: {2: "sub"},
	wamp.REGISTERED: {2: "reg"},
	wamp.PUBLISHED:  {2: "pub"},
	wamp.EVENT:      {1: "sub", 2: "pub"},
	wamp.INVOCATION: {2: "reg"},
}

// render prints a message as compact JSON with sorted keys, naming
// integers through name (nil: plain numbers).
func render(m wamp.Message, name idNamer) string {
	var b bytes.Buffer
	kinds := idKinds[m.Type()]
	b.WriteByte('[')
	for i, v := range toList(m) {
		if i > 0 {
			b.WriteByte(',')
		}
		writeValue(&b, v, kinds[i], name)
	}
	b.WriteByte(']')
	return b.String()
}

// renderValue prints one value as render prints a message's elements.
func renderValue(v any) string {
	var b bytes.Buffer
	writeValue(&b, v, "", nil)
	return b.String()
}

func writeValue(b *bytes.Buffer, v any, kind string, name idNamer) {
	if n, ok := wamp.ToInt(v); ok && n >= 0 {
		if _, isFloat := v.(float64); !isFloat {
			if name != nil {
				if s := name(uint64(n), kind); s != "" {
					b.WriteString(s)
					return
				}
			}
			b.WriteString(strconv.FormatInt(n, 10))
			return
		}
	}
	switch x := v.(type) {
	case []any:
		b.WriteByte('[')
		for i, e := range x {
			if i > 0 {
				b.WriteByte(',')
			}
			writeValue(b, e, "", name)
		}
		b.WriteByte(']')
	case map[string]any:
		keys := make([]string, 0, len(x))
		for k := range x {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		b.WriteByte('{')
		for i, k := range keys {
			if i > 0 {
				b.WriteByte(',')
			}
			writeValue(b, k, "", nil)
			b.WriteByte(':')
			writeValue(b, x[k], idKindForKey(k), name)
		}
		b.WriteByte('}')
	default:
		enc := json.NewEncoder(b)
		enc.SetEscapeHTML(false)
		if err := enc.Encode(v); err != nil {
			fmt.Fprintf(b, "%q", fmt.Sprint(v))
		} else {
			b.Truncate(b.Len() - 1) // Encode's newline
		}
	}
}

// idKindForKey lets session IDs inside details render as their names.
func idKindForKey(k string) string {
	switch k {
	case "caller", "publisher":
		return "session"
	}
	return ""
}
