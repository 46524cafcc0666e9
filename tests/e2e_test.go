package tests

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/switchboard-wamp/switchboard/client"
	"github.com/switchboard-wamp/switchboard/core/serialize"
	"github.com/switchboard-wamp/switchboard/core/wamp"
	"github.com/switchboard-wamp/switchboard/tests/testrouter"
)

// dialClient joins realm1 with the Go client over WebSocket and JSON, on a
// fresh backend of the same kind as the router's; both leave at cleanup.
func dialClient(t *testing.T, b backend, r *testrouter.Router) *client.Session {
	t.Helper()
	return dialVia(t, b, r.URL, serialize.JSON)
}

// dialVia joins realm1 at url (any scheme client.Dial takes) with one
// serializer, on a fresh backend of kind b.
func dialVia(t *testing.T, b backend, url string, ser serialize.Serializer) *client.Session {
	t.Helper()
	as := b.New()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	s, err := client.Dial(ctx, url, client.Config{Realm: "realm1", Backend: as, Serializers: []serialize.Serializer{ser}})
	if err != nil {
		as.Close()
		t.Fatalf("dial %s (%s): %v", url, ser.Name(), err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		s.Leave(ctx, "")
		as.Close()
	})
	return s
}

// guardCtx is a test's context: its deadline (guard) only ends a test that
// would otherwise hang, so a loaded machine never fails a call that is merely
// slow.
func guardCtx(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), guard)
	t.Cleanup(cancel)
	return ctx
}

func wantErrorURI(t *testing.T, err error, uri wamp.URI) {
	t.Helper()
	var we *client.Error
	if !errors.As(err, &we) || we.URI != uri {
		t.Fatalf("err = %v, want WAMP error %s", err, uri)
	}
}

func TestRPC(t *testing.T) {
	forEachBackend(t, func(t *testing.T, b backend) {
		r := startRouter(t, b)
		callee, caller := dialClient(t, b, r), dialClient(t, b, r)
		ctx := guardCtx(t)

		t.Run("remote callee", func(t *testing.T) {
			_, err := callee.Register(ctx, "com.example.mul", func(_ context.Context, inv *client.Invocation) (*client.Result, error) {
				a, _ := wamp.ToInt(inv.Args[0])
				b, _ := wamp.ToInt(inv.Args[1])
				return &client.Result{Args: wamp.List{a * b}, Kwargs: wamp.Dict{"op": "mul"}}, nil
			}, nil)
			must(t, err)
			res, err := caller.Call(ctx, "com.example.mul", wamp.List{6, 7}, nil, nil)
			must(t, err)
			if n, _ := wamp.ToInt(res.Args[0]); n != 42 || res.Kwargs["op"] != "mul" {
				t.Fatalf("result %v %v, want [42] {op:mul}", res.Args, res.Kwargs)
			}
		})
		t.Run("go procedure", func(t *testing.T) {
			res, err := caller.Call(ctx, "com.example.go.echo", wamp.List{"x", 1.5, true, nil, []byte{0, 1, 2}}, wamp.Dict{"k": wamp.List{int64(1)}}, nil)
			must(t, err)
			if len(res.Args) != 5 || res.Args[0] != "x" || res.Args[1] != 1.5 || res.Args[2] != true || res.Args[3] != nil {
				t.Fatalf("echo args = %#v", res.Args)
			}
			if bs, ok := res.Args[4].([]byte); !ok || len(bs) != 3 || bs[2] != 2 {
				t.Fatalf("binary arg came back as %#v, want []byte{0,1,2}", res.Args[4])
			}
			if l, ok := res.Kwargs["k"].(wamp.List); !ok || l[0] != int64(1) {
				t.Fatalf("echo kwargs = %#v (integers must stay integers)", res.Kwargs)
			}
		})
		t.Run("no such procedure", func(t *testing.T) {
			_, err := caller.Call(ctx, "com.example.none", nil, nil, nil)
			wantErrorURI(t, err, wamp.ErrNoSuchProcedure)
		})
		t.Run("callee error URI", func(t *testing.T) {
			_, err := callee.Register(ctx, "com.example.refuse", func(context.Context, *client.Invocation) (*client.Result, error) {
				return nil, &client.Error{URI: "com.example.error.refused", Args: wamp.List{"no"}}
			}, nil)
			must(t, err)
			_, err = caller.Call(ctx, "com.example.refuse", nil, nil, nil)
			wantErrorURI(t, err, "com.example.error.refused")
		})
		t.Run("progressive results", func(t *testing.T) {
			_, err := callee.Register(ctx, "com.example.count", func(_ context.Context, inv *client.Invocation) (*client.Result, error) {
				for i := range 3 {
					if err := inv.Progress(wamp.List{i}, nil); err != nil {
						return nil, err
					}
				}
				return &client.Result{Args: wamp.List{"done"}}, nil
			}, nil)
			must(t, err)
			var got []int64
			res, err := caller.Call(ctx, "com.example.count", nil, nil, &client.CallOptions{Progress: func(r *client.Result) {
				n, _ := wamp.ToInt(r.Args[0])
				got = append(got, n)
			}})
			must(t, err)
			if len(got) != 3 || got[0] != 0 || got[2] != 2 || res.Args[0] != "done" {
				t.Fatalf("progress %v, final %v; want [0 1 2] then done", got, res.Args)
			}
		})
		t.Run("timeout and cancel", func(t *testing.T) {
			interrupted := make(chan struct{}, 2)
			_, err := callee.Register(ctx, "com.example.hang", func(ctx context.Context, _ *client.Invocation) (*client.Result, error) {
				<-ctx.Done()
				interrupted <- struct{}{}
				return nil, ctx.Err()
			}, &client.RegisterOptions{Blocking: true})
			must(t, err)
			_, err = caller.Call(ctx, "com.example.hang", nil, nil, &client.CallOptions{Timeout: 50 * time.Millisecond})
			wantErrorURI(t, err, wamp.ErrTimeout)
			recvWithin(t, interrupted, "INTERRUPT after the timeout")

			cctx, cancel := context.WithCancel(ctx)
			go func() { time.Sleep(20 * time.Millisecond); cancel() }()
			_, err = caller.Call(cctx, "com.example.hang", nil, nil, nil)
			if !errors.Is(err, context.Canceled) {
				t.Fatalf("cancelled call: err = %v, want context.Canceled", err)
			}
			recvWithin(t, interrupted, "INTERRUPT after the cancel")
		})
		t.Run("callee leaves mid-call", func(t *testing.T) {
			leaver := dialClient(t, b, r)
			started := make(chan struct{})
			_, err := leaver.Register(ctx, "com.example.leaving", func(ctx context.Context, _ *client.Invocation) (*client.Result, error) {
				close(started)
				<-ctx.Done()
				return nil, ctx.Err()
			}, &client.RegisterOptions{Blocking: true})
			must(t, err)
			errc := make(chan error, 1)
			go func() {
				_, err := caller.Call(ctx, "com.example.leaving", nil, nil, nil)
				errc <- err
			}()
			recvWithin(t, started, "the call to start")
			must(t, leaver.Leave(ctx, ""))
			wantErrorURI(t, recvWithin(t, errc, "the call's error"), wamp.ErrCanceled)
		})
	})
}

