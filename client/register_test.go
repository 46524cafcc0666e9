package client

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/switchboard-wamp/switchboard/core/wamp"
)

// register registers h on "proc" and plays the router's REGISTERED (id 900).
func register(t *testing.T, s *Session, r *fakeRouter, h Handler, opts *RegisterOptions) (*Registration, *wamp.Register) {
	t.Helper()
	type res struct {
		reg *Registration
		err error
	}
	c := make(chan res, 1)
	go func() {
		reg, err := s.Register(context.Background(), "proc", h, opts)
		c <- res{reg, err}
	}()
	m := expect[*wamp.Register](r)
	r.send(&wamp.Registered{Request: m.Request, Registration: 900})
	got := wait(t, c)
	must(t, got.err)
	if got.reg.ID() != 900 || got.reg.Procedure() != "proc" {
		t.Fatalf("registration %d %s", got.reg.ID(), got.reg.Procedure())
	}
	return got.reg, m
}

func TestRegisterAndYield(t *testing.T) {
	s, r := join(t, testConfig(t))
	seen := make(chan *Invocation, 1)
	_, m := register(t, s, r, func(_ context.Context, inv *Invocation) (*Result, error) {
		seen <- inv
		return &Result{Args: wamp.List{inv.Args[0].(int) * 2}, Kwargs: wamp.Dict{"ok": true}}, nil
	}, &RegisterOptions{Match: "prefix", Invoke: "roundrobin"})
	if m.Options["match"] != "prefix" || m.Options["invoke"] != "roundrobin" {
		t.Fatalf("REGISTER options %v", m.Options)
	}
	r.send(&wamp.Invocation{Request: 5, Registration: 900, Details: wamp.Dict{"procedure": "proc.sub"}, Args: wamp.List{21}})
	y := expect[*wamp.Yield](r)
	if y.Request != 5 || y.Args[0] != 42 || y.Kwargs["ok"] != true || len(y.Options) != 0 {
		t.Fatalf("YIELD %+v", y)
	}
	inv := wait(t, seen)
	if inv.Procedure != "proc.sub" || inv.ReceiveProgress() {
		t.Fatalf("invocation %+v", inv)
	}
}

func TestRegisterRefused(t *testing.T) {
	s, r := join(t, testConfig(t))
	errc := make(chan error, 1)
	go func() {
		_, err := s.Register(context.Background(), "proc", func(context.Context, *Invocation) (*Result, error) { return nil, nil }, nil)
		errc <- err
	}()
	m := expect[*wamp.Register](r)
	r.send(&wamp.Error{RequestType: wamp.REGISTER, Request: m.Request, Details: wamp.Dict{}, Error: wamp.ErrProcedureAlreadyExists})
	var we *Error
	if err := wait(t, errc); !errors.As(err, &we) || we.URI != wamp.ErrProcedureAlreadyExists {
		t.Fatalf("err = %v", err)
	}
	if _, err := s.Register(context.Background(), "p", nil, nil); err == nil {
		t.Fatal("nil handler accepted")
	}
}

type wrapped struct{ err error }

func (w wrapped) Error() string { return "wrapped: " + w.err.Error() }
func (w wrapped) Unwrap() error { return w.err }

func TestHandlerErrors(t *testing.T) {
	tests := []struct {
		name       string
		h          Handler
		wantURI    wamp.URI
		wantArgs   string
		wantKwargs string
	}{
		{"wamp error", func(context.Context, *Invocation) (*Result, error) {
			return nil, &Error{URI: "app.error.invalid", Args: wamp.List{"bad"}, Kwargs: wamp.Dict{"f": 1}}
		}, "app.error.invalid", "[bad]", "map[f:1]"},
		{"wrapped wamp error", func(context.Context, *Invocation) (*Result, error) {
			return nil, fmt.Errorf("context: %w", wrapped{&Error{URI: "app.error.deep"}})
		}, "app.error.deep", "[]", "map[]"},
		{"plain error", func(context.Context, *Invocation) (*Result, error) {
			return nil, errors.New("disk full")
		}, wamp.ErrRuntimeError, "[disk full]", "map[]"},
		{"panic", func(context.Context, *Invocation) (*Result, error) {
			panic("boom")
		}, wamp.ErrRuntimeError, "[client: handler panicked: boom]", "map[]"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s, r := join(t, testConfig(t))
			register(t, s, r, tc.h, nil)
			r.send(&wamp.Invocation{Request: 8, Registration: 900, Details: wamp.Dict{}})
			e := expect[*wamp.Error](r)
			if e.RequestType != wamp.INVOCATION || e.Request != 8 || e.Error != tc.wantURI {
				t.Fatalf("ERROR %+v", e)
			}
			if fmt.Sprint([]any(e.Args)) != tc.wantArgs || fmt.Sprint(map[string]any(e.Kwargs)) != tc.wantKwargs {
				t.Fatalf("args %v kwargs %v", e.Args, e.Kwargs)
			}
			r.quiet(s) // the session survived
		})
	}
}

