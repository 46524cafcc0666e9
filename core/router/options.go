package router

import (
	"math"

	"github.com/switchboard-wamp/switchboard/core/wamp"
)

// Typed accessors for option and detail dictionaries. Each returns the
// value, whether the key was present, and whether the value had the right
// type; callers answer a present-but-wrong value with invalid_argument.
//
// TODO(core/wamp): switch to wamp.OptBool/OptString/OptInt/OptIDList once
// they land, if their semantics match.

// optBool reads a bool option.
func optBool(d wamp.Dict, key string) (val, present, ok bool) {
	v, present := d[key]
	if !present {
		return false, false, true
	}
	b, ok := v.(bool)
	return b, true, ok
}

// optString reads a string option.
func optString(d wamp.Dict, key string) (val string, present, ok bool) {
	v, present := d[key]
	if !present {
		return "", false, true
	}
	s, ok := v.(string)
	return s, true, ok
}

// optInt reads an integer option; integral floats are accepted because JSON
// decoders may produce them.
func optInt(d wamp.Dict, key string) (val int64, present, ok bool) {
	v, present := d[key]
	if !present {
		return 0, false, true
	}
	n, ok := toInt(v)
	return n, true, ok
}

// optList reads a list option.
func optList(d wamp.Dict, key string) (val wamp.List, present, ok bool) {
	v, present := d[key]
	if !present {
		return nil, false, true
	}
	l, ok := v.(wamp.List)
	return l, true, ok
}

// optDict reads a dict option.
func optDict(d wamp.Dict, key string) (val wamp.Dict, present, ok bool) {
	v, present := d[key]
	if !present {
		return nil, false, true
	}
	m, ok := v.(wamp.Dict)
	return m, true, ok
}

// toInt converts a decoded number to int64.
func toInt(v any) (int64, bool) {
	switch n := v.(type) {
	case int64:
		return n, true
	case uint64:
		if n > math.MaxInt64 {
			return 0, false
		}
		return int64(n), true
	case int:
		return int64(n), true
	case float64:
		if n != math.Trunc(n) || n < -(1<<53) || n > 1<<53 {
			return 0, false
		}
		return int64(n), true
	}
	return 0, false
}

// toID converts a decoded number to a valid WAMP ID.
func toID(v any) (wamp.ID, bool) {
	n, ok := toInt(v)
	if !ok || n < 1 || wamp.ID(n) > wamp.MaxID {
		return 0, false
	}
	return wamp.ID(n), true
}
