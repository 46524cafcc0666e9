package wamp

// ValidURI reports whether u is well-formed per the basic profile's URI rules.
// A URI is a sequence of components separated by '.':
//
//   - loose (strict=false): a component is any non-empty string without
//     whitespace (space, \t, \n, \f, \r), '.' or '#', i.e. the spec's
//     ^([^\s\.#]+\.)*([^\s\.#]+)$;
//   - strict: a component is non-empty and consists of [0-9a-z_] only,
//     ^([0-9a-z_]+\.)*([0-9a-z_]+)$.
//
// allowEmptyComponents permits empty components (as wildcard-pattern
// subscriptions and registrations need, e.g. "com..update"); then "" is
// valid too, as in the spec's ^(([^\s\.#]+\.)|\.)*([^\s\.#]+)?$ and its strict
// counterpart. Bytes outside ASCII are ordinary component characters in loose
// mode. ValidURI does not allocate and is safe for concurrent use.
func ValidURI(u URI, strict bool, allowEmptyComponents bool) bool {
	n := 0 // length of the current component
	for i := 0; i < len(u); i++ {
		c := u[i]
		if c == '.' {
			if n == 0 && !allowEmptyComponents {
				return false
			}
			n = 0
			continue
		}
		if strict {
			if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '_') {
				return false
			}
		} else if c == '#' || c == ' ' || c == '\t' || c == '\n' || c == '\f' || c == '\r' {
			return false
		}
		n++
	}
	return n > 0 || allowEmptyComponents
}
