package tests

import (
	"context"
	"fmt"
	"reflect"
	"sync"
	"testing"

	"github.com/switchboard-wamp/switchboard/client"
	"github.com/switchboard-wamp/switchboard/core/serialize"
	"github.com/switchboard-wamp/switchboard/core/wamp"
	"github.com/switchboard-wamp/switchboard/tests/testrouter"
)

// payload holds every kind of value a WAMP payload carries; it must arrive
// unchanged whatever serializers sender and receiver use (42 stays an
// integer, 23.5 a float, bytes stay bytes).
func payload() (wamp.List, wamp.Dict) {
	return wamp.List{int64(42), int64(-1), int64(1) << 53, 23.5, true, nil, "häßlich ✓", []byte{0, 1, 255},
			wamp.List{int64(1), wamp.Dict{"k": "v"}}},
		wamp.Dict{"n": int64(7), "f": 1.5, "b": []byte("raw"), "nested": wamp.Dict{"l": wamp.List{"x"}}}
}

func checkPayload(t *testing.T, what string, args wamp.List, kwargs wamp.Dict) {
	t.Helper()
	wantA, wantK := payload()
	if !reflect.DeepEqual(args, wantA) || !reflect.DeepEqual(kwargs, wantK) {
		t.Fatalf("%s:\n got  %#v %#v\n want %#v %#v", what, args, kwargs, wantA, wantK)
	}
}

// Every backend x transport x serializer: a call to a Go procedure and to
// a remote callee on another transport, and events from Go and from a
// remote publisher, carry every kind of value unchanged.
func TestMatrix(t *testing.T) {
	forEachBackend(t, func(t *testing.T, b backend) {
		r := startRouter(t, b)
		ctx := guardCtx(t)
		// A JSON WebSocket callee that echoes.
		callee := dialClient(t, b, r)
		_, err := callee.Register(ctx, "com.example.remote.echo", func(_ context.Context, inv *client.Invocation) (*client.Result, error) {
			return &client.Result{Args: inv.Args, Kwargs: inv.Kwargs}, nil
		}, nil)
		must(t, err)
		for _, tr := range testrouter.Transports() {
			for _, ser := range testrouter.Serializers() {
				t.Run(tr.Name+"/"+ser.Name(), func(t *testing.T) {
					s := dialVia(t, b, tr.URL(r), ser)
					args, kwargs := payload()
					for _, proc := range []wamp.URI{"com.example.go.echo", "com.example.remote.echo"} {
						res, err := s.Call(ctx, proc, args, kwargs, nil)
						must(t, err)
						checkPayload(t, string(proc), res.Args, res.Kwargs)
					}
					got := make(chan *client.Event, 2)
					topic := wamp.URI("com.example.matrix." + tr.Name + "." + ser.Name())
					_, err := s.Subscribe(ctx, topic, func(e *client.Event) { got <- e }, nil)
					must(t, err)
					must(t, callee.Publish(ctx, topic, args, kwargs, &client.PublishOptions{Acknowledge: true}))
					e := recvWithin(t, got, "the event")
					checkPayload(t, "event from a JSON publisher", e.Args, e.Kwargs)
				})
			}
		}
	})
}

// The acceptance test of mixed deployments: a JSON WebSocket client, a CBOR
// RawSocket TCP client and a msgpack Unix-socket client in one realm call
// each other's procedures and receive each other's events, on every
// backend.
func TestMixedClients(t *testing.T) {
	forEachBackend(t, func(t *testing.T, b backend) {
		r := startRouter(t, b)
		ctx := guardCtx(t)
		peers := []struct {
			name string
			url  string
			ser  serialize.Serializer
		}{
			{"json-websocket", r.URL, serialize.JSON},
			{"cbor-rawsocket", r.RawURL, serialize.CBOR},
			{"msgpack-unix", r.UnixURL, serialize.MsgPack},
		}
		var mu sync.Mutex
		received := map[string][]string{} // subscriber -> publishers heard
		done := make(chan struct{}, 16)
		sessions := make([]*client.Session, len(peers))
		for i, p := range peers {
			s := dialVia(t, b, p.url, p.ser)
			sessions[i] = s
			_, err := s.Register(ctx, wamp.URI("com.example.mixed."+p.name), func(_ context.Context, inv *client.Invocation) (*client.Result, error) {
				return &client.Result{Args: append(wamp.List{p.name}, inv.Args...), Kwargs: inv.Kwargs}, nil
			}, nil)
			must(t, err)
			_, err = s.Subscribe(ctx, "com.example.mixed.news", func(e *client.Event) {
				checkPayload(t, p.name+" event", e.Args[1:], e.Kwargs)
				mu.Lock()
				received[p.name] = append(received[p.name], e.Args[0].(string))
				mu.Unlock()
				done <- struct{}{}
			}, nil)
			must(t, err)
		}
		args, kwargs := payload()
		for i, s := range sessions {
			for j, q := range peers {
				if i == j {
					continue
				}
				res, err := s.Call(ctx, wamp.URI("com.example.mixed."+q.name), args, kwargs, nil)
				must(t, err)
				if res.Args[0] != q.name {
					t.Fatalf("%s called %s, answered by %v", peers[i].name, q.name, res.Args[0])
				}
				checkPayload(t, fmt.Sprintf("%s -> %s", peers[i].name, q.name), res.Args[1:], res.Kwargs)
			}
			must(t, s.Publish(ctx, "com.example.mixed.news", append(wamp.List{peers[i].name}, args...), kwargs, &client.PublishOptions{Acknowledge: true}))
		}
		for range len(peers) * (len(peers) - 1) { // exclude_me: nobody hears itself
			select {
			case <-done:
			case <-ctx.Done():
				t.Fatalf("events missing: %v", received)
			}
		}
		mu.Lock()
		defer mu.Unlock()
		for _, p := range peers {
			if len(received[p.name]) != len(peers)-1 {
				t.Fatalf("%s heard %v, want the other %d", p.name, received[p.name], len(peers)-1)
			}
		}
	})
}
