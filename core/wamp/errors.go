package wamp

import (
	"errors"
	"strconv"
)

// ErrProtocolViolation is wrapped by every error that reports a message which
// breaks the WAMP protocol: a malformed wire list (FromList) or a well-known
// option of the wrong type (ValidateOptions). A router answers it with ABORT
// wamp.error.protocol_violation (ErrProtocolViolationURI).
var ErrProtocolViolation = errors.New("wamp: protocol violation")

// violation is a protocol-violation error with a precise reason. Its message
// reads "wamp: protocol violation: <reason>" and errors.Is(err,
// ErrProtocolViolation) holds.
type violation struct{ reason string }

func (v *violation) Error() string { return ErrProtocolViolation.Error() + ": " + v.reason }
func (v *violation) Unwrap() error { return ErrProtocolViolation }

func violationf(parts ...string) error {
	n := 0
	for _, p := range parts {
		n += len(p)
	}
	b := make([]byte, 0, n)
	for _, p := range parts {
		b = append(b, p...)
	}
	return &violation{reason: string(b)}
}

// elemViolation reports a problem with element i (named name) of a t message,
// e.g. "CALL: element 1 (Request): ID out of range 1..2^53".
func elemViolation(t Type, i int, name, problem string) error {
	return violationf(t.String(), ": element ", strconv.Itoa(i), " (", name, "): ", problem)
}
