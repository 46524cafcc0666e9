package transport

import (
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"time"

	"github.com/switchboard-wamp/switchboard/core/serialize"
)

// Defaults applied to zero fields of WebSocketConfig and WebSocketClientConfig.
const (
	DefaultMaxMessageBytes  = 16 << 20
	DefaultOutboundQueueMax = 1024
	DefaultPingInterval     = 30 * time.Second
	DefaultWriteTimeout     = 10 * time.Second
	DefaultHandshakeTimeout = 10 * time.Second
	// DefaultEventStallTimeout is how long a subscriber whose socket takes
	// no bytes may hold its publisher (see FlowControl.ThrottleEvent).
	DefaultEventStallTimeout = 100 * time.Millisecond
	// DefaultReadBufferBytes is half of gws's default: typical WAMP messages
	// are a few hundred bytes, larger payloads are read straight into the
	// message buffer anyway, and the buffer lives as long as the connection.
	DefaultReadBufferBytes = 2048
)

// ErrConfig is wrapped by every configuration validation error.
var ErrConfig = errors.New("transport: invalid config")

// WebSocketConfig configures a WebSocketServer. The zero value of every
// field but Serializers is useful. The config is copied by
// NewWebSocketServer; Stats is shared by pointer.
type WebSocketConfig struct {
	// Serializers in preference order; required. The server picks the first
	// one whose SubProtocol the client offered, whatever the client's own
	// order: put the one you prefer first (e.g. cbor, msgpack, json).
	Serializers []serialize.Serializer
	// MaxMessageBytes bounds a message both ways (0 = 16 MiB). A larger
	// inbound frame or message closes the connection with 1009; a larger
	// outbound message is not sent and closes the connection with 1011,
	// cause wrapping ErrMessageTooLarge.
	MaxMessageBytes int
	// OutboundQueueMax is the number of messages a peer may have queued or
	// being written (0 = 1024). Send on a full queue closes the peer as a
	// slow consumer.
	OutboundQueueMax int
	// OutboundQueueBytes is a peer's outbound byte budget: the estimated
	// size (wamp.SizeHint) of the messages it may have queued or being
	// written (0 = twice MaxMessageBytes, at least 1 MiB). A Send beyond it closes the peer
	// as a slow consumer; a peer with nothing queued always gets one
	// message.
	OutboundQueueBytes int
	// StallTimeout is how long a congested peer that holds its senders
	// (see FlowControl) may write nothing before it is closed as a slow
	// consumer: its socket takes no bytes, so holding the senders any
	// longer only stalls them (0 = WriteTimeout/4).
	StallTimeout time.Duration
	// EventStallTimeout is how long a congested subscriber may hold a
	// publisher while its socket takes no bytes (0 =
	// DefaultEventStallTimeout, at most StallTimeout): then the publisher
	// reads again, and the subscriber holds none until it takes bytes
	// (FlowControl.ThrottleEvent). It is also how long a peer closed as a
	// slow consumer may take no bytes before its socket is closed under
	// the write its writer is stuck in.
	EventStallTimeout time.Duration
	// OutboundBudget bounds the bytes queued for all of this server's peers
	// together; share one between servers to bound a process (nil = one of
	// DefaultOutboundBudgetBytes for this server). See OutboundBudget.
	OutboundBudget *OutboundBudget
	// InboundBudget bounds the bytes of inbound messages being read by
	// all of this server's peers together; share one between servers to
	// bound a process (nil = one of DefaultInboundBudgetBytes for this
	// server). See InboundBudget.
	InboundBudget *InboundBudget
	// PingInterval is the period of keepalive pings (0 = 30s; negative
	// disables pings and the silence timeout).
	PingInterval time.Duration
	// PongTimeout is how long past PingInterval a silent peer is kept
	// (0 = PingInterval). See the package doc for the exact bound.
	PongTimeout time.Duration
	// WriteTimeout bounds how long the socket may take no bytes while
	// something is being written (a slow reader of a large batch is kept
	// while bytes move), and the whole flush of Peer.Close (0 = 10s). A
	// write stalled that long closes the peer (ErrWriteTimeout).
	WriteTimeout time.Duration
	// ReadBufferBytes is the size of the per-connection read buffer
	// (0 = 2048). It is held for the connection's lifetime, so it dominates
	// an idle connection's memory together with the reader's stack.
	ReadBufferBytes int
	// CheckOrigin decides whether to accept a handshake (false: HTTP 403).
	// Nil: AllowedOrigins decides.
	CheckOrigin func(r *http.Request) bool
	// AllowedOrigins is used when CheckOrigin is nil: glob patterns for the
	// Origin header, matched case-insensitively, where "*" matches any run
	// of characters without a "/" ("https://*.example.com" matches
	// "https://a.example.com", not "https://example.com"; list both, and
	// ports explicitly). A request without an Origin header (not from a
	// browser) is accepted. Empty (and CheckOrigin nil) accepts every
	// origin: set it when browsers with cookies or other ambient
	// credentials connect, against cross-site WebSocket hijacking.
	AllowedOrigins []string
	// Compression offers permessage-deflate (RFC 7692) when the client asks
	// for it; off by default. The server uses no context takeover, so a
	// connection keeps no compression window between messages, and small
	// messages are sent uncompressed. It costs CPU per message; worth it
	// for large, repetitive payloads over slow links.
	Compression bool
	// MaxConnections bounds the connections being upgraded or established
	// (0 = unlimited). An upgrade beyond it is answered HTTP 503 Service
	// Unavailable (Stats.Rejected and Stats.LimitRefusals, a Debug log line).
	MaxConnections int
	// MaxConnectionsPerAddress bounds those connections per source IP, the
	// host part of the request's RemoteAddr (0 = unlimited). An upgrade
	// beyond it is answered HTTP 429 Too Many Requests: the client, not
	// the server, is over its share. Connections over a unix socket have
	// no source IP and are not limited per address (MaxConnections still
	// counts them). Behind a reverse proxy every client shares the proxy's
	// address.
	MaxConnectionsPerAddress int
	// Logger receives transport logs (nil = slog.Default()).
	Logger *slog.Logger
	// Stats receives counters (nil = private counters nobody reads).
	Stats *Stats
}

