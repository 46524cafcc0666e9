// Command progressive runs a WAMP router with a progressive Go procedure: it
// produces progress reports and a final result as a Go iterator
// (core.Progressive). A Go client calls it twice: asking for progressive
// results (each report reaches its callback, in order, before the result)
// and without (only the final result arrives; the stream still runs).
//
//	go run ./examples/progressive
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

// download pretends to fetch a file in chunks, reporting its progress.
func download(ctx context.Context, inv *core.Invocation) core.Stream {
	return func(yield func(*core.Result, error) bool) {
		name, _ := inv.Args[0].(string)
		const chunks = 4
		for i := 1; i <= chunks; i++ {
			// yield returns false once the call is cancelled: stop then.
			if !yield(core.ProgressReport(wamp.List{fmt.Sprintf("%s: %d%%", name, i*100/chunks)}, nil), nil) {
				return
			}
		}
		yield(&core.Result{Args: wamp.List{name + ": done"}, Kwargs: wamp.Dict{"chunks": chunks}}, nil)
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
	if _, err := realm.Register(ctx, "com.example.download", core.Progressive(download), nil); err != nil {
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

	res, err := s.Call(ctx, "com.example.download", wamp.List{"a.txt"}, nil, &client.CallOptions{
		Progress: func(p *client.Result) { fmt.Fprintln(out, "progress:", p.Args[0]) },
	})
	if err != nil {
		return err
	}
	fmt.Fprintln(out, "result:  ", res.Args[0], res.Kwargs["chunks"], "chunks")

	res, err = s.Call(ctx, "com.example.download", wamp.List{"b.txt"}, nil, nil)
	if err != nil {
		return err
	}
	fmt.Fprintln(out, "result without progress:", res.Args[0])
	return nil
}
