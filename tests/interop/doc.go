// Package interop drives the Switchboard router with a real third-party WAMP
// client, autobahn-js (npm `autobahn` 26.3.1) under Node, so the router is
// checked against an implementation we did not write.
//
// The JavaScript side lives in js/: scenario.js runs one scenario per process
// and prints one JSON result line. The Go side, in this package, installs the
// pinned npm packages and runs the script:
//
//	url := "ws://" + addr + "/ws" // a router started by the test
//	res := interop.RunScenario(t, url, "realm1", "call-go", "json")
//	// res["add_result"] == 5.0, res["echo_args"], res["echo_kwargs"], ...
//
// Duties of a test that uses it:
//  1. Start a router on 127.0.0.1:0 with the realm it passes, and, for the
//     call-go and pubsub scenarios, the Go procedures com.example.go.add,
//     com.example.go.echo and com.example.go.publish (see README.md).
//  2. Call RunScenario once per scenario and serializer; it fails the test on
//     any mismatch, and the returned map lets the test assert more.
//  3. Stop the router; scenario.js has closed its sessions before it exits.
//
// Node and npm are required (never skipped): EnsureNodeDeps fails the test
// when they are missing. The helpers are safe for concurrent use.
package interop
