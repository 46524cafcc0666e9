package wamp

// Role names, the keys of HELLO.Details.roles (client roles) and
// WELCOME.Details.roles (router roles).
const (
	RoleCaller     = "caller"
	RoleCallee     = "callee"
	RolePublisher  = "publisher"
	RoleSubscriber = "subscriber"
	RoleBroker     = "broker"
	RoleDealer     = "dealer"
)

// Feature names announced under Details.roles.<role>.features.<name> (see
// HasFeature), from the advanced profile.
const (
	FeatureProgressiveCallResults      = "progressive_call_results"
	FeatureProgressiveCallInvocations  = "progressive_call_invocations"
	FeatureCallTimeout                 = "call_timeout"
	FeatureCallCanceling               = "call_canceling"
	FeatureCallerIdentification        = "caller_identification"
	FeatureCallTrustLevels             = "call_trustlevels"
	FeatureRegistrationMetaAPI         = "registration_meta_api"
	FeaturePatternBasedRegistration    = "pattern_based_registration"
	FeatureSharedRegistration          = "shared_registration"
	FeatureShardedRegistration         = "sharded_registration"
	FeatureRegistrationRevocation      = "registration_revocation"
	FeatureCallReroute                 = "call_reroute"
	FeatureSubscriberBlackWhiteListing = "subscriber_blackwhite_listing"
	FeaturePublisherExclusion          = "publisher_exclusion"
	FeaturePublisherIdentification     = "publisher_identification"
	FeaturePublicationTrustLevels      = "publication_trustlevels"
	FeatureSubscriptionMetaAPI         = "subscription_meta_api"
	FeaturePatternBasedSubscription    = "pattern_based_subscription"
	FeatureShardedSubscription         = "sharded_subscription"
	FeatureSubscriptionRevocation      = "subscription_revocation"
	FeatureEventHistory                = "event_history"
	FeatureEventRetention              = "event_retention"
	FeatureSessionMetaAPI              = "session_meta_api"
	FeatureTestamentMetaAPI            = "testament_meta_api"
	FeaturePayloadPassthruMode         = "payload_passthru_mode"
	// FeaturePayloadTransparency is autobahn's and Crossbar's name for
	// payload_passthru_mode; accept both when reading a peer's announcement.
	FeaturePayloadTransparency = "payload_transparency"
	FeatureReflection          = "reflection"
)

// Values of the "match" option of SUBSCRIBE and REGISTER.
const (
	MatchExact    = "exact"
	MatchPrefix   = "prefix"
	MatchWildcard = "wildcard"
)

// Values of REGISTER's "invoke" option (shared registration).
const (
	InvokeSingle     = "single"
	InvokeRoundRobin = "roundrobin"
	InvokeRandom     = "random"
	InvokeFirst      = "first"
	InvokeLast       = "last"
)

// Values of the "mode" option of CANCEL and INTERRUPT.
const (
	CancelSkip       = "skip"
	CancelKill       = "kill"
	CancelKillNoWait = "killnowait"
)

// HasFeature reports whether details (a HELLO or WELCOME Details dict)
// announces feature for role, i.e. details.roles.<role>.features.<feature> is
// true. Missing or mistyped levels give false. Pure; safe for concurrent use.
func HasFeature(details Dict, role, feature string) bool {
	roles, _ := details["roles"].(map[string]any)
	r, _ := roles[role].(map[string]any)
	features, _ := r["features"].(map[string]any)
	v, _ := features[feature].(bool)
	return v
}

// HasRole reports whether details (a HELLO or WELCOME Details dict) announces
// role, i.e. details.roles.<role> is a dict.
func HasRole(details Dict, role string) bool {
	roles, _ := details["roles"].(map[string]any)
	_, ok := roles[role].(map[string]any)
	return ok
}
