package core

import (
	"context"
	"errors"
	"fmt"

	"github.com/switchboard-wamp/switchboard/core/wamp"
)

// Invocation is one call of an application procedure.
type Invocation struct {
	// Procedure is the URI the caller called.
	Procedure wamp.URI
	Args      wamp.List
	Kwargs    wamp.Dict
	// Details are the INVOCATION details the dealer sent (caller identity
	// when disclosed, receive_progress, ...).
	Details wamp.Dict
}

// Result is what a procedure returns to its caller.
type Result struct {
	Args   wamp.List
	Kwargs wamp.Dict
}

// Error is an application error with a WAMP error URI. A handler that returns
// an *Error (or wraps one) answers the caller with exactly that URI, args and
// kwargs.
type Error struct {
	URI    wamp.URI
	Args   wamp.List
	Kwargs wamp.Dict
}

// Error implements error.
func (e *Error) Error() string {
	if len(e.Args) > 0 {
		if s, ok := e.Args[0].(string); ok {
			return string(e.URI) + ": " + s
		}
	}
	return string(e.URI)
}

// Handler implements an application procedure. It runs as a task of the
// application's backend, never on a realm's executor; ctx is cancelled when
// the call is cancelled, times out, or its caller leaves.
//
// Return a *Result, or an error: an *Error carries its own URI; any other
// error answers wamp.error.runtime_error without its text (which is logged),
// so internals do not leak to callers. A panic is recovered and answered the
// same way.
type Handler func(ctx context.Context, inv *Invocation) (*Result, error)

// RegisterOptions are the REGISTER options of an application procedure.
type RegisterOptions struct {
	// Match is "exact" (default), "prefix" or "wildcard".
	Match string
	// Invoke is the shared-registration policy: "single" (default),
	// "roundrobin", "random", "first", "last".
	Invoke string
}

func (o *RegisterOptions) dict() wamp.Dict {
	d := wamp.Dict{}
	if o == nil {
		return d
	}
	if o.Match != "" {
		d["match"] = o.Match
	}
	if o.Invoke != "" {
		d["invoke"] = o.Invoke
	}
	return d
}

// PublishOptions are the PUBLISH options of an application publication.
type PublishOptions struct {
	// Acknowledge makes Publish wait for the broker's PUBLISHED.
	Acknowledge bool
	// Exclude and Eligible restrict the receivers by session ID.
	Exclude, Eligible []wamp.ID
}

func (o *PublishOptions) dict() wamp.Dict {
	d := wamp.Dict{}
	if o == nil {
		return d
	}
	if o.Acknowledge {
		d["acknowledge"] = true
	}
	if len(o.Exclude) > 0 {
		d["exclude"] = idList(o.Exclude)
	}
	if len(o.Eligible) > 0 {
		d["eligible"] = idList(o.Eligible)
	}
	return d
}

func idList(ids []wamp.ID) wamp.List {
	l := make(wamp.List, len(ids))
	for i, id := range ids {
		l[i] = int64(id)
	}
	return l
}

// requestError turns a WAMP ERROR reply to one of the local session's
// requests into a Go error.
func requestError(e *wamp.Error) error {
	return &Error{URI: e.Error, Args: e.Args, Kwargs: e.Kwargs}
}

// errorReply maps a handler's failure to the ERROR fields sent to the caller.
func errorReply(err error) (wamp.URI, wamp.List, wamp.Dict) {
	var we *Error
	if errors.As(err, &we) {
		return we.URI, we.Args, we.Kwargs
	}
	return wamp.ErrRuntimeError, nil, nil
}

func panicError(v any) error { return fmt.Errorf("core: handler panicked: %v", v) }
