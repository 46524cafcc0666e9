package interop

import (
	"testing"

	"github.com/switchboard-wamp/switchboard/tests/testrouter"
)

// TestWampyJS drives the router with wampy.js 8 (npm `wampy`, pinned in
// js/package-lock.json) over JSON, MessagePack and CBOR on the first
// backend, and over JSON on the others: a wampy callee and caller (plain
// and keyword payloads, Go procedures, progressive results, cancel, the
// unknown-procedure error) and a wampy subscriber with exact, prefix and
// wildcard subscriptions fed by a wampy publisher and by Go, and payload
// passthru mode between two wampy sessions (a call answered in passthru
// mode, a publication; end-to-end CBOR over msgpack and CBOR sessions, a
// custom scheme over JSON). wampy sends
// JavaScript undefined option values as msgpack ext 0 and CBOR simple 23;
// every request here carries some. The scenarios check their values in JS;
// the assertions here check the summary again.
func TestWampyJS(t *testing.T) {
	EnsureNodeDeps(t)
	for i, b := range testrouter.Backends() {
		t.Run(b.Name, func(t *testing.T) {
			r := testrouter.Start(t, b.New())
			sers := serializers
			if i > 0 { // the serializers once, the backends with JSON
				sers = []string{"json"}
			}
			for _, ser := range sers {
				t.Run(ser, func(t *testing.T) {
					t.Run("rpc", func(t *testing.T) {
						got := runWampy(t, r.URL, "wampy-rpc", ser)
						wantJSON(t, got, "mul", `42`)
						wantJSON(t, got, "echo_args", `["hello",2,false,null,{"nested":[1,"two"]}]`)
						wantJSON(t, got, "echo_kwargs", `{"greeting":"hi","n":3}`)
						wantJSON(t, got, "go_echo", `["x",1.5]`)
						wantJSON(t, got, "progress", `[1,2,3,4]`)
						wantJSON(t, got, "final", `"done"`)
						wantJSON(t, got, "canceled", `"wamp.error.canceled"`)
						wantJSON(t, got, "after_cancel", `6`)
						wantJSON(t, got, "no_such_procedure", `"wamp.error.no_such_procedure"`)
					})
					t.Run("pubsub", func(t *testing.T) {
						got := runWampy(t, r.URL, "wampy-pubsub", ser)
						wantJSON(t, got, "exact", `["from-go","from-wampy"]`)
						wantJSON(t, got, "prefix", `["from-go","from-wampy","prefix-only"]`)
						wantJSON(t, got, "wildcard", `["from-go","from-wampy"]`)
						wantJSON(t, got, "event_kwargs", `{"k":1}`)
					})
					t.Run("ppt", func(t *testing.T) {
						got := runWampy(t, r.URL, "wampy-ppt", ser)
						wantJSON(t, got, "echo_args", `["secret",7,"back"]`)
						wantJSON(t, got, "echo_kwargs", `{"k":"v"}`)
						wantJSON(t, got, "event_args", `["opaque"]`)
					})
				})
			}
		})
	}
}

// runWampy runs one scenario of js/scenarios_wampy.js.
func runWampy(t *testing.T, url, scenario, ser string) map[string]any {
	t.Helper()
	return RunSpec(t, ScenarioSpec{URL: url, Realm: "realm1", Scenario: scenario, Serializer: ser, Script: "wampy_scenario.js"})
}
