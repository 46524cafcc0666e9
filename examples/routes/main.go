// Command routes shows how a route set resolves calls: exact, prefix,
// wildcard and regular-expression routes, added to every realm of the
// application at once (also to realms added later), competing in the same
// dealer with a procedure a remote client registers. The most specific
// match wins: exact, then the longest prefix, then the best wildcard, then
// the first regular expression that matches; else
// wamp.error.no_such_procedure. It ends with a Go procedure that calls the
// client's procedure.
//
//	go run ./examples/routes
package main

import (
	"context"
	"fmt"
	"io"

	"github.com/switchboard-wamp/switchboard/client"
	"github.com/switchboard-wamp/switchboard/core"
	"github.com/switchboard-wamp/switchboard/core/wamp"
	"github.com/switchboard-wamp/switchboard/examples/internal/demo"
)

func main() { demo.Main(run) }

// route answers which route handled the call.
func route(name string) core.Handler {
	return func(_ context.Context, inv *core.Invocation) (*core.Result, error) {
		if len(inv.Params) > 0 {
			return &core.Result{Args: wamp.List{fmt.Sprintf("%s %v", name, inv.Params)}}, nil
		}
		return &core.Result{Args: wamp.List{name}}, nil
	}
}

func routes() *core.Routes {
	var rs core.Routes
	rs.Handle("com.shop.cart.get", route("exact com.shop.cart.get"))
	rs.Prefix("com.shop", route("prefix com.shop"))
	rs.Prefix("com.shop.cart", route("prefix com.shop.cart"))
	rs.Wildcard("com..cart.get", route("wildcard com..cart.get"))
	rs.Regex(`org\.shop\.(?P<kind>[a-z]+)\.(?P<id>[0-9]+)`, route("regex"))
	// A Go procedure that calls a remote client's procedure. Blocking: it
	// waits for the answer (required on the event loop backend).
	rs.Handle("com.report", core.Blocking(func(ctx context.Context, inv *core.Invocation) (*core.Result, error) {
		res, err := inv.Realm().Call(ctx, "org.client.stock", inv.Args, nil, nil)
		if err != nil {
			return nil, err
		}
		return &core.Result{Args: wamp.List{fmt.Sprintf("the client says %v", res.Args[0])}}, nil
	}))
	return &rs
}

func run(out io.Writer) error {
	ctx, backend, done := demo.Start()
	defer done()
	app, err := core.New(core.Config{Backend: backend, Realms: []core.RealmConfig{{URI: "realm1"}}})
	if err != nil {
		return err
	}
	if err := app.AddRoutes(ctx, routes()); err != nil {
		return err
	}
	// Added later, realm2 has the routes too.
	if _, err := app.AddRealm(core.RealmConfig{URI: "realm2"}); err != nil {
		return err
	}
	url, stop, err := demo.Serve(app)
	if err != nil {
		return err
	}
	defer stop()
	defer app.Close(ctx)

	s, err := demo.Dial(ctx, url, backend)
	if err != nil {
		return err
	}
	defer s.Leave(ctx, "")
	// The client's own registrations sit in the same dealer.
	_, err = s.Register(ctx, "com.shop.cart.add", func(context.Context, *client.Invocation) (*client.Result, error) {
		return &client.Result{Args: wamp.List{"the client's com.shop.cart.add"}}, nil
	}, nil)
	if err != nil {
		return err
	}
	_, err = s.Register(ctx, "org.client.stock", func(_ context.Context, inv *client.Invocation) (*client.Result, error) {
		return &client.Result{Args: wamp.List{fmt.Sprintf("%v in stock", inv.Args[0])}}, nil
	}, nil)
	if err != nil {
		return err
	}
	for _, uri := range []wamp.URI{
		"com.shop.cart.get", "com.shop.cart.add", "com.shop.cart.clear", "com.shop.pay",
		"com.blog.cart.get", "org.shop.order.42", "org.shop.order.x", "com.report",
	} {
		res, err := s.Call(ctx, uri, wamp.List{"tea"}, nil, nil)
		if err != nil {
			fmt.Fprintf(out, "%-20s -> error %v\n", uri, err)
			continue
		}
		fmt.Fprintf(out, "%-20s -> %v\n", uri, res.Args[0])
	}
	s2, err := client.Dial(ctx, url, client.Config{Realm: "realm2", Backend: backend})
	if err != nil {
		return err
	}
	defer s2.Leave(ctx, "")
	res, err := s2.Call(ctx, "org.shop.item.7", nil, nil, nil)
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "realm2: %-12s -> %v\n", "org.shop.item.7", res.Args[0])
	return nil
}
