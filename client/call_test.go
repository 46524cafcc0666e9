package client

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/switchboard-wamp/switchboard/core/wamp"
)

func TestCallResult(t *testing.T) {
	s, r := join(t, testConfig(t))
	calls := callAsync(context.Background(), s, "com.add", nil)
	c := expect[*wamp.Call](r)
	if c.Procedure != "com.add" || len(c.Args) != 1 || len(c.Options) != 0 {
		t.Fatalf("CALL %+v", c)
	}
	r.send(&wamp.Result{Request: c.Request, Details: wamp.Dict{"x": 1}, Args: wamp.List{3}, Kwargs: wamp.Dict{"k": "v"}})
	res := wait(t, calls)
	must(t, res.err)
	if res.res.Args[0] != 3 || res.res.Kwargs["k"] != "v" || res.res.Details["x"] != 1 {
		t.Fatalf("result %+v", res.res)
	}
}

func TestCallOptions(t *testing.T) {
	tests := []struct {
		name string
		opts *CallOptions
		want wamp.Dict
	}{
		{"nil", nil, wamp.Dict{}},
		{"timeout", &CallOptions{Timeout: 1500 * time.Millisecond}, wamp.Dict{"timeout": int64(1500)}},
		{"sub-millisecond timeout rounds up", &CallOptions{Timeout: time.Microsecond}, wamp.Dict{"timeout": int64(1)}},
		{"progress and disclose", &CallOptions{Progress: func(*Result) {}, DiscloseMe: true},
			wamp.Dict{"receive_progress": true, "disclose_me": true}},
		{"extra, fields win", &CallOptions{DiscloseMe: true, Extra: wamp.Dict{"disclose_me": false, "ppt_scheme": "x"}},
			wamp.Dict{"disclose_me": true, "ppt_scheme": "x"}},
	}
	s, r := join(t, testConfig(t))
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			calls := callAsync(context.Background(), s, "p", tc.opts)
			c := expect[*wamp.Call](r)
			if fmt.Sprint(c.Options) != fmt.Sprint(tc.want) {
				t.Fatalf("options %v, want %v", c.Options, tc.want)
			}
			r.send(&wamp.Result{Request: c.Request, Details: wamp.Dict{}})
			must(t, wait(t, calls).err)
		})
	}
}

func TestCallError(t *testing.T) {
	s, r := join(t, testConfig(t))
	calls := callAsync(context.Background(), s, "p", nil)
	c := expect[*wamp.Call](r)
	r.send(&wamp.Error{RequestType: wamp.CALL, Request: c.Request, Details: wamp.Dict{},
		Error: "app.error.bad", Args: wamp.List{"bad input", 2}, Kwargs: wamp.Dict{"field": "x"}})
	err := wait(t, calls).err
	var we *Error
	if !errors.As(err, &we) {
		t.Fatalf("err %T %v, want *Error", err, err)
	}
	if we.URI != "app.error.bad" || we.Args[1] != 2 || we.Kwargs["field"] != "x" {
		t.Fatalf("error %+v", we)
	}
	if err.Error() != "app.error.bad: bad input" {
		t.Fatalf("message %q", err.Error())
	}
	if (&Error{URI: "a.b", Args: wamp.List{1}}).Error() != "a.b" {
		t.Fatal("non-string first arg should not be in the message")
	}
}

func TestCallCancel(t *testing.T) {
	tests := []struct {
		name     string
		opts     *CallOptions
		wantMode string
	}{
		{"default killnowait", nil, "killnowait"},
		{"kill", &CallOptions{CancelMode: "kill"}, "kill"},
	}
	s, r := join(t, testConfig(t))
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ctx, cancel := context.WithCancel(context.Background())
			calls := callAsync(ctx, s, "slow", tc.opts)
			c := expect[*wamp.Call](r)
			cancel()
			cn := expect[*wamp.Cancel](r)
			if cn.Request != c.Request || cn.Options["mode"] != tc.wantMode {
				t.Fatalf("CANCEL %+v for request %d", cn, c.Request)
			}
			if err := wait(t, calls).err; !errors.Is(err, context.Canceled) {
				t.Fatalf("err = %v", err)
			}
			// The router's late answer is absorbed; the session stays up.
			r.send(&wamp.Error{RequestType: wamp.CALL, Request: c.Request, Details: wamp.Dict{}, Error: wamp.ErrCanceled})
			r.quiet(s)
		})
	}
}

func TestCallProgress(t *testing.T) {
	s, r := join(t, testConfig(t))
	var got []any
	opts := &CallOptions{Progress: func(res *Result) { got = append(got, res.Args[0]) }}
	calls := callAsync(context.Background(), s, "p", opts)
	c := expect[*wamp.Call](r)
	if c.Options["receive_progress"] != true {
		t.Fatalf("options %v", c.Options)
	}
	for i := range 50 {
		r.send(&wamp.Result{Request: c.Request, Details: wamp.Dict{"progress": true}, Args: wamp.List{i}})
	}
	r.send(&wamp.Result{Request: c.Request, Details: wamp.Dict{}, Args: wamp.List{"final"}})
	res := wait(t, calls)
	must(t, res.err)
	if res.res.Args[0] != "final" {
		t.Fatalf("final %v", res.res.Args)
	}
	if len(got) != 50 {
		t.Fatalf("got %d progress results", len(got))
	}
	for i, v := range got {
		if v != i {
			t.Fatalf("progress %d = %v: out of order", i, v)
		}
	}
}

// TestConcurrentCalls makes many calls from many goroutines; the router
// answers them in reverse order. Each caller must get its own answer.
func TestConcurrentCalls(t *testing.T) {
	s, r := join(t, testConfig(t))
	const n = 64
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			res, err := s.Call(context.Background(), "echo", wamp.List{i}, nil, nil)
			if err == nil && res.Args[0] != i {
				err = fmt.Errorf("call %d got %v", i, res.Args[0])
			}
			errs <- err
		}()
	}
	var calls []*wamp.Call
	for range n {
		calls = append(calls, expect[*wamp.Call](r))
	}
	for i := len(calls) - 1; i >= 0; i-- {
		r.send(&wamp.Result{Request: calls[i].Request, Details: wamp.Dict{}, Args: calls[i].Args})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		must(t, err)
	}
}
