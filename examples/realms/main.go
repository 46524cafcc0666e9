// Command realms splits one application into three realms that give
// guests, customers and admins different behaviour: each realm has its own
// version of the same procedure, its own authentication and its own topic
// rules, while one application-wide session hook sees every session.
//
//	go run ./examples/realms
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"slices"

	"github.com/switchboard-wamp/switchboard/client"
	"github.com/switchboard-wamp/switchboard/core"
	"github.com/switchboard-wamp/switchboard/core/wamp"
	"github.com/switchboard-wamp/switchboard/examples/internal/demo"
)

func main() { demo.Main(run) }

var prices = map[string]int{"coffee": 4, "tea": 3}

// setup configures the three realms.
func setup(ctx context.Context, app *core.Application, joined chan<- string) error {
	// Application-wide: a session hook that runs in every realm.
	app.OnSession(func(_ context.Context, s *core.Session) (func(context.Context), error) {
		joined <- fmt.Sprintf("hook: a session joined %s as %s", s.Realm.URI(), s.AuthRole)
		return nil, nil
	})
	// Application-wide: only admins may follow orders, in any realm...
	err := app.HandleTopic("com.shop.orders", func(_ context.Context, sub *core.TopicSubscription) (func(context.Context), error) {
		if sub.Session.AuthRole != "admin" {
			return nil, &core.Error{URI: wamp.ErrNotAuthorized, Args: wamp.List{"staff only"}}
		}
		return nil, nil
	}, nil)
	if err != nil {
		return err
	}
	guests, _ := app.Realm("guests")
	customers, _ := app.Realm("customers")
	admins, _ := app.Realm("admins")

	// Guests: anonymous (no authenticator), see the product names, and the
	// realm's own topic rule overrides the application's.
	err = guests.HandleTopic("com.shop.orders", func(context.Context, *core.TopicSubscription) (func(context.Context), error) {
		return nil, &core.Error{URI: wamp.ErrNotAuthorized, Args: wamp.List{"sign in first"}}
	}, nil)
	if err != nil {
		return err
	}

	// Customers: known names only, and prices.
	customers.SetAuthenticator(func(_ context.Context, req *core.AuthRequest) (*core.Identity, error) {
		if req.AuthID != "ann" && req.AuthID != "bob" {
			return nil, &core.AbortError{URI: wamp.ErrAuthenticationDenied, Message: "not a customer"}
		}
		return &core.Identity{AuthID: req.AuthID, AuthRole: "customer"}, nil
	})

	// Admins: a password through a CHALLENGE; they may follow orders.
	admins.SetAuthenticator(func(ctx context.Context, req *core.AuthRequest) (*core.Identity, error) {
		a, err := req.Challenge(ctx, "ticket", nil)
		if err != nil {
			return nil, err
		}
		if req.AuthID != "root" || a.Signature != "s3cret" {
			return nil, &core.AbortError{URI: wamp.ErrAuthenticationDenied, Message: "wrong password"}
		}
		return &core.Identity{AuthID: "root", AuthRole: "admin"}, nil
	})

	// The same procedure, three behaviours.
	catalogs := map[*core.Realm]core.Handler{
		guests: func(context.Context, *core.Invocation) (*core.Result, error) {
			return &core.Result{Args: wamp.List{"coffee", "tea"}}, nil
		},
		customers: func(_ context.Context, inv *core.Invocation) (*core.Result, error) {
			return &core.Result{Args: wamp.List{"coffee", "tea"}, Kwargs: wamp.Dict{"prices": prices, "for": inv.Session.AuthID}}, nil
		},
		admins: func(context.Context, *core.Invocation) (*core.Result, error) {
			return &core.Result{Args: wamp.List{"coffee", "tea"}, Kwargs: wamp.Dict{"prices": prices, "stock": map[string]int{"coffee": 12, "tea": 0}}}, nil
		},
	}
	for realm, h := range catalogs {
		if _, err := realm.Register(ctx, "com.shop.catalog", h, nil); err != nil {
			return err
		}
	}
	return nil
}

func run(out io.Writer) error {
	ctx, backend, done := demo.Start()
	defer done()
	app, err := core.New(core.Config{Backend: backend,
		Realms: []core.RealmConfig{{URI: "guests"}, {URI: "customers"}, {URI: "admins"}}})
	if err != nil {
		return err
	}
	joined := make(chan string, 8)
	if err := setup(ctx, app, joined); err != nil {
		return err
	}
	url, stop, err := demo.Serve(app)
	if err != nil {
		return err
	}
	defer stop()
	defer app.Close(ctx)

	visit := func(who string, cfg client.Config) error {
		cfg.Backend = backend
		s, err := client.Dial(ctx, url, cfg)
		var ce *client.CloseError
		if errors.As(err, &ce) {
			fmt.Fprintf(out, "%s: refused: %s (%s)\n", who, ce.Reason, ce.Message)
			return nil
		}
		if err != nil {
			return err
		}
		fmt.Fprintln(out, <-joined)
		res, err := s.Call(ctx, "com.shop.catalog", nil, nil, nil)
		if err != nil {
			return err
		}
		fmt.Fprintf(out, "%s: catalog %v%s\n", who, res.Args, describe(res.Kwargs))
		_, err = s.Subscribe(ctx, "com.shop.orders", func(*client.Event) {}, nil)
		if err != nil {
			fmt.Fprintf(out, "%s: follow orders: %v\n", who, err)
		} else {
			fmt.Fprintf(out, "%s: following orders\n", who)
		}
		return s.Leave(ctx, "")
	}
	password := func(context.Context, *wamp.Challenge) (string, wamp.Dict, error) { return "s3cret", nil, nil }
	for _, v := range []struct {
		who string
		cfg client.Config
	}{
		{"guest", client.Config{Realm: "guests"}},
		{"ann", client.Config{Realm: "customers", AuthID: "ann"}},
		{"eve", client.Config{Realm: "customers", AuthID: "eve"}},
		{"root", client.Config{Realm: "admins", AuthID: "root", AuthMethods: []string{"ticket"}, OnChallenge: password}},
	} {
		if err := visit(v.who, v.cfg); err != nil {
			return err
		}
	}
	return nil
}

// describe prints kwargs in a stable order.
func describe(kw wamp.Dict) string {
	keys := make([]string, 0, len(kw))
	for k := range kw {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	s := ""
	for _, k := range keys {
		s += fmt.Sprintf(" %s=%v", k, kw[k])
	}
	return s
}
