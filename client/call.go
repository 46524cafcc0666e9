package client

import (
	"context"
	"fmt"
	"maps"
	"time"

	"github.com/switchboard-wamp/switchboard/core/peer"
	"github.com/switchboard-wamp/switchboard/core/wamp"
)

// Result is the outcome of a call (the RESULT's payload and details), or
// what a Handler returns to answer an invocation.
type Result struct {
	Args    wamp.List
	Kwargs  wamp.Dict
	Details wamp.Dict // RESULT details; ignored when a Handler returns it
}

// CallOptions are the optional settings of a call. The zero value (or nil)
// is a plain call.
type CallOptions struct {
	// Timeout asks the router to cancel the call after this long (sent as
	// options.timeout in milliseconds). 0 = no timeout.
	Timeout time.Duration
	// Progress, if set, requests progressive results
	// (options.receive_progress) and is called, on the calling goroutine,
	// once per progressive result, in order, before Call returns.
	Progress func(*Result)
	// DiscloseMe asks the router to tell the callee who is calling.
	DiscloseMe bool
	// CancelMode is the mode of the CANCEL sent when ctx ends before the
	// result: "skip", "kill" or "killnowait" (the default, "").
	CancelMode string
	// Extra options are sent as they are; the fields above win on conflict.
	Extra wamp.Dict
}

func (o *CallOptions) dict() wamp.Dict {
	d := wamp.Dict{}
	if o == nil {
		return d
	}
	maps.Copy(d, o.Extra)
	if o.Timeout > 0 {
		d["timeout"] = max(int64(o.Timeout/time.Millisecond), 1)
	}
	if o.Progress != nil {
		d["receive_progress"] = true
	}
	if o.DiscloseMe {
		d["disclose_me"] = true
	}
	return d
}

// Call calls procedure and waits for its result. A WAMP ERROR reply is
// returned as a *Error. When ctx ends first, Call sends CANCEL (see
// CallOptions.CancelMode) and returns an error wrapping ctx.Err(); when the
// session ends first, an error matching ErrSessionClosed. Safe for
// concurrent use.
func (s *Session) Call(ctx context.Context, procedure wamp.URI, args wamp.List, kwargs wamp.Dict, opts *CallOptions) (*Result, error) {
	if err := s.mayWait("call " + string(procedure)); err != nil {
		return nil, err
	}
	w := newWaiter()
	o := opts.dict()
	if !s.run(func() {
		w.req = s.p.Call(procedure, args, kwargs, o, w, &s.fx)
		s.flush()
	}) {
		return nil, s.closedError("call")
	}
	for {
		c, err := w.next(ctx)
		if err != nil {
			mode := peer.CancelKillNoWait
			if opts != nil && opts.CancelMode != "" {
				mode = opts.CancelMode
			}
			s.post(func() {
				s.p.Cancel(w.req, mode, &s.fx)
				s.flush()
			})
			return nil, fmt.Errorf("client: call %s: %w", procedure, err)
		}
		if c.Progress {
			if opts != nil && opts.Progress != nil {
				opts.Progress(resultOf(c.Reply))
			}
			continue
		}
		if err := replyError(c); err != nil {
			return nil, opError("call "+string(procedure), err)
		}
		return resultOf(c.Reply), nil
	}
}

func resultOf(m wamp.Message) *Result {
	r, _ := m.(*wamp.Result)
	if r == nil {
		return &Result{}
	}
	return &Result{Args: r.Args, Kwargs: r.Kwargs, Details: r.Details}
}

// replyError returns the error a completion carries: a local failure, or
// the router's ERROR as *Error.
func replyError(c peer.Completion) error {
	if c.Err != nil {
		return c.Err
	}
	if e, ok := c.Reply.(*wamp.Error); ok {
		return errorFromMsg(e)
	}
	return nil
}

// opError adds the operation to a local error; a router's *Error is
// returned as it is.
func opError(op string, err error) error {
	if _, ok := err.(*Error); ok {
		return err
	}
	return fmt.Errorf("client: %s: %w", op, err)
}

// closedError is returned when a request cannot even be posted: the
// backend is closed.
func (s *Session) closedError(op string) error {
	select {
	case <-s.done:
		return fmt.Errorf("client: %s: %w", op, s.err)
	default:
		return fmt.Errorf("client: %s: %w: backend closed", op, ErrSessionClosed)
	}
}
