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
// wait for the answer on a per-request queue, so no lock guards it.
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
package client
