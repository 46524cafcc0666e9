package core

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/switchboard-wamp/switchboard/core/peer"
	"github.com/switchboard-wamp/switchboard/core/wamp"
	"github.com/switchboard-wamp/switchboard/scheduler"
)

// ErrProgressOverflow ends a Realm.Call whose Progress callback fell more
// than progressQueueMax reports behind: the call is canceled (CANCEL
// killnowait) rather than queueing without bound.
var ErrProgressOverflow = errors.New("core: call canceled: progress reports piled up unread")

// progressQueueMax bounds the progress reports queued for one Realm.Call.
const progressQueueMax = 1024

// CallOptions are the options of a call the application makes. The zero
// value (or nil) is a plain call.
type CallOptions struct {
	// Timeout asks the dealer to cancel the call after this long (sent as
	// options.timeout in ms). 0 = none.
	Timeout time.Duration
	// Progress, if set, asks for progressive results and is called on the
	// calling goroutine, once per report, in order, before Call returns.
	Progress func(*Result)
	// DiscloseMe asks the dealer to tell the callee who calls (the
	// application's session, authid "switchboard").
	DiscloseMe bool
	// CancelMode is the mode of the CANCEL sent when ctx ends first:
	// "skip", "kill" or "killnowait" (the default, "").
	CancelMode string
}

func (o *CallOptions) dict() wamp.Dict {
	d := wamp.Dict{}
	if o == nil {
		return d
	}
	if o.Timeout > 0 {
		d[wamp.OptTimeout] = max(int64(o.Timeout/time.Millisecond), 1)
	}
	if o.Progress != nil {
		d[wamp.OptReceiveProgress] = true
	}
	if o.DiscloseMe {
		d[wamp.OptDiscloseMe] = true
	}
	return d
}

// callEvent is a progress report or the final answer of a local call.
type callEvent struct {
	res      *Result
	err      error
	progress bool
}

// localCall is the peer token of a Realm.Call: the executor appends the
// call's events to queue (it never blocks) and leaves a wake-up token in
// wake; the calling goroutine pops them one at a time. req and abandoned
// are executor-owned.
type localCall struct {
	req       wamp.ID
	abandoned bool // the caller stopped waiting, or fell too far behind

	mu    sync.Mutex
	queue []callEvent
	head  int // queue[head:] are not taken yet
	wake  chan struct{}
}

func newLocalCall() *localCall { return &localCall{wake: make(chan struct{}, 1)} }

// push queues one event for the caller. Executor-only (one producer).
func (c *localCall) push(ev callEvent) {
	c.mu.Lock()
	c.queue = append(c.queue, ev)
	c.mu.Unlock()
	select {
	case c.wake <- struct{}{}:
	default: // a wake-up is pending already; the event itself is queued
	}
}

// backlog returns the number of events not yet taken.
func (c *localCall) backlog() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.queue) - c.head
}

// pop takes the oldest event, if any.
func (c *localCall) pop() (callEvent, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.head == len(c.queue) {
		return callEvent{}, false
	}
	ev := c.queue[c.head]
	c.queue[c.head] = callEvent{}
	c.head++
	if c.head == len(c.queue) {
		c.queue, c.head = c.queue[:0], 0
	}
	return ev, true
}

// complete turns the call's completions into events for the caller. Once
// the caller has given up, they are dropped: the router still answers a
// canceled call, and the peer keeps it pending until then. Executor-only.
func (c *localCall) complete(l *localSession, comp peer.Completion) {
	if c.abandoned {
		return
	}
	if comp.Err != nil || !comp.Progress {
		ev := callEvent{err: completionError(comp)}
		if r, ok := comp.Reply.(*wamp.Result); ok {
			ev.res = &Result{Args: r.Args, Kwargs: r.Kwargs}
		}
		c.push(ev)
		return
	}
	if c.backlog() >= progressQueueMax {
		// The caller's Progress callback is too slow: fail the call and
		// cancel it.
		c.abandoned = true
		c.push(callEvent{err: ErrProgressOverflow})
		l.p.Cancel(c.req, wamp.CancelKillNoWait, l.fx)
		return
	}
	r := comp.Reply.(*wamp.Result)
	c.push(callEvent{res: &Result{Args: r.Args, Kwargs: r.Kwargs, Progress: true}, progress: true})
}

// Call calls procedure from the application, through the realm's dealer
// like any remote caller: it reaches remote callees and the application's
// own procedures alike. A WAMP ERROR answer is returned as an *Error. When
// ctx ends first, Call sends CANCEL (CallOptions.CancelMode) and returns an
// error wrapping ctx.Err(). Safe for concurrent use. It waits for the
// answer, so a handler that calls it must be marked Blocking (on the
// eventloop backend an unmarked one would hold the loop that has to route
// the answer).
func (r *Realm) Call(ctx context.Context, procedure wamp.URI, args wamp.List, kwargs wamp.Dict, opts *CallOptions) (*Result, error) {
	if scheduler.OnLoop(r.as) {
		return nil, fmt.Errorf("core: call %q: %w (mark the handler core.Blocking, or call from another goroutine)", procedure, scheduler.ErrWouldBlock)
	}
	l := r.local
	c := newLocalCall()
	options := opts.dict()
	posted := r.e.Post(func() {
		c.req = l.p.Call(procedure, args, kwargs, options, c, l.fx)
		l.flush()
	})
	if !posted {
		return nil, fmt.Errorf("core: call %q: %w", procedure, ErrClosed)
	}
	for {
		select {
		case <-c.wake:
		case <-ctx.Done():
			mode := wamp.CancelKillNoWait
			if opts != nil && opts.CancelMode != "" {
				mode = opts.CancelMode
			}
			r.e.Post(func() {
				c.abandoned = true
				l.p.Cancel(c.req, mode, l.fx)
				l.flush()
			})
			return nil, fmt.Errorf("core: call %q: %w", procedure, ctx.Err())
		}
		for ev, ok := c.pop(); ok; ev, ok = c.pop() {
			if ev.progress {
				if opts != nil && opts.Progress != nil {
					opts.Progress(ev.res)
				}
				continue
			}
			return finalAnswer(procedure, ev)
		}
	}
}

// finalAnswer is what Call returns for the final event.
func finalAnswer(procedure wamp.URI, ev callEvent) (*Result, error) {
	if ev.err == nil {
		return ev.res, nil
	}
	var we *Error
	if errors.As(ev.err, &we) {
		return nil, we
	}
	return nil, fmt.Errorf("core: call %q: %w", procedure, ev.err)
}
