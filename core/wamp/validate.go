package wamp

import (
	"slices"
	"strings"
)

// valueKind is the expected type of a well-known option or detail.
type valueKind uint8

const (
	kindBool valueKind = iota + 1
	kindString
	kindID         // integer in 1..2^53
	kindNonNegInt  // integer >= 0, of any magnitude (see isNonNegInt)
	kindIDList     // list of IDs
	kindStringList // list of strings
	kindDict
	kindDictList // list of dicts (forward_for)
	kindEnum     // one of rule.enum
)

type optRule struct {
	key  string
	kind valueKind
	enum []string
}

var (
	matchValues  = []string{MatchExact, MatchPrefix, MatchWildcard}
	invokeValues = []string{InvokeSingle, InvokeRoundRobin, InvokeRandom, InvokeFirst, InvokeLast}
	cancelValues = []string{CancelSkip, CancelKill, CancelKillNoWait}
	forwardFor   = optRule{OptForwardFor, kindDictList, nil}
	progress     = optRule{OptProgress, kindBool, nil}
)

// optionRules lists, per message type, the well-known keys of its Options or
// Details dict and their types. Unknown keys are always allowed (custom keys,
// newer spec features).
var optionRules = map[Type][]optRule{
	HELLO: {{DetailRoles, kindDict, nil}, {DetailAuthMethods, kindStringList, nil},
		{DetailAuthID, kindString, nil}, {DetailAuthExtra, kindDict, nil}, {DetailAgent, kindString, nil}},
	WELCOME: {{DetailRoles, kindDict, nil}, {DetailAuthID, kindString, nil}, {DetailAuthRole, kindString, nil},
		{DetailAuthMethod, kindString, nil}, {DetailAuthProvider, kindString, nil},
		{DetailAuthExtra, kindDict, nil}, {DetailAgent, kindString, nil}},
	ABORT:   {{DetailMessage, kindString, nil}},
	GOODBYE: {{DetailMessage, kindString, nil}},
	PUBLISH: {{OptAcknowledge, kindBool, nil}, {OptExcludeMe, kindBool, nil},
		{OptExclude, kindIDList, nil}, {OptExcludeAuthID, kindStringList, nil},
		{OptExcludeAuthRole, kindStringList, nil}, {OptEligible, kindIDList, nil},
		{OptEligibleAuthID, kindStringList, nil}, {OptEligibleAuthRole, kindStringList, nil},
		{OptDiscloseMe, kindBool, nil}, {OptRetain, kindBool, nil},
		{"transaction_hash", kindString, nil}, forwardFor},
	SUBSCRIBE: {{OptMatch, kindEnum, matchValues}, {OptGetRetained, kindBool, nil}, forwardFor},
	EVENT: {{DetailPublisher, kindID, nil}, {DetailPublisherAuthID, kindString, nil},
		{DetailPublisherAuthRole, kindString, nil}, {DetailTopic, kindString, nil},
		{DetailRetained, kindBool, nil}, {"transaction_hash", kindString, nil},
		{"x_acknowledged_delivery", kindBool, nil}, forwardFor},
	CALL: {{OptTimeout, kindNonNegInt, nil}, {OptReceiveProgress, kindBool, nil},
		{OptDiscloseMe, kindBool, nil}, progress, forwardFor},
	CANCEL: {{OptMode, kindEnum, cancelValues}, forwardFor},
	RESULT: {progress, forwardFor},
	REGISTER: {{OptMatch, kindEnum, matchValues}, {OptInvoke, kindEnum, invokeValues},
		{OptDiscloseCaller, kindBool, nil}, {OptForceReregister, kindBool, nil}, forwardFor},
	INVOCATION: {{DetailCaller, kindID, nil}, {DetailCallerAuthID, kindString, nil},
		{DetailCallerAuthRole, kindString, nil}, {DetailProcedure, kindString, nil},
		{OptTimeout, kindNonNegInt, nil}, {OptReceiveProgress, kindBool, nil}, progress, forwardFor},
	INTERRUPT:    {{OptMode, kindEnum, cancelValues}, {OptReason, kindString, nil}, forwardFor},
	YIELD:        {progress, forwardFor},
	UNSUBSCRIBED: {{DetailSubscription, kindID, nil}, {OptReason, kindString, nil}},
	UNREGISTERED: {{DetailRegistration, kindID, nil}, {OptReason, kindString, nil}},
}

// ValidateOptions checks the well-known keys of m's Options or Details dict
// (the keys listed with the Opt* and Detail* constants, plus a few extension
// keys from the conformance vectors): each present key must have its
// documented type, and match/invoke/mode must name a known policy. Unknown
// keys pass. Unlike FromList's structural checks this is a separate step, so
// a client library can choose to be lenient. The error wraps
// ErrProtocolViolation and names the key, e.g. "PUBLISH: Options.acknowledge:
// not a bool". The payload passthru keys (ppt_*, see IsPPT) are strings, and
// when any is present ppt_scheme must be too, with a serializer the
// specification allows for a predefined scheme. Pure; safe for concurrent
// use.
func ValidateOptions(m Message) error {
	rules := optionRules[m.Type()]
	if len(rules) == 0 {
		return nil
	}
	name, d := optionsOf(m)
	if len(d) == 0 {
		return nil
	}
	for _, r := range rules {
		v, ok := d[r.key]
		if !ok {
			continue
		}
		if problem := checkKind(v, r); problem != "" {
			return violationf(m.Type().String(), ": ", name, ".", r.key, ": ", problem)
		}
	}
	if problem := checkPPT(m.Type(), d); problem != "" {
		return violationf(m.Type().String(), ": ", name, ": ", problem)
	}
	return nil
}

