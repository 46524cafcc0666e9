package core

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/switchboard-wamp/switchboard/core/engine"
	"github.com/switchboard-wamp/switchboard/core/wamp"
)

// Metrics is what the engine counts for an operator (Config.Metrics):
// handshake timeouts, authentication failures by method (AuthMethods),
// and, when Metrics.CallLatency is set, each realm's call latencies from a
// remote CALL to its final RESULT. Everything else an operator watches is
// read when metrics are scraped, from state the router keeps anyway:
// SessionGroups here, transport.Stats and the transports' Queued, the
// backends' own counters.
type Metrics = engine.Metrics

// AuthMethods are the labels of Metrics.AuthFailures, in its order: the
// WAMP authentication methods and "other".
var AuthMethods = engine.AuthMethods

// SessionGroup counts the admitted remote sessions of one realm that share
// a transport and a serializer.
type SessionGroup struct {
	Realm      wamp.URI
	Transport  string // "websocket", "rawsocket", ...
	Serializer string // "json", "msgpack", "cbor"
	Sessions   int
}

// SessionGroups counts the application's admitted remote sessions by realm
// (the realm they joined, not the name a default-realm session asked for),
// transport and serializer, sorted. It walks every realm's session
// registry under its read lock: meant for a metrics scrape, not a hot
// path. Safe for concurrent use.
func (a *Application) SessionGroups() []SessionGroup {
	a.mu.RLock()
	realms := make([]*Realm, 0, len(a.realms))
	for _, r := range a.realms {
		realms = append(realms, r)
	}
	a.mu.RUnlock()
	type key struct {
		realm   wamp.URI
		tr, ser string
	}
	counts := make(map[key]int)
	for _, r := range realms {
		r.sessions.mu.RLock()
		for _, s := range r.sessions.m {
			counts[key{r.uri, s.Transport.Transport, s.Transport.Serializer}]++
		}
		r.sessions.mu.RUnlock()
	}
	out := make([]SessionGroup, 0, len(counts))
	for k, n := range counts {
		out = append(out, SessionGroup{Realm: k.realm, Transport: k.tr, Serializer: k.ser, Sessions: n})
	}
	slices.SortFunc(out, func(x, y SessionGroup) int {
		return strings.Compare(string(x.Realm)+"\x00"+x.Transport+"\x00"+x.Serializer,
			string(y.Realm)+"\x00"+y.Transport+"\x00"+y.Serializer)
	})
	return out
}

// Ready reports whether the application can take sessions: it is not
// closing or draining, and every realm's executor answers within ctx (a realm whose
// executor is stuck or gone is not ready). The error names the realms
// that did not answer. Safe for concurrent use.
func (a *Application) Ready(ctx context.Context) error {
	a.mu.RLock()
	closed := a.closed || a.draining
	realms := make([]*Realm, 0, len(a.realms))
	for _, r := range a.realms {
		realms = append(realms, r)
	}
	a.mu.RUnlock()
	if closed {
		return ErrClosed
	}
	var errs []error
	for _, r := range realms {
		if _, err := r.SessionCount(ctx); err != nil {
			errs = append(errs, fmt.Errorf("realm %q: %w", r.uri, err))
		}
	}
	return errors.Join(errs...)
}

// Handshakes returns the sessions in their handshake now (HELLO received,
// no WELCOME or end yet), every realm together: what Config.MaxHandshakes
// bounds. Safe for concurrent use.
func (a *Application) Handshakes() int { return a.srv.InHandshake() }
