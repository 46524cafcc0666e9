package wamp

// Error and close URIs from the basic and advanced profile
// (rfc/text/basic/uri_reference.md, rfc/text/advanced/uris.md).
const (
	ErrInvalidURI             URI = "wamp.error.invalid_uri"
	ErrNoSuchProcedure        URI = "wamp.error.no_such_procedure"
	ErrProcedureAlreadyExists URI = "wamp.error.procedure_already_exists"
	ErrNoSuchRegistration     URI = "wamp.error.no_such_registration"
	ErrNoSuchSubscription     URI = "wamp.error.no_such_subscription"
	ErrInvalidArgument        URI = "wamp.error.invalid_argument"
	ErrCanceled               URI = "wamp.error.canceled"
	ErrPayloadSizeExceeded    URI = "wamp.error.payload_size_exceeded"
	ErrProtocolViolationURI   URI = "wamp.error.protocol_violation"
	ErrNotAuthorized          URI = "wamp.error.not_authorized"
	ErrAuthorizationFailed    URI = "wamp.error.authorization_failed"
	ErrNoSuchRealm            URI = "wamp.error.no_such_realm"
	ErrNoSuchRole             URI = "wamp.error.no_such_role"
	ErrNoSuchSession          URI = "wamp.error.no_such_session"
	ErrTimeout                URI = "wamp.error.timeout"
	ErrOptionNotAllowed       URI = "wamp.error.option_not_allowed"
	// ErrOptionDisallowedDiscloseMe: the router refused a request to
	// disclose the caller's or publisher's identity (advanced profile).
	ErrOptionDisallowedDiscloseMe URI = "wamp.error.option_disallowed.disclose_me"
	ErrFeatureNotSupported        URI = "wamp.error.feature_not_supported"
	ErrNoMatchingAuthMethod       URI = "wamp.error.no_matching_auth_method"
	ErrAuthenticationFailed       URI = "wamp.error.authentication_failed"
	ErrAuthenticationDenied       URI = "wamp.error.authentication_denied"
	ErrNoAvailableCallee          URI = "wamp.error.no_available_callee"
	ErrNetworkFailure             URI = "wamp.error.network_failure"

	// ErrRuntimeError is not a spec URI; it is the Crossbar/autobahn
	// convention for "the handler failed" and what Switchboard answers when
	// an application handler returns a plain Go error or panics.
	ErrRuntimeError URI = "wamp.error.runtime_error"

	CloseNormal         URI = "wamp.close.normal"
	CloseSystemShutdown URI = "wamp.close.system_shutdown"
	CloseRealm          URI = "wamp.close.close_realm"
	CloseGoodbyeAndOut  URI = "wamp.close.goodbye_and_out"
	CloseKilled         URI = "wamp.close.killed"

	// CloseSlowConsumer is Switchboard's own reason for closing a peer whose
	// outbound queue overflowed.
	CloseSlowConsumer URI = "switchboard.close.slow_consumer"
)
