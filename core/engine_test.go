package core_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/switchboard-wamp/switchboard/adapters/goroutine"
	"github.com/switchboard-wamp/switchboard/core"
	"github.com/switchboard-wamp/switchboard/core/serialize/shared"
	"github.com/switchboard-wamp/switchboard/core/wamp"
	"github.com/switchboard-wamp/switchboard/transport"
)

func TestNewNeedsBackend(t *testing.T) {
	if _, err := core.New(core.Config{}); !errors.Is(err, core.ErrNoBackend) {
		t.Fatalf("err = %v, want ErrNoBackend", err)
	}
}

func TestAddRealmRejectsBadAndDuplicate(t *testing.T) {
	app := newApp(t, core.Config{})
	if _, err := app.AddRealm(core.RealmConfig{URI: "bad realm"}); !errors.Is(err, core.ErrInvalidRealm) {
		t.Errorf("bad URI: err = %v", err)
	}
	if _, err := app.AddRealm(core.RealmConfig{URI: "realm1"}); !errors.Is(err, core.ErrRealmExists) {
		t.Errorf("duplicate: err = %v", err)
	}
}

func TestRemoteCallerReachesLocalProcedure(t *testing.T) {
	app := newApp(t, core.Config{})
	realm, _ := app.Realm("realm1")
	_, err := realm.Register(context.Background(), "com.example.add", func(_ context.Context, inv *core.Invocation) (*core.Result, error) {
		a, _ := wamp.ToInt(inv.Args[0])
		b, _ := wamp.ToInt(inv.Args[1])
		return &core.Result{Args: wamp.List{a + b}}, nil
	}, nil)
	if err != nil {
		t.Fatal(err)
	}
	p := dialPeer(t, app, transport.Info{})
	p.join("realm1", withRoles("caller"))
	p.send(&wamp.Call{Request: 9, Options: wamp.Dict{}, Procedure: "com.example.add", Args: wamp.List{int64(40), int64(2)}})
	res, ok := p.recv().(*wamp.Result)
	if !ok || res.Request != 9 || len(res.Args) != 1 || res.Args[0] != int64(42) {
		t.Fatalf("got %#v, want RESULT 9 [42]", res)
	}
	// A second registration of the same URI is refused with the spec's URI.
	_, err = realm.Register(context.Background(), "com.example.add", func(context.Context, *core.Invocation) (*core.Result, error) { return nil, nil }, nil)
	var we *core.Error
	if !errors.As(err, &we) || we.URI != wamp.ErrProcedureAlreadyExists {
		t.Fatalf("duplicate Register err = %v, want %s", err, wamp.ErrProcedureAlreadyExists)
	}
}

func TestLocalPublishReachesRemoteSubscriber(t *testing.T) {
	app := newApp(t, core.Config{})
	realm, _ := app.Realm("realm1")
	p := dialPeer(t, app, transport.Info{})
	p.join("realm1", withRoles("subscriber"))
	p.send(&wamp.Subscribe{Request: 1, Options: wamp.Dict{}, Topic: "com.example.t"})
	sub := p.recv().(*wamp.Subscribed)
	if err := realm.Publish(context.Background(), "com.example.t", wamp.List{"hi"}, nil, &core.PublishOptions{Acknowledge: true}); err != nil {
		t.Fatal(err)
	}
	ev, ok := p.recv().(*wamp.Event)
	if !ok || ev.Subscription != sub.Subscription || ev.Args[0] != "hi" {
		t.Fatalf("got %#v, want EVENT on %d", ev, sub.Subscription)
	}
	err := realm.Publish(context.Background(), "bad..topic", nil, nil, &core.PublishOptions{Acknowledge: true})
	var we *core.Error
	if !errors.As(err, &we) || we.URI != wamp.ErrInvalidURI {
		t.Fatalf("publish to a bad URI: err = %v, want %s", err, wamp.ErrInvalidURI)
	}
}

func TestHandshakeTimeoutClosesSilentConnection(t *testing.T) {
	app := newApp(t, core.Config{HandshakeTimeout: 20 * time.Millisecond})
	p := dialPeer(t, app, transport.Info{})
	p.waitClosed()
}

