// Package core is Switchboard's server API (the serverwamp half). Below it,
// package core/engine binds the pure router state machine (core/router) to
// a scheduling backend (scheduler.AsyncSupport) and to connections
// (package transport); this package builds an engine realm per Realm, gives
// it what the application adds (host.go: authentication, session objects
// and hooks, topic handlers), and hosts the application's own Go
// procedures in the same dealer as the procedures remote clients register.
//
//	app, err := core.New(core.Config{
//		Backend: goroutine.New(goroutine.Config{}),
//		Realms:  []core.RealmConfig{{URI: "realm1"}},
//	})
//	realm, _ := app.Realm("realm1")
//	realm.Register(ctx, "com.example.add", func(ctx context.Context, inv *core.Invocation) (*core.Result, error) {
//		return &core.Result{Args: wamp.List{sum(inv.Args)}}, nil
//	})
//	ws, _ := transport.NewWebSocketServer(transport.WebSocketConfig{Serializers: ...}, app)
//	http.Handle("/ws", ws)
//
// Threading: each realm's routing state belongs to one serial executor of
// the backend (core/engine); connections' reader goroutines decode and hand
// messages to the realm through a bounded mailbox (a full mailbox, or a
// congested receiver, pauses the reader, which pushes back on the TCP
// connection); user handlers, authenticators and hooks run as spawned
// tasks, never on the realm's executor.
//
// Sessions (the serverwamp half; auth.go, hooks.go, topics.go, deps.go):
// a HELLO names a realm (or lands in Config.DefaultRealm when that is on);
// the realm's Authenticator, or the application's, admits it with an
// Identity or refuses it with an ABORT, possibly after CHALLENGE round
// trips (AuthRequest.Challenge); then the SessionHooks' open parts run, and
// only then WELCOME is sent. A Session carries the identity, the transport
// details and the application's per-session data; its hooks' close parts run
// however it ends, and Application.Close waits for them. TopicHandlers run
// when a session subscribes (before SUBSCRIBED, so they may refuse) and
// when it unsubscribes or leaves. Provide / Dep pass application-wide
// dependencies to every handler through its context. Everything registered
// on the Application applies to every realm, including realms added later;
// what is registered on a Realm applies to it alone.
//
// Authorization (authz.go, authz_procedure.go): a realm's Roles decide by
// authrole which URIs a session may call, register, publish and subscribe
// to (the router checks them, core/router/authz.go); an Authorizer (a Go
// function, or ProcedureAuthorizer's WAMP procedure) is asked about what
// the roles allow, as a spawned task, with its verdicts cached per session.
//
// Procedures (routes*.go, typed*.go, progress.go, callhandler.go,
// register.go, call.go, publish.go, local*.go): a Routes set maps URIs to Handlers by exact URI, prefix,
// wildcard or regular expression, for every realm (Application.AddRoutes)
// or one (Realm.AddRoutes). The first three are registrations in the
// realm's dealer, beside remote callees'; regular expressions are tried for
// calls nothing else matches (the dealer's fallback callee is the
// application's own session), so the most specific match always wins.
// Func0..Func3 and Bind turn typed Go functions into Handlers (arguments
// bound by position or name, results mapped as serverwamp does, binding
// errors answered with wamp.error.invalid_argument); Progressive turns a
// Go iterator of progress reports and a final result into one;
// SetCallHandler replaces a realm's routing with a single Handler. Handlers
// find the calling session with SessionFrom; handlers that wait (for
// Realm.Call, an acknowledged Publish, I/O) are marked Blocking so that an
// event-loop backend runs them off the loop. Realm.Call calls any
// procedure of the realm, remote or local, from Go. The application's own
// session, which registers, calls and publishes for all of these, is a
// core/peer machine driven on the realm's executor (local.go), the same
// client-role machine package client drives over a connection.
package core
