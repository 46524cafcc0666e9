// Package client is the Go WAMP client: a Session joins a realm on a
// router and calls, registers, publishes and subscribes.
//
//	be := goroutine.New(goroutine.Config{})
//	defer be.Close()
//	s, err := client.Dial(ctx, "ws://127.0.0.1:8080/ws", client.Config{Realm: "realm1", Backend: be})
//	if err != nil { ... }
//	defer s.Leave(context.Background(), "")
//
//	reg, err := s.Register(ctx, "com.example.add", func(ctx context.Context, inv *client.Invocation) (*client.Result, error) {
//		a, _ := wamp.ToInt(inv.Args[0])
//		b, _ := wamp.ToInt(inv.Args[1])
//		return &client.Result{Args: wamp.List{a + b}}, nil
//	}, nil)
//	res, err := s.Call(ctx, "com.example.add", wamp.List{2, 3}, nil, nil)
//	var werr *client.Error
//	if errors.As(err, &werr) { log.Print(werr.URI) } // a WAMP ERROR reply
//
//	sub, err := s.Subscribe(ctx, "com.example.news", func(e *client.Event) { log.Print(e.Args) }, nil)
//	err = s.Publish(ctx, "com.example.news", wamp.List{"hello"}, nil, &client.PublishOptions{Acknowledge: true})
//
// # Concurrency
//
// Every Session, Registration, Subscription and Invocation method is safe
// for concurrent use. The protocol state (a core/peer.Peer) belongs to one
// serial executor of Config.Backend: methods post their request to it and
// wait for the answer on a per-request queue, so no lock guards it. On the
// event loop and the pool, whose executors can be claimed
// (scheduler.ExecutorClaimer), a request finding that executor idle runs
// on the calling goroutine instead, the router's messages on the
// connection's reader, and a message for a connection with nothing queued
// is written there at once (transport.InlineSender), so that a call wakes
// no other goroutine on the way out; the goroutine backend always posts.
// User code never runs on that executor:
//   - a Handler runs as a backend task (Spawn), one per invocation,
//     concurrently; its ctx is cancelled by INTERRUPT or the session's end;
//   - an EventHandler runs on a serial executor of its own subscription,
//     so each subscription sees its events one at a time, in order;
//   - CallOptions.Progress runs on the goroutine blocked in Call, in order.
//
// A context that ends before the reply abandons the wait (Call also sends
// CANCEL; a late registration or subscription is undone). Inbound messages
// pass through a bounded inbox, so a busy session pushes back on the
// connection; an event handler that falls Config.EventQueueMax events
// behind aborts the session (ErrEventOverflow) instead of losing events.
//
// # Errors
//
// A WAMP ERROR reply is a *Error (URI, Args, Kwargs). The end of the
// session fails pending and later requests with a *CloseError, which
// matches ErrSessionClosed and wraps the cause (a transport error, the
// router's ABORT/GOODBYE reason). A Handler answers with a *Error it
// returns (or wraps), with wamp.error.runtime_error for any other error or
// a panic, and with wamp.error.canceled for its ctx's error after an
// INTERRUPT.
//
// Join runs a session over any transport.Peer (an in-memory pipe in
// tests); Dial is Join over WebSocket.
//
// # Lifecycle hooks
//
// Config.Hooks are called, in order and off the session's executor (and
// off an event loop: they may wait), as the session goes through
// OnConnect, [Config.OnChallenge], OnJoin (with WELCOME's details),
// OnReady, OnLeave (reason and message) and OnDisconnect; OnConnectFailure
// when the connection cannot be made. Join returns after OnJoin and
// OnReady, so what OnJoin registers is in place.
//
// # Components: reconnecting, as autobahn's
//
// A Component keeps a session joined over a list of transports: it
// connects, makes its declared registrations and subscriptions, runs
// Main or waits, and when the session is lost reconnects on each
// transport's RetrySchedule, making the declarations again:
//
//	c, err := client.NewComponent(client.ComponentConfig{
//		Transports: []client.TransportConfig{
//			{URL: "rs://10.0.0.1:8080"},           // RawSocket, CBOR
//			{URL: "wss://router.example.com/ws"},  // WebSocket, CBOR or JSON
//		},
//		Backend: be,
//		Hooks:   client.Hooks{OnReady: func(ctx context.Context, s *client.Session) { log.Print("ready") }},
//	})
//	c.Register("com.example.add", add, nil)         // re-registered on every join
//	c.Subscribe("com.example.news", onNews, nil)    // re-subscribed on every join
//	err = c.Start(ctx)                              // until done; c.Stop() from elsewhere
//
// Calls made through the component (Component.Call, Publish, Session)
// while it is disconnected wait for the next join, up to their ctx, or
// fail at once with ErrNotConnected (FailWhileDisconnected). Client
// keep-alive (TransportOptions.PingInterval, PongTimeout) detects a
// half-open connection, which is then replaced like a lost one.
//
// autobahn-python's names and their Go equivalents:
//
//	autobahn-python                          Go
//	Component(...)                           NewComponent(ComponentConfig{...})
//	  main=                                  ComponentConfig.Main (func(ctx, *Session) error)
//	  transports= "ws://..." | [dict, ...]    ComponentConfig.Transports []TransportConfig
//	  config= (ComponentConfig)              Realm and Extra (Session.Extra)
//	  realm= (default "realm1")              ComponentConfig.Realm ("" = "realm1")
//	  extra=                                 ComponentConfig.Extra
//	  authentication=                        ComponentConfig.Auth (AuthID, AuthMethods, AuthExtra, OnChallenge)
//	  session_factory=                       ComponentConfig.SessionFactory: hooks per session (no subclassing in Go)
//	  is_fatal=                              ComponentConfig.IsFatal
//	component.start() / stop()               Component.Start(ctx) / Stop(), Done()
//	@component.register(uri, options)        Component.Register(uri, Handler, *RegisterOptions)
//	@component.subscribe(topic, options)     Component.Subscribe(topic, EventHandler, *SubscribeOptions)
//	on_connect / on_join / on_ready          Hooks.OnConnect / OnJoin / OnReady
//	on_leave / on_disconnect                 Hooks.OnLeave / OnDisconnect
//	on_connectfailure                        Hooks.OnConnectFailure
//	"start" event                            none: Start itself
//	run([components])                        Run(ctx, components...)
//	ApplicationRunner(url, realm, extra,     ApplicationRunner{URL, Realm, Extra,
//	  serializers, ssl, proxy, headers)        Serializers, TLS, Proxy, Header}
//	runner.run(make) / runner.stop()         ApplicationRunner.Run(ctx, SessionFactory) / Stop()
//	ApplicationSession                       Session
//	  onConnect / onChallenge / onJoin       Hooks.OnConnect / Config.OnChallenge / Hooks.OnJoin
//	  onLeave / onDisconnect                 Hooks.OnLeave / Hooks.OnDisconnect
//	  onUserError                            none: handler errors and panics are logged and answered
//	  call / register / subscribe / publish  Session.Call / Register / Subscribe / Publish
//	  leave                                  Session.Leave
//	SessionDetails / CloseDetails            SessionDetails / LeaveDetails
//	transport keys:
//	  type ("websocket" | "rawsocket")       TransportConfig.Type (WebSocket | RawSocket; "" = the URL's)
//	  url                                    TransportConfig.URL (ws, wss, ws+unix, rs, rss, rs+unix)
//	  endpoint {type, host, port, path,      TransportConfig.Endpoint {Type, Host, Port, Path,
//	    timeout, tls}                          Timeout, TLS *tls.Config}
//	  serializers (default cbor, json)       TransportConfig.Serializers (nil = CBOR, JSON)
//	  serializer (rawsocket, default cbor)   TransportConfig.Serializer (nil = CBOR)
//	  options                                TransportConfig.Options (MaxMessageBytes, Compression,
//	                                           PingInterval, PongTimeout, HandshakeTimeout, ...)
//	  headers                                TransportConfig.Header
//	  proxy {host, port}                     TransportConfig.Proxy (HTTP CONNECT, WebSocket only)
//	  max_retries (-1)                       RetryPolicy.MaxRetries (-1 = unlimited)
//	  initial_retry_delay (1.5)              RetryPolicy.InitialDelay (1.5s)
//	  max_retry_delay (300)                  RetryPolicy.MaxDelay (300s)
//	  retry_delay_growth (1.5)               RetryPolicy.Growth (1.5)
//	  retry_delay_jitter (0.1)               RetryPolicy.Jitter (0.1)
//
// The retry defaults are autobahn-python's real ones (DefaultRetry), and
// so is the algorithm (RetrySchedule): the first attempt is immediate,
// then each delay is the previous one times the growth, drawn from a
// normal variate of relative deviation jitter, capped; MaxRetries+1
// attempts in a row. One deviation: a transport's schedule restarts after
// a session joined over it (autobahn never resets it, so its max_retries
// bounds a component's whole life). A handshake timeout is a failed
// attempt like any other: the loop goes on.
package client
