// Package peer is the client side of a WAMP session as a pure state
// machine: the session states (joining, established, leaving, closed), the
// request IDs and pending requests of a caller, callee, publisher and
// subscriber, the map from router subscriptions to local handles, and the
// open invocations of local procedures.
//
// It does no I/O, takes no locks, starts no goroutines and never reads the
// clock. Inputs are method calls; every output is appended, in order, to an
// Effects value that the caller owns: messages to send, completions of
// requests (carrying the opaque token given with the request), invocations
// and events to hand to user code, and the end of the session. Package
// client drives it from one serial executor over a connection; package
// core drives one on each realm's executor for the application's own
// session, whose messages pass to the router in-process; tests drive it
// with literal messages.
//
//	p := peer.New(peer.Config{Realm: "realm1"})
//	var fx peer.Effects
//	p.Hello(&fx)                       // fx.Send: HELLO
//	// ... send fx.Send, fx.Reset(), read the router's reply m ...
//	p.Receive(m, &fx)                  // WELCOME → fx.Joined
//	id := p.Call("com.add", wamp.List{1, 2}, nil, nil, waiter, &fx)
//	// later: p.Receive(result, &fx)   → fx.Completions[0].Token == waiter
//
// Duties of the driver (whoever owns a Peer):
//  1. Call every method from one goroutine or serial executor at a time.
//  2. After each input, send Effects.Send in order, then apply the rest,
//     then Reset the Effects before the next input.
//  3. Report every message from the router with Receive, in arrival order,
//     and a dropped connection with ConnectionLost.
//  4. Answer every reported Invocation exactly once with Yield or
//     InvocationError (Interrupts only ask the handler to stop early).
//  5. Answer a reported Challenge with Authenticate or Abort.
//  6. Close the connection once Effects.Closed is set, after sending.
//
// Protocol violations by the router (a message the current state does not
// allow, a reply to an unknown request) abort the session with
// wamp.error.protocol_violation; the resulting CloseInfo.Err wraps
// ErrProtocolViolation. Replies that can legitimately race with our own
// messages are tolerated: RESULT/ERROR after CANCEL, INTERRUPT after YIELD,
// EVENT and INVOCATION received while leaving or after the last local
// handle went.
package peer
