package client_test

import (
	"context"
	"errors"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/switchboard-wamp/switchboard/adapters/eventloop"
	"github.com/switchboard-wamp/switchboard/adapters/goroutine"
	"github.com/switchboard-wamp/switchboard/client"
	"github.com/switchboard-wamp/switchboard/core"
	"github.com/switchboard-wamp/switchboard/core/serialize"
	"github.com/switchboard-wamp/switchboard/core/wamp"
	"github.com/switchboard-wamp/switchboard/scheduler"
	"github.com/switchboard-wamp/switchboard/transport"
)

// On the event loop, handlers run on the loop goroutine: a call that would
// wait there fails at once with scheduler.ErrWouldBlock instead of
// deadlocking, and the same call from a handler registered as Blocking
// works.
func TestEventLoopBlockingCalls(t *testing.T) {
	rb := goroutine.New(goroutine.Config{})
	defer rb.Close()
	app, err := core.New(core.Config{Backend: rb, Realms: []core.RealmConfig{{URI: "realm1"}}})
	if err != nil {
		t.Fatal(err)
	}
	defer app.Close(context.Background())
	loop := eventloop.New(eventloop.Config{})
	defer loop.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	ws, err := transport.NewWebSocketServer(transport.WebSocketConfig{Serializers: []serialize.Serializer{serialize.JSON}}, app)
	if err != nil {
		t.Fatal(err)
	}
	defer ws.Close()
	hs := httptest.NewServer(ws)
	defer hs.Close()
	s, err := client.Dial(ctx, "ws"+strings.TrimPrefix(hs.URL, "http"), client.Config{Realm: "realm1", Backend: loop})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Leave(context.Background(), "")

	_, err = s.Register(ctx, "com.example.inner", func(context.Context, *client.Invocation) (*client.Result, error) {
		return &client.Result{Args: wamp.List{"inner"}}, nil
	}, nil)
	must(t, err)
	// Non-blocking handler calling out: refused with ErrWouldBlock.
	_, err = s.Register(ctx, "com.example.outer.loop", func(ctx context.Context, _ *client.Invocation) (*client.Result, error) {
		_, err := s.Call(ctx, "com.example.inner", nil, nil, nil)
		if !errors.Is(err, scheduler.ErrWouldBlock) {
			return nil, &client.Error{URI: "test.unexpected", Args: wamp.List{err.Error()}}
		}
		return &client.Result{Args: wamp.List{"refused"}}, nil
	}, nil)
	must(t, err)
	// Blocking handler calling out: runs off the loop and may wait.
	_, err = s.Register(ctx, "com.example.outer.blocking", func(ctx context.Context, _ *client.Invocation) (*client.Result, error) {
		return s.Call(ctx, "com.example.inner", nil, nil, nil)
	}, &client.RegisterOptions{Blocking: true})
	must(t, err)

	res, err := s.Call(ctx, "com.example.outer.loop", nil, nil, nil)
	if err != nil || res.Args[0] != "refused" {
		t.Fatalf("loop handler: %v %v", res, err)
	}
	res, err = s.Call(ctx, "com.example.outer.blocking", nil, nil, nil)
	if err != nil || res.Args[0] != "inner" {
		t.Fatalf("blocking handler: %v %v", res, err)
	}

	// A blocking event handler may call the router too, and sees its
	// events in order.
	got := make(chan string, 3)
	_, err = s.Subscribe(ctx, "com.example.t", func(e *client.Event) {
		res, err := s.Call(ctx, "com.example.inner", nil, nil, nil)
		if err != nil {
			got <- err.Error()
			return
		}
		got <- e.Args[0].(string) + "/" + res.Args[0].(string)
	}, &client.SubscribeOptions{Blocking: true})
	must(t, err)
	no := false
	for _, v := range []string{"a", "b", "c"} {
		must(t, s.Publish(ctx, "com.example.t", wamp.List{v}, nil, &client.PublishOptions{ExcludeMe: &no, Acknowledge: true}))
	}
	for _, want := range []string{"a/inner", "b/inner", "c/inner"} {
		if g := <-got; g != want {
			t.Fatalf("event handler got %q, want %q", g, want)
		}
	}
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}
