// Package cluster makes Switchboard nodes share realms through NATS: a
// publication on one node reaches the subscribers of every node, a call
// on one node reaches callees on any node. NATS (github.com/nats-io/nats.go)
// carries everything; there is no cluster protocol of Switchboard's own
// beyond the few control messages below.
//
// A remote node is one session in each local realm. In every realm it
// serves, a node keeps one node session per other live node (nodesession.go):
// a session of the pure router, attached to the realm's engine like any
// session (engine.Realm.AttachNode), whose outlet forwards what the router
// sends it over NATS instead of writing to a socket. The router never learns
// about NATS; the cluster is part of the engine side.
//
// Each node announces the state others need to act for it (state.go): per
// realm, entries of a Kind — subscription interests (pubsub.go),
// registrations (rpc.go), sessions — as deltas stamped with the node's state
// version, and as snapshots that replace what a receiver holds. A receiver
// that sees a version gap (a lost delta, a reconnect) asks for snapshots,
// so state converges without duplicates. Each kind has a kindHandler, run
// on the realm's executor as entries come and go.
//
// Membership (membership.go): every node sends a heartbeat each
// Config.HeartbeatInterval; a node not heard of for Config.NodeTimeout is
// dead and its node sessions leave every realm (their subscriptions and
// registrations go, calls in flight to them end with wamp.error.canceled).
// A node that closes says so and is dropped at once. After NATS comes
// back, every node re-announces everything.
//
// Messages between nodes (wire.go) are WAMP messages in msgpack on the
// subject P.m.<realm>.<to>.<from>; what a node session receives from the
// router is dispatched by message type (onSend), what a node receives
// from another by type too (onReceive): each feature plugs its handlers in
// there. Calls cross as CALLs with forward_for (rpc.go); registrations that
// create a procedure are claimed cluster-wide in a JetStream key-value
// bucket first (claim.go).
//
// Core NATS delivers at most once: what is in flight while a node is cut
// off from NATS is lost, not replayed.
//
// Usage: set core.Config.Cluster; the application starts the node (Start),
// adds its realms (Node.AddRealm) and feeds each realm's subscription
// notices to Realm.Notices.
package cluster
