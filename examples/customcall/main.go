// Command customcall replaces a realm's call routing with one Go function
// (Realm.SetCallHandler), as serverwamp's custom RPC handler does: every
// CALL of the realm reaches it as a request (procedure, args, kwargs,
// options, calling session), and it answers with a result, an error, or
// progress reports and a result. Registrations, the application's or
// remote callees', receive no calls while it is set.
//
//	go run ./examples/customcall
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

// handleCall answers every call of the realm: "add_stuff" sums its numeric
// arguments, reporting each one as progress; anything else is an error.
func handleCall(ctx context.Context, req *core.Invocation) core.Stream {
	return func(yield func(*core.Result, error) bool) {
		if req.Procedure != "add_stuff" {
			yield(nil, &core.Error{URI: "myapp.custom_error", Args: wamp.List{"unknown procedure " + string(req.Procedure)}})
			return
		}
		var total int64
		for _, a := range req.Args {
			n, ok := wamp.ToInt(a)
			if !ok {
				yield(nil, &core.Error{URI: wamp.ErrInvalidArgument, Args: wamp.List{"Numbers only!"}})
				return
			}
			total += n
			if !yield(core.ProgressReport(wamp.List{fmt.Sprintf("Added %d", n)}, nil), nil) {
				return
			}
		}
		caller := "the application"
		if req.Session != nil {
			caller = "session " + req.Session.AuthRole
		}
		yield(&core.Result{Args: wamp.List{total}, Kwargs: wamp.Dict{"caller": caller}}, nil)
	}
}

func run(out io.Writer) error {
	ctx, backend, done := demo.Start()
	defer done()
	app, err := core.New(core.Config{Backend: backend, Realms: []core.RealmConfig{{URI: "realm1"}}})
	if err != nil {
		return err
	}
	realm, _ := app.Realm("realm1")
	if err := realm.SetCallHandler(ctx, core.Progressive(handleCall)); err != nil {
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

	res, err := s.Call(ctx, "add_stuff", wamp.List{1, 2, 3}, nil, &client.CallOptions{
		Progress: func(p *client.Result) { fmt.Fprintln(out, "progress:", p.Args[0]) },
	})
	if err != nil {
		return err
	}
	fmt.Fprintln(out, "add_stuff(1, 2, 3) =", res.Args[0], "for", res.Kwargs["caller"])
	_, err = s.Call(ctx, "add_stuff", wamp.List{1, "x"}, nil, nil)
	fmt.Fprintln(out, "add_stuff(1, \"x\") failed:", err)
	_, err = s.Call(ctx, "something.else", nil, nil, nil)
	fmt.Fprintln(out, "something.else failed:", err)
	// The application can call through the same handler.
	gres, err := realm.Call(ctx, "add_stuff", wamp.List{40, 2}, nil, nil)
	if err != nil {
		return err
	}
	fmt.Fprintln(out, "from Go: add_stuff(40, 2) =", gres.Args[0], "for", gres.Kwargs["caller"])
	return nil
}
