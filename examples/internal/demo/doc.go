// Package demo holds the plumbing the example programs share, so that each
// example reads as the idea it shows: a bounded context and a goroutine
// backend (Start), the Application served over WebSocket on a free
// loopback port (Serve), and an anonymous client session in realm1 (Dial).
//
// examples/hello does all of this by hand, as the template for wiring a
// program without this package.
package demo
