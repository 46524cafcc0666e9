package router

import (
	"strings"

	"github.com/switchboard-wamp/switchboard/core/wamp"
)

// reservedPrefix is the URI space of the WAMP meta API. Clients may
// subscribe and call there, but only Internal sessions may register
// procedures or publish events under it.
const reservedPrefix = "wamp."

// validURI applies the spec's URI rules (wamp.ValidURI), and never accepts
// the empty URI, not even as a wildcard pattern.
func validURI(u wamp.URI, strict, allowEmpty bool) bool {
	return u != "" && wamp.ValidURI(u, strict, allowEmpty)
}

// reserved reports whether u lies in the meta API's URI space.
func reserved(u wamp.URI) bool { return strings.HasPrefix(string(u), reservedPrefix) }
