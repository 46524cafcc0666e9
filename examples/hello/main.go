// Command hello runs a WAMP router with one Go procedure, then connects a Go
// client that subscribes to a topic, calls the procedure (which publishes to
// that topic from the application) and prints what comes back.
//
//	go run ./examples/hello
package main

import (
	"context"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"os"
	"time"

	"github.com/switchboard-wamp/switchboard/adapters/goroutine"
	"github.com/switchboard-wamp/switchboard/client"
	"github.com/switchboard-wamp/switchboard/core"
	"github.com/switchboard-wamp/switchboard/core/serialize"
	"github.com/switchboard-wamp/switchboard/core/wamp"
	"github.com/switchboard-wamp/switchboard/transport"
)

func main() {
	if err := run(os.Stdout); err != nil {
		log.Fatal(err)
	}
}

func run(out io.Writer) error {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()

	// The router: an Application on the goroutine backend, realm "realm1".
	backend := goroutine.New(goroutine.Config{})
	defer backend.Close()
	app, err := core.New(core.Config{Backend: backend, Realms: []core.RealmConfig{{URI: "realm1"}}})
	if err != nil {
		return err
	}
	realm, _ := app.Realm("realm1")

	// A Go procedure, in the same dealer as procedures of remote clients.
	_, err = realm.Register(ctx, "com.example.greet", func(ctx context.Context, inv *core.Invocation) (*core.Result, error) {
		name, _ := inv.Args[0].(string)
		greeting := "Hello, " + name + "!"
		// The application publishes to remote subscribers too.
		if err := realm.Publish(ctx, "com.example.greetings", wamp.List{greeting}, nil, nil); err != nil {
			return nil, err
		}
		return &core.Result{Args: wamp.List{greeting}}, nil
	}, nil)
	if err != nil {
		return err
	}

	// Serve it over WebSocket on a free loopback port.
	ws, err := transport.NewWebSocketServer(transport.WebSocketConfig{Serializers: []serialize.Serializer{serialize.JSON}}, app)
	if err != nil {
		return err
	}
	defer ws.Close()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	srv := &http.Server{Handler: ws}
	go srv.Serve(ln)
	defer srv.Close()
	defer app.Close(ctx)

	// A Go client: subscribe, then call.
	s, err := client.Dial(ctx, "ws://"+ln.Addr().String()+"/ws", client.Config{Realm: "realm1", Backend: backend})
	if err != nil {
		return err
	}
	defer s.Leave(ctx, "")
	events := make(chan string, 1)
	_, err = s.Subscribe(ctx, "com.example.greetings", func(e *client.Event) { events <- e.Args[0].(string) }, nil)
	if err != nil {
		return err
	}
	res, err := s.Call(ctx, "com.example.greet", wamp.List{"world"}, nil, nil)
	if err != nil {
		return err
	}
	fmt.Fprintln(out, "result:", res.Args[0])
	select {
	case ev := <-events:
		fmt.Fprintln(out, "event: ", ev)
	case <-ctx.Done():
		return ctx.Err()
	}
	return nil
}
