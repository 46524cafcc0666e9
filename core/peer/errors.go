package peer

import (
	"errors"
	"fmt"
)

// Sentinel errors. Completions and methods return them, often wrapped.
var (
	// ErrProtocolViolation is the cause of a session the peer aborted
	// because the router sent something the protocol does not allow.
	ErrProtocolViolation = errors.New("peer: protocol violation by router")
	// ErrSessionClosed fails requests made after the session ended and
	// pending requests when it ends.
	ErrSessionClosed = errors.New("peer: session closed")
	// ErrNotEstablished rejects requests made before WELCOME.
	ErrNotEstablished = errors.New("peer: session not established")
	// ErrConnectionLost is the cause of a session whose connection dropped.
	ErrConnectionLost = errors.New("peer: connection lost")
	// ErrNoSuchSubscription rejects Unsubscribe of an unknown handle.
	ErrNoSuchSubscription = errors.New("peer: no such subscription")
	// ErrNoSuchRegistration rejects Unregister of an unknown registration.
	ErrNoSuchRegistration = errors.New("peer: no such registration")
	// ErrNoSuchInvocation rejects Yield/InvocationError for an invocation
	// that is unknown or already answered.
	ErrNoSuchInvocation = errors.New("peer: no such invocation")
	// ErrProgressNotRequested rejects a progressive Yield when the caller
	// did not ask for progressive results.
	ErrProgressNotRequested = errors.New("peer: caller did not request progressive results")
	// ErrBadState rejects an input that makes no sense in the current state
	// (a second Hello, Authenticate without a challenge).
	ErrBadState = errors.New("peer: not allowed in the current state")
)

// violation builds the error for a router protocol violation.
func violation(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrProtocolViolation, fmt.Sprintf(format, args...))
}

// closedErr is the error pending requests fail with when the session ends.
func closedErr(ci *CloseInfo) error {
	switch {
	case ci.Err != nil:
		return fmt.Errorf("%w: %w", ErrSessionClosed, ci.Err)
	case ci.Reason != "":
		return fmt.Errorf("%w: %s", ErrSessionClosed, ci.Reason)
	default:
		return ErrSessionClosed
	}
}
