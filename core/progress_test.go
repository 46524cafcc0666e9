package core_test

import (
	"context"
	"errors"
	"reflect"
	"sync/atomic"
	"testing"

	"github.com/switchboard-wamp/switchboard/core"
	"github.com/switchboard-wamp/switchboard/core/wamp"
)

// countTo streams progress reports 1..n and then the final result "done";
// produced counts the reports the stream made, whether or not they were
// sent.
func countTo(n int, produced *atomic.Int64) core.Handler {
	return core.Progressive(func(ctx context.Context, inv *core.Invocation) core.Stream {
		return func(yield func(*core.Result, error) bool) {
			for i := 1; i <= n; i++ {
				produced.Add(1)
				if !yield(core.ProgressReport(wamp.List{i}, nil), nil) {
					return
				}
			}
			yield(&core.Result{Args: wamp.List{"done"}}, nil)
		}
	})
}

func TestProgressiveResults(t *testing.T) {
	forBackends(t, func(t *testing.T, app *core.Application, realm *core.Realm) {
		ctx := ctxT(t)
		var produced atomic.Int64
		var rs core.Routes
		rs.Handle("com.count", countTo(3, &produced))
		if err := realm.AddRoutes(ctx, &rs); err != nil {
			t.Fatal(err)
		}

		t.Run("caller asks for progress", func(t *testing.T) {
			var got []any
			res, err := realm.Call(ctx, "com.count", nil, nil, &core.CallOptions{Progress: func(r *core.Result) {
				if !r.Progress {
					t.Errorf("progress report without Progress set: %+v", r)
				}
				got = append(got, r.Args[0])
			}})
			if err != nil || res.Args[0] != "done" || res.Progress {
				t.Fatalf("final %+v %v, want [done]", res, err)
			}
			if !reflect.DeepEqual(got, []any{1, 2, 3}) {
				t.Fatalf("progress %v, want [1 2 3] in order", got)
			}
		})
		t.Run("remote caller over the wire", func(t *testing.T) {
			p := joinPeer(t, app, callerRoles)
			prog, final := p.call(1, wamp.Dict{"receive_progress": true}, "com.count", nil, nil)
			if len(prog) != 3 || prog[0].Args[0] != 1 || prog[2].Args[0] != 3 {
				t.Fatalf("progressive RESULTs %v, want [1] [2] [3]", prog)
			}
			if r, ok := final.(*wamp.Result); !ok || r.Args[0] != "done" {
				t.Fatalf("final %#v", final)
			}
			// Without receive_progress: only the final result, but the
			// stream still ran to its end.
			produced.Store(0)
			prog, final = p.call(2, wamp.Dict{}, "com.count", nil, nil)
			if len(prog) != 0 {
				t.Fatalf("progress sent to a caller that did not ask: %v", prog)
			}
			if r, ok := final.(*wamp.Result); !ok || r.Args[0] != "done" || produced.Load() != 3 {
				t.Fatalf("final %#v after %d reports, want [done] after 3", final, produced.Load())
			}
		})
	})
}

func TestProgressiveEndings(t *testing.T) {
	boom := &core.Error{URI: "com.example.boom", Args: wamp.List{"mid-stream"}}
	stream := func(items ...any) core.Handler {
		return core.Progressive(func(ctx context.Context, inv *core.Invocation) core.Stream {
			return func(yield func(*core.Result, error) bool) {
				for _, it := range items {
					switch x := it.(type) {
					case error:
						yield(nil, x)
						return
					case *core.Result:
						if !yield(x, nil) {
							return
						}
					case string:
						panic(x)
					}
				}
			}
		})
	}
	forBackends(t, func(t *testing.T, app *core.Application, realm *core.Realm) {
		ctx := ctxT(t)
		var rs core.Routes
		rs.Handle("com.error", stream(core.ProgressReport(wamp.List{1}, nil), boom))
		rs.Handle("com.panic", stream(core.ProgressReport(wamp.List{1}, nil), "boom"))
		rs.Handle("com.nofinal", stream(core.ProgressReport(wamp.List{1}, nil)))
		rs.Handle("com.first", stream(&core.Result{Args: wamp.List{"final"}}, core.ProgressReport(wamp.List{"late"}, nil)))
		if err := realm.AddRoutes(ctx, &rs); err != nil {
			t.Fatal(err)
		}
		var reports atomic.Int64
		opts := &core.CallOptions{Progress: func(*core.Result) { reports.Add(1) }}

		_, err := realm.Call(ctx, "com.error", nil, nil, opts)
		if msg := wantWAMPError(t, err, "com.example.boom"); msg != "mid-stream" {
			t.Errorf("error args %q", msg)
		}
		wantWAMPError(t, callErr(realm.Call(ctx, "com.panic", nil, nil, opts)), wamp.ErrRuntimeError)
		res, err := realm.Call(ctx, "com.nofinal", nil, nil, opts)
		if err != nil || res.Args != nil || res.Kwargs != nil {
			t.Errorf("stream without a final result: %+v %v, want an empty result", res, err)
		}
		res, err = realm.Call(ctx, "com.first", nil, nil, opts)
		if err != nil || res.Args[0] != "final" {
			t.Errorf("the first non-progress item is final: %+v %v", res, err)
		}
		if n := reports.Load(); n != 3 {
			t.Errorf("%d progress reports, want 3 (one per stream before its end)", n)
		}
	})
}

