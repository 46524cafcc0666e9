package router

import (
	"strings"

	"github.com/switchboard-wamp/switchboard/core/wamp"
)

// Preamble checks the first message of a connection, before a realm is
// chosen. It returns the HELLO when it is acceptable, or the ABORT the
// driver must send before closing the connection:
//
//   - any first message other than HELLO: wamp.error.protocol_violation;
//   - a realm that is not a valid URI (loose rules, no empty components):
//     wamp.error.invalid_uri;
//   - Details without "roles", or roles that are not a non-empty dict of
//     known client roles (publisher, subscriber, caller, callee) each mapped
//     to a dict, or other well-known details of the wrong type
//     (wamp.ValidateOptions): wamp.error.protocol_violation.
//
// Every ABORT carries Details {"message": "..."}. Preamble does not know
// which realms exist: answering a HELLO for an unknown realm with
// wamp.error.no_such_realm is the driver's job. Preamble is a pure function,
// safe from any goroutine.
func Preamble(m wamp.Message) (*wamp.Hello, *wamp.Abort) {
	hello, ok := m.(*wamp.Hello)
	if !ok {
		return nil, abortMsg(wamp.ErrProtocolViolationURI, "expected HELLO as the first message, got "+typeName(m))
	}
	if !validURI(hello.Realm, false, false) {
		return nil, abortMsg(wamp.ErrInvalidURI, "invalid realm URI "+quote(string(hello.Realm)))
	}
	if reason := checkRoles(hello.Details); reason != "" {
		return nil, abortMsg(wamp.ErrProtocolViolationURI, reason)
	}
	if err := wamp.ValidateOptions(hello); err != nil {
		return nil, abortMsg(wamp.ErrProtocolViolationURI, violationReason(err))
	}
	return hello, nil
}

// checkRoles validates HELLO.Details.roles and returns why it is
// unacceptable, or "".
func checkRoles(details wamp.Dict) string {
	v, present := details[wamp.DetailRoles]
	roles, ok := v.(wamp.Dict)
	switch {
	case !present:
		return "HELLO.Details.roles is missing"
	case !ok:
		return "HELLO.Details.roles must be a dict"
	case len(roles) == 0:
		return "HELLO.Details.roles announces no role"
	}
	for name, v := range roles {
		if !clientRoles[name] {
			return "HELLO.Details.roles has unknown client role " + quote(name)
		}
		if _, isDict := v.(wamp.Dict); !isDict {
			return "HELLO.Details.roles." + name + " must be a dict"
		}
	}
	return ""
}

// typeName names a message's type for diagnostics.
func typeName(m wamp.Message) string {
	if m == nil {
		return "nothing"
	}
	return m.Type().String()
}

// quote wraps s in double quotes for messages (no escaping needed: these
// strings only reach human readers).
func quote(s string) string { return `"` + s + `"` }

// violationReason strips the generic prefix from a wamp.ErrProtocolViolation
// error, leaving the precise reason for ABORT.Details.message.
func violationReason(err error) string {
	return strings.TrimPrefix(err.Error(), wamp.ErrProtocolViolation.Error()+": ")
}
