// Package engine binds Switchboard's pure machines to a scheduling backend
// and to connections. It is the one protocol package that starts work,
// arms timers and touches transport peers; the protocol itself (the
// handshake, routing, deadlines, what to answer) is the pure router's
// (core/router), and what the application adds (authenticators, session
// hooks, topic handlers, its own procedures) is package core's, reached
// through Host.
//
// The data path of one CALL, one file a step:
//
//	transport reader goroutine   decode (core/serialize), Handler.Message
//	conn.go                      the connection's first message chooses a realm;
//	                             every later one goes to its mailbox, in order
//	realm.go  receive            the realm's executor: router.Realm.Handle
//	                             (on the pool and the event loop, when the
//	                             realm is idle, the reader claims its
//	                             executor and runs this itself, and on the
//	                             loop the handler it spawns too:
//	                             scheduler.PutInline)
//	core/router                  route: INVOCATION to the callee (Effects.Out)
//	realm.go  deliver            Send to the callee's peer (flow control)
//	transport writer goroutine   encode, batch, write; the YIELD comes back
//	                             the same way and leaves as RESULT
//
// On an event loop and on the pool (a claimable executor) deliver writes a
// message for one peer (not a fan-out) from the realm's own goroutine when
// nothing is queued for that peer (transport.InlineSender): no writer
// goroutine is woken, and a full socket hands the rest to the writer
// instead of holding the realm. A message to a session the same step
// closes is held, and the close writes it with the WebSocket close frame
// in one write (SendHeld, CloseInline).
//
// Duties of the engine (the driver of core/router, whose doc.go lists them
// from the router's side):
//  1. One serial executor per realm owns its router.Realm: every router
//     call happens on it, so no lock guards routing state.
//  2. A connection's events reach its realm's executor in arrival order
//     (its mailbox); at most Server.InflightPerSession of them, and
//     Server.InflightBytesPerSession of their estimated size, wait at
//     once, then the connection's reader pauses; the part of the message
//     that crossed the byte bound counts in the transport's shared inbound
//     budget until routed (transport.FlowControl.HoldInbound).
//  3. After every router call, the effects are carried out in order:
//     messages delivered (a shared one encoded once per serializer), then
//     sessions closed, then handshake steps; carrying them out may feed the
//     router again, and the loop runs until none are left.
//  4. One backend timer per realm is armed at the router's next deadline.
//  5. A receiver left congested by a step throttles the sender of that
//     step (transport.FlowControl; ThrottleEvent for an EVENT, which a
//     subscriber that stopped reading lets go of) — a connection's reader,
//     or a transport.Gate for a source that is not a connection (ApplyAs:
//     a cluster node's inbox); a message a receiver's transport refused is
//     reported to the router (Undeliverable).
//  6. Handshake steps that may block (authentication, session-open hooks)
//     are the Host's, off the executor; their outcomes come back to it.
//  7. The engine holds no lock to order protocol states: a connection
//     keeps one atomic pointer (its realm, set once by its reader), every
//     other piece of state is owned by one executor.
//  8. Requests held for the dynamic authorizer (router Effects.Authorize)
//     go to the Host, which runs it off the executor; each verdict comes
//     back to the router on the executor (Authorized).
//  9. When asked (Metrics), it counts handshake timeouts and
//     authentication failures and times remote calls (metrics.go); a
//     drain waits on the executor until no call is pending (drain.go).
//  10. Cluster claims (router Effects.Claim) go to the realm's Claimer,
//     which answers off the executor; each answer comes back to the router
//     on the executor (Claimed). Without a Claimer every claim is won at
//     once (claim.go).
package engine
