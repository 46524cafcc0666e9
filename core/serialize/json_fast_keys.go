package serialize

import "unicode/utf8"

// jsonKnownKeys interns the dict keys of the WAMP spec's Details, Options
// and role features, so that decoding them allocates nothing. Strings are
// immutable: sharing them between messages is safe.
var jsonKnownKeys = func() map[string]string {
	keys := []string{
		"roles", "caller", "callee", "publisher", "subscriber", "broker", "dealer", "features",
		"agent", "session", "realm", "authid", "authrole", "authmethod", "authmethods",
		"authprovider", "authextra", "resumable", "timeout", "receive_progress", "progress",
		"disclose_me", "match", "invoke", "exclude_me", "exclude", "eligible", "exclude_authid",
		"exclude_authrole", "eligible_authid", "eligible_authrole", "acknowledge", "retain",
		"get_retained", "retained", "procedure", "topic", "trustlevel", "mode", "message", "reason",
		"caller_authid", "caller_authrole", "publisher_authid", "publisher_authrole",
		"forward_for", "ppt_scheme", "ppt_serializer", "ppt_cipher", "ppt_keyid", "x_cb_node",
		"call_canceling", "call_timeout", "progressive_call_results", "progressive_call_invocations",
		"caller_identification", "publisher_identification", "publisher_exclusion",
		"subscriber_blackwhite_listing", "pattern_based_registration", "pattern_based_subscription",
		"shared_registration", "session_meta_api", "registration_meta_api", "subscription_meta_api",
		"event_retention", "payload_passthru_mode", "sharded_registration", "sharded_subscription",
		"call_reroute", "registration_revocation", "subscription_revocation", "testament_meta_api",
		"nonce", "challenge", "salt", "keylen", "iterations", "channel_binding", "cbtlsbind",
	}
	m := make(map[string]string, len(keys))
	for _, k := range keys {
		m[k] = k
	}
	return m
}()

// key parses an object key at d.i (which holds '"'): a well-known key
// written without escapes comes from jsonKnownKeys, anything else is
// decoded by str.
func (d *jsonDecoder) key() (string, error) {
	start := d.i + 1
	for i := start; i < len(d.b); i++ {
		c := d.b[i]
		if c == '"' {
			if k, ok := jsonKnownKeys[string(d.b[start:i])]; ok {
				d.i = i + 1
				return k, nil
			}
			break
		}
		if c < 0x20 || c == '\\' || c >= utf8.RuneSelf {
			break
		}
	}
	return d.str()
}
