// Package auth is the router side of WAMP's standard authentication
// methods: anonymous, ticket, WAMP-CRA (plain and salted), cryptosign
// (Ed25519) and WAMP-SCRAM (argon2id and pbkdf2). New builds, from one
// realm's Config, an Authenticator whose Authenticate method is a
// core.Authenticator:
//
//	a, err := auth.New(auth.Config{
//		Anonymous: &auth.Anonymous{AuthRole: "public"},
//		Ticket:    &auth.Ticket{Users: map[string]auth.TicketUser{"alice": {Ticket: secret, AuthRole: "writer"}}},
//	})
//	realm.SetAuthenticator(a.Authenticate)
//
// Its duties:
//
//  1. Choose the method: the first of HELLO.Details.authmethods, in the
//     client's order, that the realm accepts (no authmethods means
//     anonymous); a method the client did not offer is never tried; none
//     refuses with wamp.error.no_matching_auth_method.
//  2. Find the principal: in the method's static users, then through its
//     Lookup function, which may block (the authenticator runs off the
//     realm's executor) and must honour its context.
//  3. Challenge and check: a fresh random nonce or challenge every time,
//     so an answer to one challenge opens no other session; secrets, MACs
//     and signatures compared in constant time.
//  4. Refuse without telling why: an unknown user gets a challenge of the
//     same shape as a known one, and every bad credential the same ABORT,
//     wamp.error.authentication_denied, "authentication denied" (the
//     specification's URI for a wrong password); a Lookup that fails gives
//     wamp.error.authentication_failed, its error logged by the realm, not
//     sent. Logs name the method, authid and peer address, never a secret.
//  5. Slow down repeated failures from one address (Throttle), without
//     holding other clients: the wait is the failing client's own, bounded,
//     and honours the handshake's context.
//
// The computations the client shares (package client/authenticate) are in
// auth/authcrypto.
package auth