// Cancelling the call cancels the stream's context and ends the iteration.
func TestProgressiveCancel(t *testing.T) {
	forBackends(t, func(t *testing.T, app *core.Application, realm *core.Realm) {
		ctx := ctxT(t)
		stopped := make(chan error, 1)
		var rs core.Routes
		// Blocking: on the event loop the stream must run off the loop to
		// see the CANCEL that the loop routes meanwhile.
		rs.Handle("com.forever", core.Blocking(core.Progressive(func(ctx context.Context, inv *core.Invocation) core.Stream {
			return func(yield func(*core.Result, error) bool) {
				for i := 0; ; i++ {
					if i == 5 {
						<-ctx.Done() // the caller cancels on report 3
					}
					if !yield(core.ProgressReport(wamp.List{i}, nil), nil) {
						stopped <- ctx.Err()
						return
					}
					if i >= 5 {
						stopped <- errors.New("yield went on after the call was cancelled")
						return
					}
				}
			}
		})))
		if err := realm.AddRoutes(ctx, &rs); err != nil {
			t.Fatal(err)
		}
		callCtx, cancel := context.WithCancel(ctx)
		_, err := realm.Call(callCtx, "com.forever", nil, nil, &core.CallOptions{Progress: func(r *core.Result) {
			if r.Args[0] == 3 {
				cancel()
			}
		}})
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("err = %v, want context.Canceled", err)
		}
		select {
		case err := <-stopped:
			if !errors.Is(err, context.Canceled) {
				t.Fatalf("stream ended with ctx.Err() = %v, want context.Canceled", err)
			}
		case <-ctx.Done():
			t.Fatal("the stream was not stopped")
		}
	})
}

func TestInvocationProgressDirect(t *testing.T) {
	forBackends(t, func(t *testing.T, app *core.Application, realm *core.Realm) {
		ctx := ctxT(t)
		after := make(chan *core.Invocation, 1)
		var rs core.Routes
		rs.Handle("com.direct", func(ctx context.Context, inv *core.Invocation) (*core.Result, error) {
			if !inv.ReceiveProgress() {
				if err := inv.Progress(wamp.List{"x"}, nil); !errors.Is(err, core.ErrProgressNotRequested) {
					return nil, err
				}
				return &core.Result{Args: wamp.List{"no progress"}}, nil
			}
			for i := range 2 {
				if err := inv.Progress(wamp.List{i}, wamp.Dict{"step": i}); err != nil {
					return nil, err
				}
			}
			after <- inv
			return &core.Result{Args: wamp.List{"done"}}, nil
		})
		if err := realm.AddRoutes(ctx, &rs); err != nil {
			t.Fatal(err)
		}
		var got []*core.Result
		res, err := realm.Call(ctx, "com.direct", nil, nil, &core.CallOptions{Progress: func(r *core.Result) { got = append(got, r) }})
		if err != nil || res.Args[0] != "done" || len(got) != 2 || got[1].Kwargs["step"] != 1 {
			t.Fatalf("%+v %v, progress %+v", res, err, got)
		}
		if err := (<-after).Progress(nil, nil); !errors.Is(err, core.ErrInvocationDone) {
			t.Errorf("Progress after return: %v, want ErrInvocationDone", err)
		}
		res, err = realm.Call(ctx, "com.direct", nil, nil, nil)
		if err != nil || res.Args[0] != "no progress" {
			t.Fatalf("%+v %v", res, err)
		}
	})
}
