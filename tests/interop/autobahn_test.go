package interop

import (
	"encoding/json"
	"testing"

	"github.com/switchboard-wamp/switchboard/tests/testrouter"
)

// TestAutobahnJS drives a real Switchboard router with autobahn-js (the npm
// package, pinned in js/package-lock.json and installed by the test itself)
// on every backend: a JS callee and caller, a JS caller of Go procedures,
// JS and Go publishers reaching a JS subscriber, and the spec's error URI
// for an unknown procedure. Each scenario verifies its results in JS; the
// assertions here check the same values again from the Go side.
func TestAutobahnJS(t *testing.T) {
	EnsureNodeDeps(t)
	for _, b := range testrouter.Backends() {
		t.Run(b.Name, func(t *testing.T) {
			r := testrouter.Start(t, b.New())
			for _, ser := range serializers {
				t.Run(ser, func(t *testing.T) {
					t.Run("js-callee-caller", func(t *testing.T) {
						got := RunScenario(t, r.URL, "realm1", "js-callee-caller", ser)
						wantJSON(t, got, "mul_result", `42`)
					})
					t.Run("call-go", func(t *testing.T) {
						got := RunScenario(t, r.URL, "realm1", "call-go", ser)
						wantJSON(t, got, "add_result", `5`)
						wantJSON(t, got, "echo_args", `["x",1.5,true,null,{"k":[1,2]}]`)
						wantJSON(t, got, "echo_kwargs", `{"a":1}`)
					})
					t.Run("pubsub", func(t *testing.T) {
						got := RunScenario(t, r.URL, "realm1", "pubsub", ser)
						wantJSON(t, got, "s_received", `["from-js","from-go"]`)
						wantJSON(t, got, "p_received", `["from-go"]`)
					})
					t.Run("no-such-procedure", func(t *testing.T) {
						got := RunScenario(t, r.URL, "realm1", "no-such-procedure", ser)
						wantJSON(t, got, "error_uri", `"wamp.error.no_such_procedure"`)
					})
					t.Run("call-go-typed", func(t *testing.T) {
						got := RunScenario(t, r.URL, "realm1", "call-go-typed", ser)
						wantJSON(t, got, "add_kwargs", `5`)
						wantJSON(t, got, "add_args", `42`)
						wantJSON(t, got, "greeting", `"Hello, Ada!"`)
						wantJSON(t, got, "whoami_is_self", `true`)
						wantJSON(t, got, "item_id", `"77"`)
						wantJSON(t, got, "invalid_uri", `"wamp.error.invalid_argument"`)
						wantJSON(t, got, "invalid_args", `["argument \"b\" (position 2): want integer, got string"]`)
					})
					t.Run("call-go-progressive", func(t *testing.T) {
						got := RunScenario(t, r.URL, "realm1", "call-go-progressive", ser)
						wantJSON(t, got, "progress", `[1,2,3,4]`)
						wantJSON(t, got, "final", `"done"`)
						wantJSON(t, got, "plain_final", `"done"`)
						wantJSON(t, got, "plain_reports", `0`)
					})
				})
			}
		})
	}
}

// wantJSON compares result[key] with want as canonical JSON text.
func wantJSON(t *testing.T, result map[string]any, key, want string) {
	t.Helper()
	var w any
	if err := json.Unmarshal([]byte(want), &w); err != nil {
		t.Fatalf("bad expectation %s: %v", want, err)
	}
	got, _ := json.Marshal(result[key])
	exp, _ := json.Marshal(w)
	if string(got) != string(exp) {
		t.Errorf("%s = %s, want %s (whole result: %v)", key, got, exp, result)
	}
}
