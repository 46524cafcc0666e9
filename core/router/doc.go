// Package router is Switchboard's pure router state machine: the session
// handshake, realms, the broker and the dealer. It contains no I/O, no
// goroutines, no locks and no clock: every entry point takes now, and every
// outcome is a value appended to an Effects buffer the caller owns.
//
//	hello, abort := router.Preamble(first)   // first message of a connection
//	if abort != nil { send(abort); closeConn(); return }
//	realm.Hello(now, sid, hello, cfg, &fx)   // the handshake starts (handshake.go)
//	realm.Handle(now, sid, msg, &fx)         // every later message, AUTHENTICATE included
//	deliver(fx.Out); apply(fx.Close); carry out fx.Handshake; fx.Reset()
//	at, ok := realm.NextDeadline()           // re-arm one timer; on firing: realm.Expire(now, &fx)
//
// Duties of the driver (package core's engine):
//  1. Call every method of one Realm from one serial executor only.
//  2. Feed messages of one session in arrival order, already decoded and
//     structurally validated (wamp.FromList); frames that fail that go to
//     Malformed instead. Handle itself checks option types
//     (wamp.ValidateOptions) and URIs.
//  3. After each call, deliver Effects.Out in order (encoding an Outbound
//     marked Shared once per serializer), then apply Effects.Close, then
//     carry out Effects.Handshake, then re-arm one timer to NextDeadline
//     and call Expire when it fires (a late or early firing is harmless).
//  4. Carry out the handshake steps: run the authenticator off the
//     executor for HandshakeAuthenticate, and report its outcome with
//     Authenticated or Refused (and its CHALLENGE requests with
//     AuthChallenge, whose answer is a HandshakeAnswer); run the
//     session-open hooks for HandshakeOpen and report Opened or Refused;
//     release what it built on HandshakeEnd.
//  5. Report a dropped connection with Detach, and a message the
//     receiver's transport refused with Undeliverable.
//  6. Treat every message in Effects as immutable: one value (an EVENT, a
//     shared empty Details dict) may go to many sessions, so encode it once
//     per serializer and never write into it.
//  7. Answer a HELLO for a realm that does not exist with ABORT
//     wamp.error.no_such_realm itself, and close a connection that sends
//     no HELLO in time: a Realm only knows itself, and its sessions from
//     their HELLO on.
//  8. Carry out Effects.Authorize (after the handshake steps): run the
//     realm's dynamic authorizer off the executor and report each verdict
//     with Authorized (authz_dynamic.go).
//  9. In a cluster: join one node session (SessionInfo.Node) per other
//     node, send what the router emits to it (a *RemotePublication for a
//     publication) to that node, feed that node's publications in with
//     PublishRemote, and carry out Effects.Claim, answering claims with
//     Claimed (cluster.go, cluster_claims.go, cluster_sessions.go).
//
// Handshake. From Hello to WELCOME a session is authenticating (the
// driver runs the authenticator), challenged (a CHALLENGE is out; only
// AUTHENTICATE or ABORT may come) or opening (admitted; the driver runs
// the application's session-open hooks). One deadline per handshake, set
// by the driver from the connection's start, sits in the realm's deadline
// index; when it passes the session gets ABORT
// wamp.error.authentication_failed "handshake timed out". Anything but
// AUTHENTICATE-when-challenged and ABORT before WELCOME is a protocol
// violation (GOODBYE and a second HELLO included). A realm without an
// authenticator admits anonymous sessions only: a HELLO without
// authmethods, or with "anonymous" among them (else
// wamp.error.no_matching_auth_method). Join admits an already
// authenticated session directly (the application's own session, tests).
//
// Sessions. A joined session is established; the transition table in
// session.go lists what a client may send in each state. Anything else
// (router-to-client types, a second HELLO, ERROR not answering an
// INVOCATION, a duplicate pending CALL request ID, a wrong-typed option) is
// a protocol violation: ABORT wamp.error.protocol_violation with
// Details.message, a CloseOp, and removal. A client GOODBYE is answered
// with GOODBYE wamp.close.goodbye_and_out; a client ABORT closes silently.
// Kill and Shutdown send the router's GOODBYE, release everything the
// session owns at once, and then accept only the GOODBYE reply (or ABORT)
// until RealmConfig.GoodbyeTimeout passes. Messages for session IDs that
// are not in the realm are ignored, since the driver may race a close
// against queued input. When a session goes, calls it was serving fail at
// their callers with ERROR wamp.error.canceled, and calls it made are
// forgotten (INTERRUPT killnowait to callees that announced call_canceling).
//
// Errors. Request-scoped failures are ERROR replies with Details {} and one
// argument, a human-readable message. PUBLISH failures are reported only
// when acknowledge=true, as the basic profile says.
//
// Limits. Bad input from one session must not stall the realm's executor
// for the others. A list-valued option of a request (PUBLISH's black- and
// white-lists, forward_for) longer than RealmConfig.MaxOptionListLen
// (default 1024) is refused with ERROR wamp.error.invalid_argument before
// any routing work, and a publication's black- and white-lists cost
// O(list length + subscribers) (broker_filter.go). A CALL's
// options.timeout too large for a time.Duration means no timeout rather
// than overflowing into an immediate one (dealer_call.go).
//
// URIs. Topics and procedures follow the realm's StrictURI setting; empty
// components are allowed only in wildcard patterns. The "wamp." prefix is
// reserved for the meta API: clients may subscribe and call there, but only
// sessions with SessionInfo.Internal may register or publish there, and
// calls to "wamp.*" resolve exact registrations only, so that client
// patterns cannot capture meta procedures.
//
// Authorization (authz.go): with RealmConfig.Authorization set, each
// CALL, REGISTER, PUBLISH and SUBSCRIBE of a non-Internal session is
// checked against its authrole's permissions after the URI is validated
// and before any routing, so a denied caller learns nothing of the
// procedure: ERROR wamp.error.not_authorized (an unacknowledged PUBLISH is
// dropped), or wamp.error.option_disallowed.disclose_me when disclose_me
// is asked for without the disclose permission. The most specific rule
// wins (exact > longest prefix > best wildcard); an unlisted role or URI
// is denied; a pattern is allowed only if every URI it can match is.
// With RealmConfig.Authorizer, what the table allows is then put to the
// driver's authorizer (Effects.Authorize, answered with Authorized): the
// request is held, later requests of the session wait behind it in order
// (bounded by MaxHeldRequests), verdicts are cached per session for
// AuthorizerCacheTTL, and a failed authorizer answers
// wamp.error.authorization_failed.
//
// Broker: subscriptions are shared per (topic, match policy) and live as
// long as they have subscribers; each matching subscription gets one EVENT
// value for all its receivers. Features: publisher_exclusion,
// publisher_identification, subscriber_blackwhite_listing,
// pattern_based_subscription.
//
// Dealer: a CALL goes to the exact registration, else the longest prefix,
// else the best wildcard (advanced profile precedence). INVOCATION request
// IDs are sequential per callee. Features: progressive_call_results,
// call_timeout, call_canceling (skip, kill, killnowait; default
// killnowait), caller_identification, pattern_based_registration,
// shared_registration (single, roundrobin, random, first, last; random is
// seeded by RealmConfig.RandomSeed).
//
// Fallback callee (SetFallback, for the application's own session): in
// mode FallbackUnmatched a CALL that no registration matches, and in mode
// FallbackAll every CALL, goes to the fallback callee as an INVOCATION with
// a dedicated registration ID and details.procedure, instead of failing
// with no_such_procedure; the callee may answer no_such_procedure itself.
// Calls under "wamp." never go to the fallback. An Internal callee always
// receives the caller's identity (caller, caller_authid, caller_authrole),
// and also "timeout" and "disclose_me" when the caller set them.
//
// Subscription notices (Effects.Notify): the broker reports every session
// that joins a subscription (NoticeSubscribed) or leaves one
// (NoticeUnsubscribed: UNSUBSCRIBE, or the session leaving, being killed,
// shut down), so the driver can run the application's topic handlers. With
// RealmConfig.SubscribeApproval, a SUBSCRIBE that would add a non-Internal
// session to a subscription is held (NoticeSubscribeRequest) until the
// driver calls ApproveSubscribe or DenySubscribe; events published
// meanwhile do not reach it. Invalid SUBSCRIBEs are answered at once, and
// subscribing again to a subscription the session already has is answered
// at once.
//
// Meta API (meta.go, meta_session.go, meta_lookup.go, meta_events.go):
// the router answers the session, registration and subscription meta
// procedures (wamp.session.count, list, get, kill*, add_testament,
// flush_testaments; wamp.registration.list, lookup, match, get,
// list_callees, count_callees; wamp.subscription.list, lookup, match, get,
// list_subscribers, count_subscribers) itself, with RESULT or ERROR and no
// INVOCATION; the only cost to other CALLs is a prefix check. Meta events
// (wamp.session.on_join/on_leave, wamp.registration.on_create/on_register/
// on_unregister/on_delete, wamp.subscription.on_create/on_subscribe/
// on_unsubscribe/on_delete) are publications of the router through the
// broker's fan-out, built only when someone subscribes; they follow the
// reply to the request that caused them, and a leaving session's events
// follow its removal from every subscription. The session meta API shows
// established non-Internal sessions only; kill* needs
// RealmConfig.SessionKill (else wamp.error.not_authorized). Testaments
// (testament.go) are published when a session goes, however it goes, but
// not at Shutdown; each session holds at most RealmConfig.MaxTestaments of
// RealmConfig.MaxTestamentBytes together. Features: session_meta_api
// (broker and dealer), registration_meta_api, testament_meta_api (dealer),
// subscription_meta_api (broker).
//
// Event retention (broker_retain.go; RealmConfig.RetainedTopics, off by
// default) and event history (broker_history.go; RealmConfig.History,
// wamp.subscription.get_events) are bounded per topic and per history by
// count and approximate bytes; event_retention and event_history are
// announced only when configured. A publication costs them one check each
// when they are off.
//
// Clustering (cluster.go): another node is a node session in each realm;
// it receives one RemotePublication per publication whatever the number of
// its matching subscriptions, unfiltered (its node filters, in
// PublishRemote); a CALL from it names its original caller in
// forward_for[0] and is routed to local callees only. Claims
// (cluster_claims.go; RealmConfig.ClusterClaims) hold a REGISTER that
// would create a registration until the cluster has claimed the procedure;
// remote session records (cluster_sessions.go) make wamp.session.count,
// list and get cluster-wide.
package router
