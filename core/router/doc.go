// Package router is Switchboard's pure router state machine: the session
// handshake, realms, the broker and the dealer. It contains no I/O, no
// goroutines, no locks and no clock: every entry point takes now, and every
// outcome is a value appended to an Effects buffer the caller owns.
//
// Duties of the driver (package core's engine):
//  1. Call every method of one Realm from one serial executor only.
//  2. Feed messages of one session in arrival order.
//  3. After each call, deliver Effects.Out in order, then apply
//     Effects.Close, then re-arm one timer to NextDeadline and call Expire
//     when it fires (a late or early firing is harmless).
//  4. Report a dropped connection with Detach.
package router
