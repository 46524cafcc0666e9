// Command typed runs a WAMP router whose procedures are plain typed Go
// functions: core.Func2 binds positional arguments or kwargs to
// parameters, core.Bind fills a struct from them, and the return value
// becomes the result (a struct becomes kwargs). A Go client calls them,
// including once with a mistyped argument.
//
//	go run ./examples/typed
package main

import (
	"context"
	"fmt"
	"io"

	"github.com/switchboard-wamp/switchboard/core"
	"github.com/switchboard-wamp/switchboard/core/wamp"
	"github.com/switchboard-wamp/switchboard/examples/internal/demo"
)

func main() { demo.Main(run) }

// order is the input of com.example.order: kwargs (or positional
// arguments, in field order) by their wamp tags.
type order struct {
	Item     string   `wamp:"item,required"`
	Quantity int      `wamp:"quantity,required"`
	Price    float64  `wamp:"price,required"`
	Coupon   *string  `wamp:"coupon"` // optional
	Tags     []string `wamp:"tags"`
}

// receipt is its result, sent as kwargs.
type receipt struct {
	Item  string  `wamp:"item"`
	Total float64 `wamp:"total"`
	Note  string  `wamp:"note,omitempty"`
}

// procedures are the application's typed procedures.
func procedures() *core.Routes {
	var rs core.Routes
	rs.Handle("com.example.add", core.Func2(func(_ context.Context, a, b int64) (int64, error) {
		return a + b, nil
	}, "a", "b"))
	rs.Handle("com.example.order", core.Bind(func(_ context.Context, o order) (receipt, error) {
		r := receipt{Item: o.Item, Total: float64(o.Quantity) * o.Price}
		if o.Coupon != nil && *o.Coupon == "HALF" {
			r.Total /= 2
			r.Note = "coupon HALF applied"
		}
		return r, nil
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
	if err := app.AddRoutes(ctx, procedures()); err != nil {
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

	res, err := s.Call(ctx, "com.example.add", wamp.List{40, 2}, nil, nil)
	if err != nil {
		return err
	}
	fmt.Fprintln(out, "add(40, 2) =", res.Args[0])
	res, err = s.Call(ctx, "com.example.add", nil, wamp.Dict{"a": 1, "b": 2}, nil)
	if err != nil {
		return err
	}
	fmt.Fprintln(out, "add(a=1, b=2) =", res.Args[0])
	_, err = s.Call(ctx, "com.example.add", wamp.List{1, "two"}, nil, nil)
	fmt.Fprintln(out, "add(1, \"two\") failed:", err)

	res, err = s.Call(ctx, "com.example.order", nil, wamp.Dict{"item": "tea", "quantity": 3, "price": 2.5, "coupon": "HALF"}, nil)
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "order: item=%v total=%v note=%q\n", res.Kwargs["item"], res.Kwargs["total"], res.Kwargs["note"])
	_, err = s.Call(ctx, "com.example.order", nil, wamp.Dict{"item": "tea", "price": 2.5}, nil)
	fmt.Fprintln(out, "order without quantity failed:", err)
	return nil
}
