package router

import (
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/switchboard-wamp/switchboard/core/wamp"
)

// reservedPrefix is the URI space of the WAMP meta API. Clients may
// subscribe and call there, but only Internal sessions may register
// procedures or publish events under it.
const reservedPrefix = "wamp."

// validURI reports whether u follows the spec's URI rules
// (basic profile "URIs"): components separated by '.', each non-empty unless
// allowEmpty (wildcard patterns), containing no whitespace, '.' or '#'
// (loose), or only [0-9a-z_] (strict). The empty URI is never valid.
//
// TODO(core/wamp): switch to wamp.ValidURI once it lands.
func validURI(u wamp.URI, strict, allowEmpty bool) bool {
	s := string(u)
	if s == "" {
		return false
	}
	compLen := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c == '.' {
			if compLen == 0 && !allowEmpty {
				return false
			}
			compLen = 0
			i++
			continue
		}
		if c < utf8.RuneSelf {
			if !validURIByte(c, strict) {
				return false
			}
			compLen++
			i++
			continue
		}
		if strict {
			return false
		}
		r, n := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && n == 1 || unicode.IsSpace(r) {
			return false
		}
		compLen++
		i += n
	}
	return compLen > 0 || allowEmpty
}

func validURIByte(c byte, strict bool) bool {
	if strict {
		return c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c == '_'
	}
	switch c {
	case '#', ' ', '\t', '\n', '\v', '\f', '\r':
		return false
	}
	return true
}

// reserved reports whether u lies in the meta API's URI space.
func reserved(u wamp.URI) bool { return strings.HasPrefix(string(u), reservedPrefix) }
