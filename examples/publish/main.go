// Command publish shows the application publishing from the server side:
// to every subscriber of a topic, and to one chosen session only. A topic
// handler keeps track of who is watching (it runs when a session subscribes
// and, through the function it returns, when it unsubscribes or leaves).
//
//	go run ./examples/publish
package main

import (
	"context"
	"fmt"
	"io"
	"sync"

	"github.com/switchboard-wamp/switchboard/client"
	"github.com/switchboard-wamp/switchboard/core"
	"github.com/switchboard-wamp/switchboard/core/wamp"
	"github.com/switchboard-wamp/switchboard/examples/internal/demo"
)

func main() { demo.Main(run) }

const ticker = "com.example.ticker"

// watchers are the sessions subscribed to the ticker, by authid.
type watchers struct {
	mu   sync.Mutex
	byID map[string]*core.Session
	news chan string // what the topic handler saw, for the printout
}

func (w *watchers) handler(_ context.Context, sub *core.TopicSubscription) (func(context.Context), error) {
	s := sub.Session
	w.mu.Lock()
	w.byID[s.AuthID] = s
	w.mu.Unlock()
	w.news <- s.AuthID + " is watching"
	return func(context.Context) {
		w.mu.Lock()
		delete(w.byID, s.AuthID)
		w.mu.Unlock()
		w.news <- s.AuthID + " stopped watching"
	}, nil
}

func (w *watchers) get(authid string) *core.Session {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.byID[authid]
}

func run(out io.Writer) error {
	ctx, backend, done := demo.Start()
	defer done()
	app, err := core.New(core.Config{Backend: backend, Realms: []core.RealmConfig{{URI: "realm1"}}})
	if err != nil {
		return err
	}
	realm, _ := app.Realm("realm1")
	// Keep the names clients claim (a trusting authenticator, for the demo).
	app.SetAuthenticator(func(_ context.Context, req *core.AuthRequest) (*core.Identity, error) {
		return &core.Identity{AuthID: req.AuthID, AuthRole: "viewer"}, nil
	})
	w := &watchers{byID: map[string]*core.Session{}, news: make(chan string, 4)}
	if err := app.HandleTopic(ticker, w.handler, nil); err != nil {
		return err
	}
	url, stop, err := demo.Serve(app)
	if err != nil {
		return err
	}
	defer stop()
	defer app.Close(ctx)

	// Two clients subscribe; each prints what it receives.
	got := map[string]chan string{}
	subs := map[string]*client.Subscription{}
	for _, name := range []string{"ann", "bob"} {
		s, err := client.Dial(ctx, url, client.Config{Realm: "realm1", Backend: backend, AuthID: name})
		if err != nil {
			return err
		}
		defer s.Leave(ctx, "")
		ch := make(chan string, 4)
		got[name] = ch
		subs[name], err = s.Subscribe(ctx, ticker, func(e *client.Event) { ch <- e.Args[0].(string) }, nil)
		if err != nil {
			return err
		}
		fmt.Fprintln(out, "topic handler:", <-w.news)
	}
	show := func(name string) { fmt.Fprintf(out, "%s got %q\n", name, <-got[name]) }

	// To everyone subscribed.
	if err := realm.Publish(ctx, ticker, wamp.List{"tick 1"}, nil, &core.PublishOptions{Acknowledge: true}); err != nil {
		return err
	}
	show("ann")
	show("bob")
	// To bob only: a publication restricted to his session.
	if err := w.get("bob").SendEvent(ctx, ticker, wamp.List{"psst, bob"}, nil); err != nil {
		return err
	}
	show("bob")
	// Everyone again: ann's next event is this one, so she never got bob's.
	if err := realm.Publish(ctx, ticker, wamp.List{"tick 2"}, nil, &core.PublishOptions{Acknowledge: true}); err != nil {
		return err
	}
	show("ann")
	show("bob")
	if err := subs["bob"].Unsubscribe(ctx); err != nil {
		return err
	}
	fmt.Fprintln(out, "topic handler:", <-w.news)
	return nil
}