// WebSocketClientConfig configures DialWebSocket. The zero value of every
// field but Serializers is useful.
type WebSocketClientConfig struct {
	// Serializers to offer, in preference order; required. The server's
	// choice selects the serializer.
	Serializers []serialize.Serializer
	// MaxMessageBytes, OutboundQueueMax, PingInterval, PongTimeout,
	// WriteTimeout and ReadBufferBytes mean what they mean in WebSocketConfig.
	MaxMessageBytes  int
	OutboundQueueMax int
	PingInterval     time.Duration
	PongTimeout      time.Duration
	WriteTimeout     time.Duration
	ReadBufferBytes  int
	// OutboundQueueBytes means what it means in WebSocketConfig.
	OutboundQueueBytes int
	// Header holds extra handshake request headers (cookies, auth). Its
	// Sec-WebSocket-Protocol is replaced by the serializers' subprotocols.
	Header http.Header
	// Compression asks for permessage-deflate (RFC 7692); the server's
	// answer decides whether it is used. Off by default.
	Compression bool
	// TLSConfig is used for wss:// (nil = defaults; ServerName defaults to
	// the URL host).
	TLSConfig *tls.Config
	// HandshakeTimeout bounds dial + TLS + upgrade (0 = 10s), in addition to
	// the ctx given to DialWebSocket.
	HandshakeTimeout time.Duration
	// DialContext, when set, opens the connection to the URL's network and
	// address instead of a net.Dialer: another endpoint, a proxy tunnel.
	// TLS (wss://) runs over what it returns.
	DialContext NetDialFunc
	// Logger receives transport logs (nil = slog.Default()).
	Logger *slog.Logger
	// Stats receives counters (nil = private counters nobody reads).
	Stats *Stats
}

