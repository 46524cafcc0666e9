package core_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/switchboard-wamp/switchboard/adapters/eventloop"
	"github.com/switchboard-wamp/switchboard/adapters/goroutine"
	"github.com/switchboard-wamp/switchboard/core"
	"github.com/switchboard-wamp/switchboard/core/wamp"
	"github.com/switchboard-wamp/switchboard/scheduler"
	"github.com/switchboard-wamp/switchboard/transport"
)

// BenchmarkEngineLocalCall measures one CALL through the engine to an
// application procedure and its RESULT, with no transport or codec: the
// caller is an in-memory peer. It shows the engine's own cost per call
// (mailbox handoff, routing, handler spawn, result) on each backend.
func BenchmarkEngineLocalCall(b *testing.B) {
	forEachBenchApp(b, func(b *testing.B, app *core.Application) {
		realm, _ := app.Realm("realm1")
		if _, err := realm.Register(context.Background(), "com.example.echo", func(_ context.Context, inv *core.Invocation) (*core.Result, error) {
			return &core.Result{Args: inv.Args}, nil
		}, nil); err != nil {
			b.Fatal(err)
		}
		p := &benchPeer{out: make(chan wamp.Message, 16)}
		h := app.Accept(p)
		p.h = h
		defer p.Close()
		h.Message(&wamp.Hello{Realm: "realm1", Details: wamp.Dict{"roles": wamp.Dict{"caller": wamp.Dict{}}}})
		<-p.out // WELCOME
		args := wamp.List{"x"}
		b.ReportAllocs()
		b.ResetTimer()
		for i := range b.N {
			h.Message(&wamp.Call{Request: wamp.ID(i + 1), Options: wamp.Dict{}, Procedure: "com.example.echo", Args: args})
			if _, ok := (<-p.out).(*wamp.Result); !ok {
				b.Fatal("want RESULT")
			}
		}
	})
}

// benchPeer is a minimal transport.Peer for benchmarks. Like a transport,
// it reports its own Close to the handler.
type benchPeer struct {
	out  chan wamp.Message
	h    transport.Handler
	once sync.Once
}

func (p *benchPeer) Send(m wamp.Message) bool {
	select {
	case p.out <- m:
		return true
	default:
		return false // nobody reads any more (shutdown)
	}
}

// Close reports Closed from another goroutine, as a transport's reader does.
func (p *benchPeer) Close()               { p.once.Do(func() { go p.h.Closed(nil) }) }
func (p *benchPeer) Info() transport.Info { return transport.Info{Transport: "bench"} }

// BenchmarkEngineRemoteCall measures one CALL through the engine to a
// procedure of another session and its RESULT, with no transport or
// codec: caller and callee are in-memory peers, the callee answering each
// INVOCATION with YIELD. It is the engine's and router's own cost of a
// remote call (two messages in, two out) on each backend.
func BenchmarkEngineRemoteCall(b *testing.B) {
	forEachBenchApp(b, func(b *testing.B, app *core.Application) {
		join := func(role string) *benchPeer {
			p := &benchPeer{out: make(chan wamp.Message, 16)}
			p.h = app.Accept(p)
			p.h.Message(&wamp.Hello{Realm: "realm1", Details: wamp.Dict{"roles": wamp.Dict{role: wamp.Dict{}}}})
			if _, ok := (<-p.out).(*wamp.Welcome); !ok {
				b.Fatal("want WELCOME")
			}
			return p
		}
		callee, caller := join("callee"), join("caller")
		defer callee.Close()
		defer caller.Close()
		callee.h.Message(&wamp.Register{Request: 1, Options: wamp.Dict{}, Procedure: "com.example.echo"})
		if _, ok := (<-callee.out).(*wamp.Registered); !ok {
			b.Fatal("want REGISTERED")
		}
		args := wamp.List{"x"}
		b.ReportAllocs()
		b.ResetTimer()
		for i := range b.N {
			caller.h.Message(&wamp.Call{Request: wamp.ID(i + 1), Options: wamp.Dict{}, Procedure: "com.example.echo", Args: args})
			inv, ok := (<-callee.out).(*wamp.Invocation)
			if !ok {
				b.Fatal("want INVOCATION")
			}
			callee.h.Message(&wamp.Yield{Request: inv.Request, Options: wamp.Dict{}, Args: inv.Args})
			if _, ok := (<-caller.out).(*wamp.Result); !ok {
				b.Fatal("want RESULT")
			}
		}
	})
}

// forEachBenchApp runs f as a sub-benchmark per backend (goroutine,
// eventloop) with a fresh application serving realm1, closed afterwards
// outside the timer.
func forEachBenchApp(b *testing.B, f func(b *testing.B, app *core.Application)) {
	for _, bk := range []struct {
		name string
		new  func() scheduler.AsyncSupport
	}{
		{"goroutine", func() scheduler.AsyncSupport { return goroutine.New(goroutine.Config{}) }},
		{"eventloop", func() scheduler.AsyncSupport { return eventloop.New(eventloop.Config{}) }},
	} {
		b.Run(bk.name, func(b *testing.B) {
			as := bk.new()
			defer as.Close()
			app, err := core.New(core.Config{Backend: as, Realms: []core.RealmConfig{{URI: "realm1"}}})
			if err != nil {
				b.Fatal(err)
			}
			defer func() {
				b.StopTimer()
				ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
				defer cancel()
				app.Close(ctx)
			}()
			f(b, app)
		})
	}
}