func TestCloseSaysGoodbye(t *testing.T) {
	b := goroutine.New(goroutine.Config{})
	t.Cleanup(func() { b.Close() }) // after the peers' cleanup
	app, err := core.New(core.Config{Backend: b, Realms: []core.RealmConfig{{URI: "realm1", GoodbyeTimeout: time.Minute}}})
	if err != nil {
		t.Fatal(err)
	}
	p := dialPeer(t, app, transport.Info{})
	p.join("realm1", withRoles("caller"))
	closed := make(chan error, 1)
	go func() { closed <- app.Close(context.Background()) }()
	g, ok := p.recv().(*wamp.Goodbye)
	if !ok || g.Reason != wamp.CloseSystemShutdown {
		t.Fatalf("got %#v, want GOODBYE %s", g, wamp.CloseSystemShutdown)
	}
	p.send(&wamp.Goodbye{Details: wamp.Dict{}, Reason: wamp.CloseGoodbyeAndOut})
	if err := <-closed; err != nil {
		t.Fatalf("Close: %v", err)
	}
	p.waitClosed()
	// A new connection is refused now.
	q := dialPeer(t, app, transport.Info{})
	q.send(&wamp.Hello{Realm: "realm1", Details: wamp.Dict{"roles": wamp.Dict{"caller": wamp.Dict{}}}})
	if a, ok := q.recv().(*wamp.Abort); !ok {
		t.Fatalf("after Close: got %#v, want ABORT", a)
	}
}

func TestCalleeDropFailsPendingCall(t *testing.T) {
	app := newApp(t, core.Config{})
	callee := dialPeer(t, app, transport.Info{})
	callee.join("realm1", withRoles("callee"))
	callee.send(&wamp.Register{Request: 1, Options: wamp.Dict{}, Procedure: "com.example.slow"})
	if _, ok := callee.recv().(*wamp.Registered); !ok {
		t.Fatal("want REGISTERED")
	}
	caller := dialPeer(t, app, transport.Info{})
	caller.join("realm1", withRoles("caller"))
	caller.send(&wamp.Call{Request: 5, Options: wamp.Dict{}, Procedure: "com.example.slow"})
	if _, ok := callee.recv().(*wamp.Invocation); !ok {
		t.Fatal("want INVOCATION")
	}
	callee.drop()
	e, ok := caller.recv().(*wamp.Error)
	if !ok || e.Request != 5 || e.Error != wamp.ErrCanceled {
		t.Fatalf("got %#v, want ERROR 5 %s", e, wamp.ErrCanceled)
	}
}

// Fan-out hands every subscriber of a subscription the same shared message,
// so each serializer in use encodes it once.
func TestFanoutSharesOneEncoding(t *testing.T) {
	app := newApp(t, core.Config{})
	realm, _ := app.Realm("realm1")
	var peers []*fakePeer
	for range 3 {
		p := dialPeer(t, app, transport.Info{})
		p.join("realm1", withRoles("subscriber"))
		p.send(&wamp.Subscribe{Request: 1, Options: wamp.Dict{}, Topic: "com.example.fan"})
		if _, ok := p.recv().(*wamp.Subscribed); !ok {
			t.Fatal("want SUBSCRIBED")
		}
		peers = append(peers, p)
	}
	if err := realm.Publish(context.Background(), "com.example.fan", wamp.List{"x"}, nil, &core.PublishOptions{Acknowledge: true}); err != nil {
		t.Fatal(err)
	}
	var first wamp.Message
	for i, p := range peers {
		m := p.recvRaw()
		if _, ok := m.(*shared.Message); !ok {
			t.Fatalf("peer %d got %T, want a *shared.Message", i, m)
		}
		if ev, ok := shared.Unwrap(m).(*wamp.Event); !ok || ev.Args[0] != "x" {
			t.Fatalf("peer %d: shared message wraps %#v", i, shared.Unwrap(m))
		}
		if first == nil {
			first = m
		} else if m != first {
			t.Fatalf("peer %d got a different wrapper than peer 0", i)
		}
	}
}
