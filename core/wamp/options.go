package wamp

// Well-known keys of Options and Details dicts (advanced profile).
const (
	OptAcknowledge      = "acknowledge"       // PUBLISH: bool
	OptExcludeMe        = "exclude_me"        // PUBLISH: bool, default true
	OptExclude          = "exclude"           // PUBLISH: list of session IDs
	OptExcludeAuthID    = "exclude_authid"    // PUBLISH: list of strings
	OptExcludeAuthRole  = "exclude_authrole"  // PUBLISH: list of strings
	OptEligible         = "eligible"          // PUBLISH: list of session IDs
	OptEligibleAuthID   = "eligible_authid"   // PUBLISH: list of strings
	OptEligibleAuthRole = "eligible_authrole" // PUBLISH: list of strings
	OptDiscloseMe       = "disclose_me"       // PUBLISH, CALL: bool
	OptRetain           = "retain"            // PUBLISH: bool
	OptGetRetained      = "get_retained"      // SUBSCRIBE: bool
	OptMatch            = "match"             // SUBSCRIBE, REGISTER: MatchExact/MatchPrefix/MatchWildcard
	OptInvoke           = "invoke"            // REGISTER: InvokeSingle...InvokeLast
	OptDiscloseCaller   = "disclose_caller"   // REGISTER: bool
	OptForceReregister  = "force_reregister"  // REGISTER: bool
	OptTimeout          = "timeout"           // CALL, INVOCATION: milliseconds, integer >= 0 (see TimeoutDuration)
	OptReceiveProgress  = "receive_progress"  // CALL, INVOCATION: bool
	OptProgress         = "progress"          // CALL, INVOCATION, YIELD, RESULT: bool
	OptMode             = "mode"              // CANCEL, INTERRUPT: CancelSkip/CancelKill/CancelKillNoWait
	OptReason           = "reason"            // INTERRUPT, revocation Details: string
	OptForwardFor       = "forward_for"       // router-to-router links: list of dicts

	DetailPublisher         = "publisher"          // EVENT: session ID
	DetailPublisherAuthID   = "publisher_authid"   // EVENT: string
	DetailPublisherAuthRole = "publisher_authrole" // EVENT: string
	DetailTopic             = "topic"              // EVENT (pattern subscriptions): URI
	DetailRetained          = "retained"           // EVENT: bool
	DetailCaller            = "caller"             // INVOCATION: session ID
	DetailCallerAuthID      = "caller_authid"      // INVOCATION: string
	DetailCallerAuthRole    = "caller_authrole"    // INVOCATION: string
	DetailProcedure         = "procedure"          // INVOCATION (pattern registrations): URI
	DetailSubscription      = "subscription"       // UNSUBSCRIBED revocation: ID
	DetailRegistration      = "registration"       // UNREGISTERED revocation: ID
	DetailMessage           = "message"            // ABORT, GOODBYE: human-readable string
	DetailRoles             = "roles"              // HELLO, WELCOME: dict
	DetailAuthMethods       = "authmethods"        // HELLO: list of strings
	DetailAuthID            = "authid"             // HELLO, WELCOME: string
	DetailAuthRole          = "authrole"           // WELCOME: string
	DetailAuthMethod        = "authmethod"         // WELCOME: string
	DetailAuthProvider      = "authprovider"       // WELCOME: string
	DetailAuthExtra         = "authextra"          // HELLO, WELCOME: dict
	DetailAgent             = "agent"              // HELLO, WELCOME: string
)

// The Opt* accessors below read one key of an Options or Details dict (a nil
// dict reads as empty). They return ok=false both when the key is absent and
// when its value has the wrong type; a router that must tell the two apart
// runs ValidateOptions on the inbound message first, after which a well-known
// key is either absent or well-typed. They are pure and safe for concurrent
// use on a dict nobody mutates.

// OptBool returns d[key] if it is a bool.
func OptBool(d Dict, key string) (v bool, ok bool) {
	v, ok = d[key].(bool)
	return v, ok
}

// OptString returns d[key] if it is a string.
func OptString(d Dict, key string) (v string, ok bool) {
	v, ok = d[key].(string)
	return v, ok
}

// OptInt returns d[key] if it is an integer (any number kind ToInt accepts).
func OptInt(d Dict, key string) (v int64, ok bool) {
	x, present := d[key]
	if !present {
		return 0, false
	}
	return ToInt(x)
}

// OptID returns d[key] if it is an ID in 1..2^53 (see ToID).
func OptID(d Dict, key string) (v ID, ok bool) {
	x, present := d[key]
	if !present {
		return 0, false
	}
	return ToID(x)
}

// OptDict returns d[key] if it is a dict.
func OptDict(d Dict, key string) (v Dict, ok bool) {
	v, ok = d[key].(map[string]any)
	return v, ok
}

// OptIDList returns d[key] as IDs, e.g. the eligible and exclude session
// lists of PUBLISH. It accepts a List whose every element is an ID in
// 1..2^53, or a []ID (as an in-process Go peer may set it; returned as is,
// unchecked). An empty list gives a non-nil empty slice and ok=true; any bad
// element makes ok false. Allocates the result for a List.
func OptIDList(d Dict, key string) (v []ID, ok bool) {
	switch x := d[key].(type) {
	case []ID:
		return x, true
	case []any:
		ids := make([]ID, len(x))
		for i, e := range x {
			if ids[i], ok = ToID(e); !ok {
				return nil, false
			}
		}
		return ids, true
	}
	return nil, false
}

// OptStringList returns d[key] as strings, e.g. the eligible_authid list of
// PUBLISH. It accepts a List of strings or a []string (returned as is). An
// empty list gives a non-nil empty slice and ok=true; any non-string element
// makes ok false. Allocates the result for a List.
func OptStringList(d Dict, key string) (v []string, ok bool) {
	switch x := d[key].(type) {
	case []string:
		return x, true
	case []any:
		ss := make([]string, len(x))
		for i, e := range x {
			if ss[i], ok = e.(string); !ok {
				return nil, false
			}
		}
		return ss, true
	}
	return nil, false
}
