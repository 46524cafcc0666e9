package testrouter

import (
	"context"
	"fmt"
	"strings"

	"github.com/switchboard-wamp/switchboard/core"
	"github.com/switchboard-wamp/switchboard/core/wamp"
)

// greetArgs are the parameters of com.example.go.typed.greet.
type greetArgs struct {
	Name        string  `wamp:"name,required"`
	Punctuation *string `wamp:"punctuation"`
}

// greeting is its result, sent as kwargs.
type greeting struct {
	Greeting string `wamp:"greeting"`
}

// routes is the route set of typed, progressive and pattern procedures
// listed in the package doc.
func routes(realm *core.Realm) *core.Routes {
	var rs core.Routes
	rs.Handle("com.example.go.typed.add", core.Func2(func(_ context.Context, a, b int64) (int64, error) {
		return a + b, nil
	}, "a", "b"))
	rs.Handle("com.example.go.typed.greet", core.Bind(func(_ context.Context, in greetArgs) (greeting, error) {
		p := "!"
		if in.Punctuation != nil {
			p = *in.Punctuation
		}
		return greeting{Greeting: "Hello, " + in.Name + p}, nil
	}))
	rs.Handle("com.example.go.progress", core.Progressive(countStream))
	rs.Handle("com.example.go.whoami", core.Func0(func(ctx context.Context) (wamp.Dict, error) {
		s, ok := core.SessionFrom(ctx)
		if !ok {
			return nil, &core.Error{URI: "com.example.error.no_session"}
		}
		return wamp.Dict{"session": int64(s.ID), "authrole": s.AuthRole}, nil
	}))
	rs.Regex(`com\.example\.go\.item\.(?P<id>[0-9]+)`, func(_ context.Context, inv *core.Invocation) (*core.Result, error) {
		return &core.Result{Kwargs: wamp.Dict{"id": inv.Params["id"]}}, nil
	})
	// Blocking: Realm.Call waits for the callee's answer.
	rs.Handle("com.example.go.relay", core.Blocking(func(ctx context.Context, inv *core.Invocation) (*core.Result, error) {
		var proc string
		if len(inv.Args) > 0 {
			proc, _ = inv.Args[0].(string)
		}
		if !strings.Contains(proc, ".") {
			return nil, &core.Error{URI: wamp.ErrInvalidArgument, Args: wamp.List{"relay takes [procedure, args...]"}}
		}
		return realm.Call(ctx, wamp.URI(proc), inv.Args[1:], inv.Kwargs, nil)
	}))
	return &rs
}

// countStream reports 1..n, then answers ["done"].
func countStream(ctx context.Context, inv *core.Invocation) core.Stream {
	return func(yield func(*core.Result, error) bool) {
		var n int64
		if len(inv.Args) == 1 {
			n, _ = wamp.ToInt(inv.Args[0])
		}
		if n < 1 || n > 1000 {
			yield(nil, &core.Error{URI: wamp.ErrInvalidArgument, Args: wamp.List{fmt.Sprintf("progress takes [n], 1 <= n <= 1000, got %v", inv.Args)}})
			return
		}
		for i := int64(1); i <= n; i++ {
			if !yield(core.ProgressReport(wamp.List{i}, nil), nil) {
				return
			}
		}
		yield(&core.Result{Args: wamp.List{"done"}}, nil)
	}
}
