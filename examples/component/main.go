// Command component runs a client.Component (autobahn's Component) that
// keeps serving while its router is stopped and started again.
//
// The component has two transports: the first (RawSocket) points at a
// port nobody listens on, the second (WebSocket) at the router. It
// declares a procedure and a subscription up front; they are made again
// on every join, with no user code. A second component calls the
// procedure and publishes to the topic, before and after the restart.
//
//	go run ./examples/component
package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"time"

	"github.com/switchboard-wamp/switchboard/adapters/goroutine"
	"github.com/switchboard-wamp/switchboard/client"
	"github.com/switchboard-wamp/switchboard/core"
	"github.com/switchboard-wamp/switchboard/core/serialize"
	"github.com/switchboard-wamp/switchboard/core/wamp"
	"github.com/switchboard-wamp/switchboard/examples/internal/demo"
	"github.com/switchboard-wamp/switchboard/transport"
)

func main() { demo.Main(run) }

func run(out io.Writer) error {
	ctx, backend, done := demo.Start()
	defer done()
	quiet := slog.New(slog.DiscardHandler) // the retries would log warnings

	r, err := startRouter("127.0.0.1:0")
	if err != nil {
		return err
	}
	defer func() { r.stop() }()
	unreachable, err := freeAddr()
	if err != nil {
		return err
	}

	// A fast schedule for the demonstration; client.DefaultRetry() is
	// autobahn's (1.5 s initial delay, ×1.5, 10 % jitter, 300 s cap).
	retry := &client.RetryPolicy{MaxRetries: -1, InitialDelay: 20 * time.Millisecond,
		MaxDelay: 200 * time.Millisecond, Growth: 1.5, Jitter: 0.1}
	ready := make(chan struct{}, 4)
	events := make(chan string, 4)
	service, err := client.NewComponent(client.ComponentConfig{
		Transports: []client.TransportConfig{
			{URL: "rs://" + unreachable, Retry: retry}, // tried first, never answers
			{URL: "ws://" + r.addr + "/ws", Retry: retry},
		},
		Realm:   "realm1",
		Backend: backend,
		Logger:  quiet,
		Hooks: client.Hooks{
			OnReady: func(ctx context.Context, s *client.Session) { ready <- struct{}{} },
		},
	})
	if err != nil {
		return err
	}
	// Declared up front, like @component.register and @component.subscribe.
	err = service.Register("com.example.double", func(_ context.Context, inv *client.Invocation) (*client.Result, error) {
		n, _ := wamp.ToInt(inv.Args[0])
		return &client.Result{Args: wamp.List{2 * n}}, nil
	}, nil)
	if err != nil {
		return err
	}
	err = service.Subscribe("com.example.news", func(e *client.Event) { events <- e.Args[0].(string) }, nil)
	if err != nil {
		return err
	}

	// The caller is a component too: its Call waits for its next join.
	caller, err := client.NewComponent(client.ComponentConfig{
		Transports: []client.TransportConfig{{URL: "ws://" + r.addr + "/ws", Retry: retry}},
		Backend:    backend,
		Logger:     quiet,
	})
	if err != nil {
		return err
	}
	runDone := make(chan error, 1)
	go func() { runDone <- client.Run(ctx, service, caller) }()

	for round, n := range []int{21, 50} {
		if err := waitFor(ctx, ready); err != nil {
			return err
		}
		fmt.Fprintf(out, "round %d: service joined\n", round+1)
		res, err := caller.Call(ctx, "com.example.double", wamp.List{n}, nil, nil)
		if err != nil {
			return err
		}
		fmt.Fprintf(out, "round %d: double(%d) = %v\n", round+1, n, res.Args[0])
		err = caller.Publish(ctx, "com.example.news", wamp.List{fmt.Sprintf("news %d", round+1)}, nil,
			&client.PublishOptions{Acknowledge: true})
		if err != nil {
			return err
		}
		if err := waitFor(ctx, events); err != nil {
			return err
		}
		fmt.Fprintf(out, "round %d: service got the event\n", round+1)
		if round == 0 {
			r.stop() // GOODBYE wamp.close.system_shutdown to everyone, then gone
			fmt.Fprintln(out, "router stopped")
			if r, err = startRouter(r.addr); err != nil { // same address
				return err
			}
			fmt.Fprintln(out, "router started again")
		}
	}
	service.Stop()
	caller.Stop()
	if err := waitFor(ctx, runDone); err != nil {
		return err
	}
	fmt.Fprintln(out, "components done")
	return nil
}

// waitFor receives from c (an error value is returned) or fails with ctx.
func waitFor[T any](ctx context.Context, c chan T) error {
	select {
	case v := <-c:
		if err, ok := any(v).(error); ok {
			return err
		}
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// router is an Application served over WebSocket and RawSocket on one
// loopback port; stop closes it for good.
type router struct {
	addr string
	stop func()
}

func startRouter(addr string) (*router, error) {
	backend := goroutine.New(goroutine.Config{})
	app, err := core.New(core.Config{Backend: backend, Realms: []core.RealmConfig{{URI: "realm1"}}})
	if err != nil {
		return nil, err
	}
	sers := serialize.All()
	ws, err := transport.NewWebSocketServer(transport.WebSocketConfig{Serializers: sers}, app)
	if err != nil {
		return nil, err
	}
	rs, err := transport.NewRawSocketServer(transport.RawSocketConfig{Serializers: sers}, app)
	if err != nil {
		return nil, err
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, err
	}
	mux := transport.NewMux(ws, rs, transport.MuxConfig{})
	served := make(chan error, 1)
	go func() { served <- mux.Serve(ln) }()
	return &router{addr: ln.Addr().String(), stop: func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		app.Close(ctx)
		mux.Close()
		ws.Close()
		rs.Close()
		<-served
		backend.Close()
	}}, nil
}

// freeAddr returns a loopback address nobody listens on.
func freeAddr() (string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer ln.Close()
	return ln.Addr().String(), nil
}