// ListOptionOver returns the first well-known list-valued key of m's
// Options or Details dict (in the order of the rules above: for PUBLISH
// exclude, exclude_authid, exclude_authrole, eligible, eligible_authid,
// eligible_authrole, forward_for) whose value holds more than max entries,
// and its length; key is "" when there is none. A router calls it after
// ValidateOptions to enforce a limit on list lengths. Values that are not
// lists count as empty. Pure; safe for concurrent use.
func ListOptionOver(m Message, max int) (key string, n int) {
	rules := optionRules[m.Type()]
	if len(rules) == 0 {
		return "", 0
	}
	_, d := optionsOf(m)
	if len(d) == 0 {
		return "", 0
	}
	for _, r := range rules {
		switch r.kind {
		case kindIDList, kindStringList, kindDictList:
		default:
			continue
		}
		if n = listLen(d[r.key]); n > max {
			return r.key, n
		}
	}
	return "", 0
}

// FloatIDOption returns the first well-known ID-valued key of m's Options
// or Details dict (PUBLISH's exclude and eligible, EVENT's publisher,
// INVOCATION's caller, UNSUBSCRIBED's subscription, UNREGISTERED's
// registration) whose value is a float or a list holding one, or "" when
// there is none. ToID accepts integral floats below 2^53, as msgpack and
// CBOR peers send them; a JSON decoder, where an integer is always written
// as an integer literal, calls FloatIDOption to refuse IDs written with a
// fraction or exponent. Pure; safe for concurrent use.
func FloatIDOption(m Message) string {
	rules := optionRules[m.Type()]
	if len(rules) == 0 {
		return ""
	}
	_, d := optionsOf(m)
	if len(d) == 0 {
		return ""
	}
	for _, r := range rules {
		switch r.kind {
		case kindID:
			if isFloat(d[r.key]) {
				return r.key
			}
		case kindIDList:
			if l, ok := d[r.key].([]any); ok && slices.ContainsFunc(l, isFloat) {
				return r.key
			}
		}
	}
	return ""
}

func isFloat(v any) bool {
	switch v.(type) {
	case float64, float32:
		return true
	}
	return false
}

// listLen is the length of a list value: a List, or a []ID or []string as
// an in-process Go peer may set it; 0 for anything else.
func listLen(v any) int {
	switch l := v.(type) {
	case []any:
		return len(l)
	case []ID:
		return len(l)
	case []string:
		return len(l)
	}
	return 0
}

// optionsOf returns the name and value of m's Options or Details dict.
func optionsOf(m Message) (string, Dict) {
	switch x := m.(type) {
	case *Hello:
		return "Details", x.Details
	case *Welcome:
		return "Details", x.Details
	case *Abort:
		return "Details", x.Details
	case *Goodbye:
		return "Details", x.Details
	case *Publish:
		return "Options", x.Options
	case *Subscribe:
		return "Options", x.Options
	case *Event:
		return "Details", x.Details
	case *Call:
		return "Options", x.Options
	case *Cancel:
		return "Options", x.Options
	case *Result:
		return "Details", x.Details
	case *Register:
		return "Options", x.Options
	case *Invocation:
		return "Details", x.Details
	case *Interrupt:
		return "Options", x.Options
	case *Yield:
		return "Options", x.Options
	case *Unsubscribed:
		return "Details", x.Details
	case *Unregistered:
		return "Details", x.Details
	case *Error:
		return "Details", x.Details
	}
	return "", nil
}

// checkKind returns "" if v has kind r.kind, else what is wrong.
func checkKind(v any, r optRule) string {
	switch r.kind {
	case kindBool:
		if _, ok := v.(bool); !ok {
			return "not a bool: " + typeName(v)
		}
	case kindString:
		if _, ok := v.(string); !ok {
			return "not a string: " + typeName(v)
		}
	case kindID:
		if _, ok := ToID(v); !ok {
			return "not an ID in 1..2^53: " + typeName(v)
		}
	case kindNonNegInt:
		if !isNonNegInt(v) {
			return "not an integer >= 0: " + typeName(v)
		}
	case kindDict:
		if _, ok := v.(map[string]any); !ok {
			return "not a dict: " + typeName(v)
		}
	case kindIDList, kindStringList, kindDictList:
		return checkList(v, r.kind)
	case kindEnum:
		s, ok := v.(string)
		if !ok {
			return "not a string: " + typeName(v)
		}
		for _, e := range r.enum {
			if s == e {
				return ""
			}
		}
		return "unknown value " + quote(s) + ", want one of " + strings.Join(r.enum, ", ")
	}
	return ""
}

func checkList(v any, kind valueKind) string {
	switch v.(type) {
	case []ID:
		if kind == kindIDList { // as an in-process Go peer may set it
			return ""
		}
	case []string:
		if kind == kindStringList {
			return ""
		}
	}
	l, ok := v.([]any)
	if !ok {
		return "not a list: " + typeName(v)
	}
	for _, e := range l {
		switch kind {
		case kindIDList:
			if _, ok = ToID(e); !ok {
				return "element is not an ID in 1..2^53: " + typeName(e)
			}
		case kindStringList:
			if _, ok = e.(string); !ok {
				return "element is not a string: " + typeName(e)
			}
		case kindDictList:
			if _, ok = e.(map[string]any); !ok {
				return "element is not a dict: " + typeName(e)
			}
		}
	}
	return ""
}

// quote quotes s for an error message, truncating long values.
func quote(s string) string {
	if len(s) > 64 {
		s = s[:64] + "..."
	}
	return `"` + s + `"`
}
