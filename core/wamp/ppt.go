package wamp

import "slices"

// Payload passthru mode (advanced profile): the keys a CALL, PUBLISH, YIELD
// or ERROR carries in its Options/Details to mark its payload as opaque, and
// that the router copies into the INVOCATION, EVENT, RESULT or ERROR it
// forwards. Every value is a string.
const (
	OptPPTScheme     = "ppt_scheme"     // required when any ppt_* key is present; non-empty
	OptPPTSerializer = "ppt_serializer" // how the payload was serialized
	OptPPTCipher     = "ppt_cipher"     // how it was encrypted, if it was
	OptPPTKeyID      = "ppt_keyid"      // which key encrypted it
)

// PPTKeys are the payload passthru keys, in the order they are copied.
var PPTKeys = [4]string{OptPPTScheme, OptPPTSerializer, OptPPTCipher, OptPPTKeyID}

// The predefined schemes and the serializers the specification allows with
// them: "wamp" (end-to-end encryption) requires ppt_serializer, one of
// cbor and flatbuffers; "mqtt" allows native, json, msgpack and cbor (or no
// ppt_serializer, meaning native). Other schemes ("x_…" custom ones) are
// the peers' business.
const (
	PPTSchemeWAMP = "wamp"
	PPTSchemeMQTT = "mqtt"
)

var (
	pptWAMPSerializers = []string{"cbor", "flatbuffers"}
	pptMQTTSerializers = []string{"native", "json", "msgpack", "cbor"}
)

// pptRules are the type rules of the ppt_* keys (all strings), added to
// the option rules of every message type that may carry them.
var pptRules = []optRule{
	{OptPPTScheme, kindString, nil}, {OptPPTSerializer, kindString, nil},
	{OptPPTCipher, kindString, nil}, {OptPPTKeyID, kindString, nil},
}

// pptTypes are the message types that may use payload passthru mode.
var pptTypes = [...]Type{CALL, INVOCATION, YIELD, RESULT, PUBLISH, EVENT, ERROR}

func init() {
	for _, t := range pptTypes {
		optionRules[t] = append(optionRules[t], pptRules...)
	}
}

// IsPPT reports whether d (the Options or Details of a CALL, PUBLISH,
// YIELD, ERROR, INVOCATION, EVENT or RESULT) puts its payload in payload
// passthru mode: whether any ppt_* key is present. After ValidateOptions,
// that implies a non-empty ppt_scheme. Pure; safe for concurrent use.
func IsPPT(d Dict) bool {
	if len(d) == 0 {
		return false
	}
	for _, k := range PPTKeys {
		if _, ok := d[k]; ok {
			return true
		}
	}
	return false
}

// CopyPPT copies the ppt_* keys of from into to (which must not be nil).
func CopyPPT(to, from Dict) {
	for _, k := range PPTKeys {
		if v, ok := from[k]; ok {
			to[k] = v
		}
	}
}

// checkPPT returns what is wrong with the ppt_* keys of d, the Options or
// Details of a message of type t (already
// type-checked as strings), or "" (also for a type that takes none): ppt_scheme is required as soon as any
// ppt_* key is present and must not be empty, and a predefined scheme
// takes only the serializers the specification lists for it.
func checkPPT(t Type, d Dict) string {
	if !slices.Contains(pptTypes[:], t) || !IsPPT(d) {
		return ""
	}
	scheme, _ := d[OptPPTScheme].(string)
	if scheme == "" {
		return OptPPTScheme + " is required (and non-empty) in payload passthru mode"
	}
	ser, hasSer := d[OptPPTSerializer].(string)
	switch scheme {
	case PPTSchemeWAMP:
		if !hasSer || !slices.Contains(pptWAMPSerializers, ser) {
			return OptPPTSerializer + " must be cbor or flatbuffers with " + OptPPTScheme + " \"wamp\""
		}
	case PPTSchemeMQTT:
		if hasSer && !slices.Contains(pptMQTTSerializers, ser) {
			return OptPPTSerializer + " must be native, json, msgpack or cbor with " + OptPPTScheme + " \"mqtt\""
		}
	}
	return ""
}
