package client

import (
	"context"
	"errors"
	"sync"
	"testing"

	"github.com/switchboard-wamp/switchboard/adapters/goroutine"
	"github.com/switchboard-wamp/switchboard/core"
	"github.com/switchboard-wamp/switchboard/core/wamp"
	"github.com/switchboard-wamp/switchboard/transport"
)

// These tests run sessions against the real engine (core.Application) over
// in-memory wire pipes: every message is converted to its list form,
// copied and validated, as a serializer would.

type engine struct {
	t   *testing.T
	app *core.Application
	cfg Config
}

func newEngine(t *testing.T) *engine {
	b := goroutine.New(goroutine.Config{})
	app, err := core.New(core.Config{Backend: b, Realms: []core.RealmConfig{{URI: "realm1"}}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), guard)
		defer cancel()
		if err := app.Close(ctx); err != nil {
			t.Errorf("app close: %v", err)
		}
		_ = b.Close()
	})
	return &engine{t: t, app: app, cfg: Config{Realm: "realm1", Backend: b}}
}

func (e *engine) dial(_ context.Context, a transport.Acceptor) (transport.Peer, error) {
	cli, rt := pipe()
	cli.wire, rt.wire = true, true
	rt.start(e.app.Accept(rt))
	cli.start(a.Accept(cli))
	return cli, nil
}

func (e *engine) join(cfg Config) *Session {
	e.t.Helper()
	s, err := Join(context.Background(), e.dial, cfg)
	if err != nil {
		e.t.Fatalf("join: %v", err)
	}
	e.t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), guard)
		defer cancel()
		if err := s.Leave(ctx, ""); err != nil && !errors.Is(err, ErrSessionClosed) {
			e.t.Errorf("leave: %v", err)
		}
	})
	return s
}

func TestEngineRPC(t *testing.T) {
	e := newEngine(t)
	callee, caller := e.join(e.cfg), e.join(e.cfg)
	ctx := context.Background()
	started, interrupted := make(chan struct{}), make(chan struct{})
	procs := map[wamp.URI]Handler{
		"com.add": func(_ context.Context, inv *Invocation) (*Result, error) {
			a, _ := wamp.ToInt(inv.Args[0])
			b, _ := wamp.ToInt(inv.Args[1])
			return &Result{Args: wamp.List{a + b}}, nil
		},
		"com.fail": func(context.Context, *Invocation) (*Result, error) {
			return nil, &Error{URI: "com.error.failed", Args: wamp.List{"nope"}}
		},
		"com.count": func(_ context.Context, inv *Invocation) (*Result, error) {
			for i := range 3 {
				if err := inv.Progress(wamp.List{i}, nil); err != nil {
					return nil, err
				}
			}
			return &Result{Args: wamp.List{"done"}}, nil
		},
		"com.block": func(ctx context.Context, _ *Invocation) (*Result, error) {
			close(started)
			<-ctx.Done()
			close(interrupted)
			return nil, ctx.Err()
		},
	}
	for uri, h := range procs {
		if _, err := callee.Register(ctx, uri, h, nil); err != nil {
			t.Fatalf("register %s: %v", uri, err)
		}
	}

	res, err := caller.Call(ctx, "com.add", wamp.List{2, 3}, nil, nil)
	must(t, err)
	if n, _ := wamp.ToInt(res.Args[0]); n != 5 {
		t.Fatalf("com.add = %v", res.Args)
	}

	var we *Error
	if _, err := caller.Call(ctx, "com.fail", nil, nil, nil); !errors.As(err, &we) || we.URI != "com.error.failed" {
		t.Fatalf("com.fail: %v", err)
	}
	if _, err := caller.Call(ctx, "com.missing", nil, nil, nil); !errors.As(err, &we) || we.URI != wamp.ErrNoSuchProcedure {
		t.Fatalf("com.missing: %v", err)
	}

	var progress []int64
	res, err = caller.Call(ctx, "com.count", nil, nil, &CallOptions{Progress: func(r *Result) {
		n, _ := wamp.ToInt(r.Args[0])
		progress = append(progress, n)
	}})
	must(t, err)
	if res.Args[0] != "done" || len(progress) != 3 || progress[0] != 0 || progress[2] != 2 {
		t.Fatalf("com.count = %v, progress %v", res.Args, progress)
	}

	cctx, cancel := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() {
		_, err := caller.Call(cctx, "com.block", nil, nil, nil)
		done <- err
	}()
	wait(t, started)
	cancel()
	if err := wait(t, done); !errors.Is(err, context.Canceled) {
		t.Fatalf("canceled call: %v", err)
	}
	wait(t, interrupted)
}