func TestHandlerNilResult(t *testing.T) {
	s, r := join(t, testConfig(t))
	register(t, s, r, func(context.Context, *Invocation) (*Result, error) { return nil, nil }, nil)
	r.send(&wamp.Invocation{Request: 1, Registration: 900, Details: wamp.Dict{}})
	if y := expect[*wamp.Yield](r); y.Args != nil || y.Kwargs != nil {
		t.Fatalf("YIELD %+v", y)
	}
}

func TestInterrupt(t *testing.T) {
	s, r := join(t, testConfig(t))
	started := make(chan struct{})
	register(t, s, r, func(ctx context.Context, _ *Invocation) (*Result, error) {
		close(started)
		<-ctx.Done()
		return nil, ctx.Err()
	}, nil)
	r.send(&wamp.Invocation{Request: 3, Registration: 900, Details: wamp.Dict{}})
	wait(t, started)
	r.send(&wamp.Interrupt{Request: 3, Options: wamp.Dict{"mode": "kill"}})
	e := expect[*wamp.Error](r)
	if e.Request != 3 || e.Error != wamp.ErrCanceled {
		t.Fatalf("ERROR %+v", e)
	}
}

func TestInvocationProgress(t *testing.T) {
	s, r := join(t, testConfig(t))
	register(t, s, r, func(_ context.Context, inv *Invocation) (*Result, error) {
		if !inv.ReceiveProgress() {
			return nil, errors.New("no progress requested")
		}
		for i := range 3 {
			if err := inv.Progress(wamp.List{i}, nil); err != nil {
				return nil, err
			}
		}
		return &Result{Args: wamp.List{"done"}}, nil
	}, nil)
	r.send(&wamp.Invocation{Request: 4, Registration: 900, Details: wamp.Dict{"receive_progress": true}})
	for i := range 3 {
		y := expect[*wamp.Yield](r)
		if y.Options["progress"] != true || y.Args[0] != i {
			t.Fatalf("progress %d: %+v", i, y)
		}
	}
	if y := expect[*wamp.Yield](r); y.Options["progress"] != nil || y.Args[0] != "done" {
		t.Fatalf("final %+v", y)
	}
}

func TestProgressNotRequested(t *testing.T) {
	s, r := join(t, testConfig(t))
	register(t, s, r, func(_ context.Context, inv *Invocation) (*Result, error) {
		return nil, inv.Progress(wamp.List{1}, nil)
	}, nil)
	r.send(&wamp.Invocation{Request: 4, Registration: 900, Details: wamp.Dict{}})
	e := expect[*wamp.Error](r)
	if e.Error != wamp.ErrRuntimeError || e.Args[0] != ErrProgressNotRequested.Error() {
		t.Fatalf("ERROR %+v", e)
	}
}

func TestUnregister(t *testing.T) {
	s, r := join(t, testConfig(t))
	reg, _ := register(t, s, r, func(context.Context, *Invocation) (*Result, error) { return nil, nil }, nil)
	errc := make(chan error, 1)
	go func() { errc <- reg.Unregister(context.Background()) }()
	u := expect[*wamp.Unregister](r)
	if u.Registration != 900 {
		t.Fatalf("UNREGISTER %+v", u)
	}
	r.send(&wamp.Unregistered{Request: u.Request})
	must(t, wait(t, errc))
	must(t, reg.Unregister(context.Background())) // no-op
	r.quiet(s)
}

func TestUnregisterRefusedKeepsRegistration(t *testing.T) {
	s, r := join(t, testConfig(t))
	reg, _ := register(t, s, r, func(context.Context, *Invocation) (*Result, error) { return nil, nil }, nil)
	errc := make(chan error, 1)
	go func() { errc <- reg.Unregister(context.Background()) }()
	u := expect[*wamp.Unregister](r)
	r.send(&wamp.Error{RequestType: wamp.UNREGISTER, Request: u.Request, Details: wamp.Dict{}, Error: wamp.ErrNotAuthorized})
	var we *Error
	if err := wait(t, errc); !errors.As(err, &we) || we.URI != wamp.ErrNotAuthorized {
		t.Fatalf("err = %v", err)
	}
	go func() { errc <- reg.Unregister(context.Background()) }()
	u = expect[*wamp.Unregister](r)
	r.send(&wamp.Unregistered{Request: u.Request})
	must(t, wait(t, errc))
}

// TestRegisterAbandoned: the caller gives up before REGISTERED; the late
// registration is undone.
func TestRegisterAbandoned(t *testing.T) {
	s, r := join(t, testConfig(t))
	ctx, cancel := context.WithCancel(context.Background())
	errc := make(chan error, 1)
	go func() {
		_, err := s.Register(ctx, "proc", func(context.Context, *Invocation) (*Result, error) { return nil, nil }, nil)
		errc <- err
	}()
	m := expect[*wamp.Register](r)
	cancel()
	if err := wait(t, errc); !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v", err)
	}
	r.send(&wamp.Registered{Request: m.Request, Registration: 901})
	if u := expect[*wamp.Unregister](r); u.Registration != 901 {
		t.Fatalf("UNREGISTER %+v", u)
	}
}