// peerConfig is the resolved per-peer configuration shared by all peers of a
// server (or by one client peer). Read-only after construction.
type peerConfig struct {
	maxMessageBytes int
	queueMax        int
	queueBytes      int             // a peer's outbound byte budget
	budget          *OutboundBudget // shared by the peers of a server (or more)
	inbound         *InboundBudget  // the same for inbound messages being read
	pingInterval    time.Duration   // <= 0: keepalive disabled
	pongTimeout     time.Duration
	writeTimeout    time.Duration
	stall           time.Duration // StallTimeout (flow.go): WriteTimeout/4 unless set
	eventStall      time.Duration // EventStallTimeout (flow.go)
	logger          *slog.Logger
	stats           *Stats
}

// Validate reports a configuration error, wrapping ErrConfig.
func (c WebSocketConfig) Validate() error {
	if err := validateCommon(c.Serializers, c.MaxMessageBytes, c.OutboundQueueMax, c.OutboundQueueBytes, c.PongTimeout, c.WriteTimeout); err != nil {
		return err
	}
	if c.ReadBufferBytes < 0 {
		return fmt.Errorf("%w: negative ReadBufferBytes", ErrConfig)
	}
	if err := validateConnLimits(c.MaxConnections, c.MaxConnectionsPerAddress); err != nil {
		return err
	}
	return validateOrigins(c.AllowedOrigins)
}

// Validate reports a configuration error, wrapping ErrConfig.
func (c WebSocketClientConfig) Validate() error {
	if err := validateCommon(c.Serializers, c.MaxMessageBytes, c.OutboundQueueMax, c.OutboundQueueBytes, c.PongTimeout, c.WriteTimeout); err != nil {
		return err
	}
	if c.HandshakeTimeout < 0 {
		return fmt.Errorf("%w: negative HandshakeTimeout", ErrConfig)
	}
	if c.ReadBufferBytes < 0 {
		return fmt.Errorf("%w: negative ReadBufferBytes", ErrConfig)
	}
	return nil
}

func validateCommon(sers []serialize.Serializer, maxBytes, queueMax, queueBytes int, pongTimeout, writeTimeout time.Duration) error {
	if len(sers) == 0 {
		return fmt.Errorf("%w: no Serializers", ErrConfig)
	}
	seen := make(map[string]bool, len(sers))
	for i, s := range sers {
		if s == nil {
			return fmt.Errorf("%w: Serializers[%d] is nil", ErrConfig, i)
		}
		p := s.SubProtocol()
		if p == "" || seen[p] {
			return fmt.Errorf("%w: Serializers[%d]: empty or duplicate subprotocol %q", ErrConfig, i, p)
		}
		seen[p] = true
	}
	return validateLimits(maxBytes, queueMax, queueBytes, pongTimeout, writeTimeout)
}

// validateConnLimits checks MaxConnections and MaxConnectionsPerAddress.
func validateConnLimits(maxConns, perAddr int) error {
	switch {
	case maxConns < 0:
		return fmt.Errorf("%w: negative MaxConnections", ErrConfig)
	case perAddr < 0:
		return fmt.Errorf("%w: negative MaxConnectionsPerAddress", ErrConfig)
	}
	return nil
}

// validateLimits checks the limits every transport config has.
func validateLimits(maxBytes, queueMax, queueBytes int, pongTimeout, writeTimeout time.Duration) error {
	switch {
	case maxBytes < 0:
		return fmt.Errorf("%w: negative MaxMessageBytes", ErrConfig)
	case queueMax < 0:
		return fmt.Errorf("%w: negative OutboundQueueMax", ErrConfig)
	case queueBytes < 0:
		return fmt.Errorf("%w: negative OutboundQueueBytes", ErrConfig)
	case pongTimeout < 0:
		return fmt.Errorf("%w: negative PongTimeout", ErrConfig)
	case writeTimeout < 0:
		return fmt.Errorf("%w: negative WriteTimeout", ErrConfig)
	}
	return nil
}

