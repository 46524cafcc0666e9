package client

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"time"

	"github.com/switchboard-wamp/switchboard/core/serialize"
	"github.com/switchboard-wamp/switchboard/core/wamp"
	"github.com/switchboard-wamp/switchboard/scheduler"
)

// ErrConfig is wrapped by the error of Dial and Join for an invalid Config.
var ErrConfig = errors.New("client: invalid config")

// ChallengeHandler answers a CHALLENGE during the join (ticket, wampcra,
// cryptosign, ...): it returns the AUTHENTICATE signature and extra. An
// error aborts the join. It runs as a blocking task of the backend
// (scheduler.SpawnBlocking: off the loop on the event loop backend), never on
// the session's executor, so it may block; ctx ends with the session.
type ChallengeHandler func(ctx context.Context, c *wamp.Challenge) (signature string, extra wamp.Dict, err error)

// Config configures a Session. Realm and Backend are required; every other
// field has a useful zero value.
type Config struct {
	// Realm is the realm to join.
	Realm wamp.URI
	// Backend schedules the session's work: its executor, handlers, timers.
	// It must outlive the session: close it after Leave (or Done).
	Backend scheduler.AsyncSupport
	// Serializers are offered to the server by Dial, in preference order.
	// Nil = JSON only.
	Serializers []serialize.Serializer
	// AuthID, AuthMethods and AuthExtra are sent in HELLO.
	AuthID      string
	AuthMethods []string
	AuthExtra   wamp.Dict
	// OnChallenge answers CHALLENGE. Nil: a CHALLENGE aborts the join with
	// wamp.error.authentication_failed.
	OnChallenge ChallengeHandler
	// CheckWelcome, when set, checks WELCOME's details before Hooks.OnJoin
	// runs: mutual authentication, such as WAMP-SCRAM's server signature
	// (client/authenticate's Apply sets it). An error (or a panic) makes
	// the session leave at once, without OnJoin or OnReady: Join fails
	// with an error matching ErrWelcomeRefused and wrapping it.
	CheckWelcome func(details wamp.Dict) error
	// Hooks are the session's lifecycle callbacks (see Hooks).
	Hooks Hooks
	// Extra is handed to the application through Session.Extra; it is
	// never sent (autobahn's ComponentConfig.extra).
	Extra any
	// Header holds extra WebSocket handshake headers (cookies, tokens).
	Header http.Header
	// TLSConfig is used by Dial for wss:// URLs (nil = defaults).
	TLSConfig *tls.Config
	// Logger receives the session's logs (nil = slog.Default()).
	Logger *slog.Logger
	// JoinTimeout bounds the wait for WELCOME after HELLO. 0 = 10s.
	JoinTimeout time.Duration
	// EventQueueMax bounds, per subscription, the events received but not
	// yet handled. When a handler falls that far behind, the session is
	// aborted with reason switchboard.close.slow_consumer and
	// ErrEventOverflow: events are never dropped silently. 0 = 4096.
	EventQueueMax int
	// InboxSize is the capacity of the queue between the connection reader
	// and the session executor; when it is full the reader waits, which
	// pushes back on the router. 0 = 256.
	InboxSize int
}

func (c Config) withDefaults() Config {
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
	if c.JoinTimeout == 0 {
		c.JoinTimeout = 10 * time.Second
	}
	if c.EventQueueMax == 0 {
		c.EventQueueMax = 4096
	}
	if c.InboxSize == 0 {
		c.InboxSize = 256
	}
	return c
}

// Validate reports a missing Realm or Backend or a negative limit.
func (c Config) Validate() error {
	switch {
	case c.Realm == "":
		return fmt.Errorf("%w: Realm is required", ErrConfig)
	case c.Backend == nil:
		return fmt.Errorf("%w: Backend is required (for example goroutine.New(goroutine.Config{}))", ErrConfig)
	case c.JoinTimeout < 0:
		return fmt.Errorf("%w: negative JoinTimeout", ErrConfig)
	case c.EventQueueMax < 0:
		return fmt.Errorf("%w: negative EventQueueMax", ErrConfig)
	case c.InboxSize < 0:
		return fmt.Errorf("%w: negative InboxSize", ErrConfig)
	}
	return nil
}
