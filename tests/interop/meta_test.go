package interop

import (
	"testing"

	"github.com/switchboard-wamp/switchboard/tests/testrouter"
)

// TestAutobahnJSMeta drives the meta API with autobahn-js on every backend
// and serializer, as a dashboard would: wamp.session.on_join,
// wamp.session.count/list/get (no_such_session for an unknown ID),
// wamp.registration.lookup (null before REGISTER, the registration after),
// list_callees and wamp.subscription.count_subscribers. The scenario
// checks the values in JS; the Go side checks the summary again.
func TestAutobahnJSMeta(t *testing.T) {
	EnsureNodeDeps(t)
	for _, b := range testrouter.Backends() {
		t.Run(b.Name, func(t *testing.T) {
			r := testrouter.Start(t, b.New())
			for _, ser := range serializers {
				t.Run(ser, func(t *testing.T) {
					got := RunScenario(t, r.URL, "realm1", "meta-api", ser)
					wantJSON(t, got, "on_join_is_joiner", `true`)
					wantJSON(t, got, "on_join_keys", `["authid","authmethod","authprovider","authrole","session","transport"]`)
					wantJSON(t, got, "count_at_least_2", `true`)
					wantJSON(t, got, "get_session_is_joiner", `true`)
					wantJSON(t, got, "no_such_session", `"wamp.error.no_such_session"`)
					wantJSON(t, got, "lookup_before", `null`)
					wantJSON(t, got, "lookup_after_is_registration", `true`)
					wantJSON(t, got, "count_subscribers", `1`)
				})
			}
		})
	}
}
