// Command lifecycle shows session open and close hooks, per-session data
// and an application-wide dependency: a Metrics value, provided once, that
// the hooks and a procedure reach through their context instead of through
// a global.
//
//	go run ./examples/lifecycle
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

// Metrics counts sessions. It is the application's dependency.
type Metrics struct {
	mu     sync.Mutex
	active int
}

func (m *Metrics) add(d int) int {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.active += d
	return m.active
}

// setup installs the hook and the procedure; closed receives one line per
// closed session.
func setup(ctx context.Context, app *core.Application, closed chan<- string) error {
	core.Provide(app, &Metrics{})

	// The authid a client claims is kept only by an authenticator that
	// trusts it (anonymous sessions get their session ID); this one does.
	app.SetAuthenticator(func(_ context.Context, req *core.AuthRequest) (*core.Identity, error) {
		return &core.Identity{AuthID: req.AuthID, AuthRole: "visitor"}, nil
	})

	app.OnSession(func(ctx context.Context, s *core.Session) (func(context.Context), error) {
		// Open part: after authentication, before WELCOME.
		core.MustDep[*Metrics](ctx).add(1)
		s.Set("visits", 0)
		return func(ctx context.Context) {
			// Close part: GOODBYE, a dropped connection, or shutdown.
			visits, _ := s.Get("visits")
			active := core.MustDep[*Metrics](ctx).add(-1)
			closed <- fmt.Sprintf("closed %s after %d visits; %d active", s.AuthID, visits, active)
		}, nil
	})

	realm, _ := app.Realm("realm1")
	_, err := realm.Register(ctx, "com.example.visit", func(ctx context.Context, inv *core.Invocation) (*core.Result, error) {
		s := inv.Session // the caller: its data lives as long as it does
		n, _ := s.Get("visits")
		visits := n.(int) + 1
		s.Set("visits", visits)
		active := core.MustDep[*Metrics](ctx).add(0)
		return &core.Result{Args: wamp.List{visits, active}}, nil
	}, nil)
	return err
}

func run(out io.Writer) error {
	ctx, backend, done := demo.Start()
	defer done()
	app, err := core.New(core.Config{Backend: backend, Realms: []core.RealmConfig{{URI: "realm1"}}})
	if err != nil {
		return err
	}
	closed := make(chan string, 4)
	if err := setup(ctx, app, closed); err != nil {
		return err
	}
	url, stop, err := demo.Serve(app)
	if err != nil {
		return err
	}
	defer stop()

	join := func(name string) (*client.Session, error) {
		return client.Dial(ctx, url, client.Config{Realm: "realm1", Backend: backend, AuthID: name})
	}
	visit := func(name string, s *client.Session) error {
		res, err := s.Call(ctx, "com.example.visit", nil, nil, nil)
		if err != nil {
			return err
		}
		fmt.Fprintf(out, "%s: visit %v, %v active\n", name, res.Args[0], res.Args[1])
		return nil
	}
	ann, err := join("ann")
	if err != nil {
		return err
	}
	bob, err := join("bob")
	if err != nil {
		return err
	}
	for _, v := range []struct {
		name string
		s    *client.Session
	}{{"ann", ann}, {"ann", ann}, {"bob", bob}} {
		if err := visit(v.name, v.s); err != nil {
			return err
		}
	}
	if err := ann.Leave(ctx, ""); err != nil {
		return err
	}
	fmt.Fprintln(out, "hook:", <-closed)
	// Shutting down says GOODBYE to bob and waits for his close hook.
	if err := app.Close(ctx); err != nil {
		return err
	}
	fmt.Fprintln(out, "shutdown hook:", <-closed)
	return nil
}