func (c WebSocketConfig) withDefaults() WebSocketConfig {
	if c.ReadBufferBytes == 0 {
		c.ReadBufferBytes = DefaultReadBufferBytes
	}
	if c.CheckOrigin == nil && len(c.AllowedOrigins) > 0 {
		c.CheckOrigin = originChecker(c.AllowedOrigins)
	}
	if c.CheckOrigin == nil {
		c.CheckOrigin = func(*http.Request) bool { return true }
	}
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
	if c.Stats == nil {
		c.Stats = new(Stats)
	}
	return c
}

func (c WebSocketClientConfig) withDefaults() WebSocketClientConfig {
	if c.ReadBufferBytes == 0 {
		c.ReadBufferBytes = DefaultReadBufferBytes
	}
	if c.HandshakeTimeout == 0 {
		c.HandshakeTimeout = DefaultHandshakeTimeout
	}
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
	if c.Stats == nil {
		c.Stats = new(Stats)
	}
	return c
}

// newPeerConfig resolves the shared per-peer settings; logger and stats must
// already be defaulted.
func newPeerConfig(maxBytes, queueMax int, ping, pong, write time.Duration, l *slog.Logger, st *Stats) *peerConfig {
	pc := &peerConfig{
		maxMessageBytes: maxBytes,
		queueMax:        queueMax,
		pingInterval:    ping,
		pongTimeout:     pong,
		writeTimeout:    write,
		logger:          l,
		stats:           st,
	}
	if pc.maxMessageBytes == 0 {
		pc.maxMessageBytes = DefaultMaxMessageBytes
	}
	if pc.queueMax == 0 {
		pc.queueMax = DefaultOutboundQueueMax
	}
	pc.queueBytes = max(2*pc.maxMessageBytes, minOutboundQueueBytes)
	pc.budget = NewOutboundBudget(0)
	pc.inbound = NewInboundBudget(0)
	if pc.pingInterval == 0 {
		pc.pingInterval = DefaultPingInterval
	}
	if pc.pongTimeout == 0 {
		pc.pongTimeout = pc.pingInterval
	}
	if pc.writeTimeout == 0 {
		pc.writeTimeout = DefaultWriteTimeout
	}
	pc.stall = pc.writeTimeout / 4
	pc.eventStall = DefaultEventStallTimeout
	return pc
}

// withInbound sets the inbound budget (nil: a new one, set by
// newPeerConfig).
func (pc *peerConfig) withInbound(b *InboundBudget) *peerConfig {
	if b != nil {
		pc.inbound = b
	}
	return pc
}

// withEventStall sets EventStallTimeout (0: the default), at most the
// stall timeout.
func (pc *peerConfig) withEventStall(d time.Duration) *peerConfig {
	if d > 0 {
		pc.eventStall = d
	}
	pc.eventStall = min(pc.eventStall, pc.stall)
	return pc
}

// withBudgets sets the stall timeout (0 = WriteTimeout/4) and the byte budgets: a peer's (queueBytes; 0 = twice the
// message limit, set by newPeerConfig) and the one its server's peers
// share (nil = a new OutboundBudget of DefaultOutboundBudgetBytes, set by
// newPeerConfig).
func (pc *peerConfig) withBudgets(queueBytes int, b *OutboundBudget, stall time.Duration) *peerConfig {
	if stall > 0 {
		pc.stall = stall
	}
	if queueBytes != 0 {
		pc.queueBytes = queueBytes
	}
	if b != nil {
		pc.budget = b
	}
	return pc
}

func (pc *peerConfig) keepalive() bool { return pc.pingInterval > 0 }
