package client

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/switchboard-wamp/switchboard/core/peer"
	"github.com/switchboard-wamp/switchboard/core/wamp"
)

var (
	// ErrSessionClosed is matched (errors.Is) by every error caused by the
	// end of the session: requests made after it, and requests pending when
	// it happened. Session.Err wraps it too. The concrete error is a
	// *CloseError carrying the reason.
	ErrSessionClosed = errors.New("client: session closed")
	// ErrJoinTimeout is the cause of a join that got no WELCOME within
	// Config.JoinTimeout.
	ErrJoinTimeout = errors.New("client: join timed out")
	// ErrEventOverflow is the cause of a session aborted because an event
	// handler fell Config.EventQueueMax events behind.
	ErrEventOverflow = errors.New("client: event handler queue overflow")
	// ErrProgressNotRequested is returned by Invocation.Progress when the
	// caller did not ask for progressive results.
	ErrProgressNotRequested = errors.New("client: caller did not request progressive results")
)

// Error is a WAMP error: an ERROR reply to a call, registration,
// subscription or acknowledged publication, or what a Handler returns to
// answer its invocation with a particular error URI (one that is empty or
// not a valid URI, loose rules, is sent as wamp.error.runtime_error with the
// same args and kwargs: the router would abort a callee sending it).
type Error struct {
	URI    wamp.URI
	Args   wamp.List
	Kwargs wamp.Dict
	// Details are the ERROR message's details (nil for handler errors).
	Details wamp.Dict
}

// Error returns "URI" or "URI: first argument" when that is a string.
func (e *Error) Error() string {
	if len(e.Args) > 0 {
		if s, ok := e.Args[0].(string); ok {
			return string(e.URI) + ": " + s
		}
	}
	return string(e.URI)
}

func errorFromMsg(m *wamp.Error) *Error {
	return &Error{URI: m.Error, Args: m.Args, Kwargs: m.Kwargs, Details: m.Details}
}

// notSentError marks a request the session refused before sending it (it
// was not joined, or already leaving): a Component may send it again on
// its next session without it ever running twice.
type notSentError struct{ err error }

func (e *notSentError) Error() string { return e.err.Error() }
func (e *notSentError) Unwrap() error { return e.err }

// notSent reports whether err is a request that was never sent.
func notSent(err error) bool {
	var ns *notSentError
	return errors.As(err, &ns)
}

// CloseError tells why a session ended. It matches ErrSessionClosed with
// errors.Is, and its Cause (a transport error, ErrJoinTimeout, a context
// error, ...) as well.
type CloseError struct {
	// Reason is the ABORT/GOODBYE reason URI (the router's when Remote).
	// Empty when the connection was lost.
	Reason wamp.URI
	// Message is details.message of the router's ABORT/GOODBYE, if any.
	Message string
	// Remote reports that the router ended the session.
	Remote bool
	// Goodbye reports an orderly end: a GOODBYE exchange, whichever side
	// started it.
	Goodbye bool
	// Cause is the local cause, nil for an ABORT/GOODBYE exchange.
	Cause error
}

// Error describes the close.
func (e *CloseError) Error() string {
	var b strings.Builder
	b.WriteString(ErrSessionClosed.Error())
	if e.Remote {
		b.WriteString(": router sent ")
		b.WriteString(string(e.Reason))
		if e.Message != "" {
			b.WriteString(" (" + e.Message + ")")
		}
		return b.String()
	}
	if e.Cause != nil {
		b.WriteString(": " + e.Cause.Error())
	} else if e.Reason != "" {
		b.WriteString(": " + string(e.Reason))
	}
	return b.String()
}

// Unwrap returns ErrSessionClosed and the cause.
func (e *CloseError) Unwrap() []error {
	if e.Cause == nil {
		return []error{ErrSessionClosed}
	}
	return []error{ErrSessionClosed, e.Cause}
}

func closeErrorFrom(ci *peer.CloseInfo) *CloseError {
	e := &CloseError{Reason: ci.Reason, Remote: ci.Remote, Goodbye: ci.Goodbye, Cause: ci.Err}
	if s, ok := ci.Details["message"].(string); ok {
		e.Message = s
	}
	return e
}

// handlerError maps what a Handler returned (or its panic) to the URI, args
// and kwargs of the ERROR answering the invocation.
func handlerError(err error, interrupted bool) (wamp.URI, wamp.List, wamp.Dict) {
	var we *Error
	if errors.As(err, &we) {
		if we.URI == "" || !wamp.ValidURI(we.URI, false, false) {
			// Never an invalid ERROR: the router would abort the session.
			return wamp.ErrRuntimeError, we.Args, we.Kwargs
		}
		return we.URI, we.Args, we.Kwargs
	}
	if interrupted && errors.Is(err, context.Canceled) {
		return wamp.ErrCanceled, nil, nil
	}
	return wamp.ErrRuntimeError, wamp.List{err.Error()}, nil
}

// panicError turns a recovered handler panic into an error.
func panicError(v any) error {
	return fmt.Errorf("client: handler panicked: %v", v)
}