func TestEnginePubSub(t *testing.T) {
	e := newEngine(t)
	sub, pub := e.join(e.cfg), e.join(e.cfg)
	ctx := context.Background()
	const n = 100
	a, b := newCollector(n), newCollector(n)
	subA, err := sub.Subscribe(ctx, "com.news", a.handle, nil)
	must(t, err)
	subB, err := sub.Subscribe(ctx, "com.news", b.handle, nil)
	must(t, err)
	if subA.ID() != subB.ID() {
		t.Fatalf("two local subscriptions got router IDs %d and %d", subA.ID(), subB.ID())
	}
	for i := range n {
		opts := (*PublishOptions)(nil)
		if i == n-1 {
			opts = &PublishOptions{Acknowledge: true}
		}
		must(t, pub.Publish(ctx, "com.news", wamp.List{i}, nil, opts))
	}
	ga, gb := a.ids(t), b.ids(t)
	for i := 1; i < n; i++ {
		if ga[i] != gb[i] {
			t.Fatalf("handlers saw different publications at %d", i)
		}
	}
	must(t, subA.Unsubscribe(ctx))
	must(t, subB.Unsubscribe(ctx))

	var we *Error
	err = pub.Publish(ctx, "bad..uri", nil, nil, &PublishOptions{Acknowledge: true})
	if !errors.As(err, &we) || we.URI != wamp.ErrInvalidURI {
		t.Fatalf("publish to an invalid URI: %v", err)
	}
}

func TestEngineConcurrentCallers(t *testing.T) {
	e := newEngine(t)
	callee := e.join(e.cfg)
	ctx := context.Background()
	_, err := callee.Register(ctx, "com.echo", func(_ context.Context, inv *Invocation) (*Result, error) {
		return &Result{Args: inv.Args}, nil
	}, nil)
	must(t, err)
	var wg sync.WaitGroup
	for range 4 {
		caller := e.join(e.cfg)
		for i := range 16 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				res, err := caller.Call(ctx, "com.echo", wamp.List{i}, nil, nil)
				if err != nil {
					t.Error(err)
					return
				}
				if n, _ := wamp.ToInt(res.Args[0]); n != int64(i) {
					t.Errorf("echo %d = %v", i, res.Args)
				}
			}()
		}
	}
	wg.Wait()
}

func TestEngineJoinUnknownRealm(t *testing.T) {
	e := newEngine(t)
	cfg := e.cfg
	cfg.Realm = "nowhere"
	_, err := Join(context.Background(), e.dial, cfg)
	var ce *CloseError
	if !errors.As(err, &ce) || ce.Reason != wamp.ErrNoSuchRealm {
		t.Fatalf("err = %v", err)
	}
}

func TestEngineShutdownClosesSessions(t *testing.T) {
	e := newEngine(t)
	s := e.join(e.cfg)
	ctx, cancel := context.WithTimeout(context.Background(), guard)
	defer cancel()
	must(t, e.app.Close(ctx))
	wait(t, s.Done())
	var ce *CloseError
	if !errors.As(s.Err(), &ce) || ce.Reason != wamp.CloseSystemShutdown || !ce.Goodbye {
		t.Fatalf("Err = %v", s.Err())
	}
}
