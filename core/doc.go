// Package core is Switchboard's engine and server API. It binds the pure
// router state machine (package core/router) to a scheduling backend
// (scheduler.AsyncSupport) and to connections (package transport), and it
// hosts the application's own Go procedures in the same dealer as the
// procedures that remote clients register.
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
// the backend; connections' reader goroutines decode and hand messages to the
// realm through a bounded mailbox (a full mailbox blocks the reader, which
// pushes back on the TCP connection); user handlers run as spawned tasks,
// never on the realm's executor.
package core