func TestPubSub(t *testing.T) {
	forEachBackend(t, func(t *testing.T, b backend) {
		r := startRouter(t, b)
		sub, pub := dialClient(t, b, r), dialClient(t, b, r)
		ctx := guardCtx(t)

		var mu sync.Mutex
		var got []string
		all := make(chan struct{})
		_, err := sub.Subscribe(ctx, "com.example.news", func(e *client.Event) {
			mu.Lock()
			defer mu.Unlock()
			got = append(got, e.Args[0].(string))
			if len(got) == 101 {
				close(all)
			}
		}, nil)
		must(t, err)
		// The publisher subscribes too: with exclude_me defaulting to true
		// it must not receive its own events.
		own := make(chan string, 200)
		_, err = pub.Subscribe(ctx, "com.example.news", func(e *client.Event) { own <- e.Args[0].(string) }, nil)
		must(t, err)

		for i := range 100 {
			must(t, pub.Publish(ctx, "com.example.news", wamp.List{"js" + string(rune('0'+i%10))}, nil, nil))
		}
		must(t, pub.Publish(ctx, "com.example.news", wamp.List{"last"}, nil, &client.PublishOptions{Acknowledge: true}))
		select {
		case <-all:
		case <-ctx.Done():
			t.Fatalf("subscriber got %d of 101 events", len(got))
		}
		mu.Lock()
		if got[100] != "last" || got[0] != "js0" || got[11] != "js1" {
			t.Fatalf("events out of order: %v", got)
		}
		mu.Unlock()

		// An event from Go reaches both, the publisher included (it was
		// not the publisher this time).
		_, err = pub.Call(ctx, "com.example.go.publish", wamp.List{"com.example.news", "from-go"}, nil, nil)
		must(t, err)
		select {
		case s := <-own:
			if s != "from-go" {
				t.Fatalf("publisher received its own event %q (exclude_me must default to true)", s)
			}
		case <-ctx.Done():
			t.Fatal("publisher did not receive the event from Go")
		}

		// exclude_me=false: the publisher receives its own event.
		no := false
		must(t, pub.Publish(ctx, "com.example.news", wamp.List{"mine"}, nil, &client.PublishOptions{Acknowledge: true, ExcludeMe: &no}))
		if s := <-own; s != "mine" {
			t.Fatalf("got %q, want own event with exclude_me=false", s)
		}
		err = pub.Publish(ctx, "com..bad", nil, nil, &client.PublishOptions{Acknowledge: true})
		wantErrorURI(t, err, wamp.ErrInvalidURI)
	})
}
