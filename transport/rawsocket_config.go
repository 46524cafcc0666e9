package transport

import (
	"crypto/tls"
	"fmt"
	"log/slog"
	"time"

	"github.com/switchboard-wamp/switchboard/core/serialize"
)

// RawSocketConfig configures a RawSocketServer. The zero value of every
// field but Serializers is useful. The config is copied by
// NewRawSocketServer; Stats is shared by pointer.
type RawSocketConfig struct {
	// Serializers the server speaks; required. A RawSocket client asks for
	// exactly one by its RawSocketID, so the order does not matter here.
	Serializers []serialize.Serializer
	// MaxMessageBytes bounds a message both ways (0 = 16 MiB). The
	// handshake can only announce a power of two between 512 B and 16 MiB,
	// so the limit used is the largest power of two not above
	// MaxMessageBytes, within that range (and at most 2^24-1, what a frame
	// can carry). A larger inbound frame fails the connection; a larger
	// outbound message, or one larger than the client's announced
	// maximum, is not sent and closes the connection with a cause wrapping
	// ErrMessageTooLarge (never truncated).
	MaxMessageBytes int
	// OutboundQueueMax is the number of messages a peer may have queued or
	// being written (0 = 1024). Send on a full queue closes the peer as a
	// slow consumer.
	OutboundQueueMax int
	// OutboundQueueBytes and OutboundBudget mean what they mean in
	// WebSocketConfig (0 and nil: twice MaxMessageBytes as announced, and a
	// budget of DefaultOutboundBudgetBytes for this server).
	OutboundQueueBytes int
	OutboundBudget     *OutboundBudget
	// InboundBudget means what it means in WebSocketConfig.
	InboundBudget *InboundBudget
	// StallTimeout and EventStallTimeout mean what they mean in
	// WebSocketConfig.
	StallTimeout      time.Duration
	EventStallTimeout time.Duration
	// PingInterval is the period of keepalive PING frames (0 = 30s;
	// negative disables pings and the silence timeout).
	PingInterval time.Duration
	// PongTimeout is how long past PingInterval a silent peer is kept
	// (0 = PingInterval).
	PongTimeout time.Duration
	// WriteTimeout bounds how long the socket may take no bytes while
	// something is being written (a slow reader of a large batch is kept
	// while bytes move), and the whole flush of Peer.Close (0 = 10s). A
	// write stalled that long closes the peer (ErrWriteTimeout).
	WriteTimeout time.Duration
	// HandshakeTimeout bounds the 4-octet handshake, including a TLS
	// handshake when serving a tls.Listener (0 = 10s).
	HandshakeTimeout time.Duration
	// ReadBufferBytes is the size of the read buffer (0 = 2048). Frames
	// that fit are decoded in place. A connection holds it, from a pool,
	// only while bytes are buffered: an idle one holds none (a TLS one, 256
	// bytes).
	ReadBufferBytes int
	// MaxConnections bounds the connections in the handshake or
	// established (0 = unlimited). A connection beyond it is answered with
	// handshake error 4 (maximum connection count reached) once its
	// client's 4 octets arrive (Stats.Rejected and Stats.LimitRefusals, a
	// Debug log line).
	MaxConnections int
	// MaxConnectionsPerAddress bounds those connections per source IP, the
	// host part of the connection's remote address (0 = unlimited); beyond
	// it, error 4 as well (RawSocket has no other code for it). Unix
	// socket connections have no source IP and are not limited per
	// address (MaxConnections still counts them).
	MaxConnectionsPerAddress int
	// Logger receives transport logs (nil = slog.Default()).
	Logger *slog.Logger
	// Stats receives counters (nil = private counters nobody reads).
	Stats *Stats
}

// RawSocketClientConfig configures DialRawSocket. The zero value of every
// field but Serializer is useful.
type RawSocketClientConfig struct {
	// Serializer is the one serializer to ask for; required. RawSocket
	// negotiates no list: the router accepts it or answers error 1.
	Serializer serialize.Serializer
	// MaxMessageBytes, OutboundQueueMax, PingInterval, PongTimeout,
	// WriteTimeout, HandshakeTimeout and ReadBufferBytes mean what they
	// mean in RawSocketConfig. Outbound messages are also bounded by the
	// router's announced maximum.
	MaxMessageBytes  int
	OutboundQueueMax int
	PingInterval     time.Duration
	PongTimeout      time.Duration
	WriteTimeout     time.Duration
	HandshakeTimeout time.Duration
	ReadBufferBytes  int
	// OutboundQueueBytes means what it means in RawSocketConfig.
	OutboundQueueBytes int
	// TLSConfig, when not nil, runs TLS over the connection (rss://).
	// ServerName defaults to the host of a "tcp" address.
	TLSConfig *tls.Config
	// DialContext, when set, opens the connection instead of a
	// net.Dialer; TLS runs over what it returns.
	DialContext NetDialFunc
	// Logger receives transport logs (nil = slog.Default()).
	Logger *slog.Logger
	// Stats receives counters (nil = private counters nobody reads).
	Stats *Stats
}

// Validate reports a configuration error, wrapping ErrConfig.
func (c RawSocketConfig) Validate() error {
	if len(c.Serializers) == 0 {
		return fmt.Errorf("%w: no Serializers", ErrConfig)
	}
	seen := make(map[byte]bool, len(c.Serializers))
	for i, s := range c.Serializers {
		if err := validateRawSocketSerializer(s); err != nil {
			return fmt.Errorf("%w: Serializers[%d]: %w", ErrConfig, i, err)
		}
		if seen[s.RawSocketID()] {
			return fmt.Errorf("%w: Serializers[%d]: duplicate RawSocketID %d", ErrConfig, i, s.RawSocketID())
		}
		seen[s.RawSocketID()] = true
	}
	switch {
	case c.HandshakeTimeout < 0:
		return fmt.Errorf("%w: negative HandshakeTimeout", ErrConfig)
	case c.ReadBufferBytes < 0:
		return fmt.Errorf("%w: negative ReadBufferBytes", ErrConfig)
	}
	if err := validateConnLimits(c.MaxConnections, c.MaxConnectionsPerAddress); err != nil {
		return err
	}
	return validateLimits(c.MaxMessageBytes, c.OutboundQueueMax, c.OutboundQueueBytes, c.PongTimeout, c.WriteTimeout)
}

// Validate reports a configuration error, wrapping ErrConfig.
func (c RawSocketClientConfig) Validate() error {
	if err := validateRawSocketSerializer(c.Serializer); err != nil {
		return fmt.Errorf("%w: Serializer: %w", ErrConfig, err)
	}
	switch {
	case c.HandshakeTimeout < 0:
		return fmt.Errorf("%w: negative HandshakeTimeout", ErrConfig)
	case c.ReadBufferBytes < 0:
		return fmt.Errorf("%w: negative ReadBufferBytes", ErrConfig)
	}
	return validateLimits(c.MaxMessageBytes, c.OutboundQueueMax, c.OutboundQueueBytes, c.PongTimeout, c.WriteTimeout)
}

func validateRawSocketSerializer(s serialize.Serializer) error {
	if s == nil {
		return fmt.Errorf("nil serializer")
	}
	if id := s.RawSocketID(); id == 0 || id > 15 {
		return fmt.Errorf("serializer %q has RawSocketID %d, want 1..15", s.Name(), id)
	}
	return nil
}

func (c RawSocketConfig) withDefaults() RawSocketConfig {
	if c.MaxMessageBytes == 0 {
		c.MaxMessageBytes = DefaultMaxMessageBytes
	}
	if c.HandshakeTimeout == 0 {
		c.HandshakeTimeout = DefaultHandshakeTimeout
	}
	if c.ReadBufferBytes == 0 {
		c.ReadBufferBytes = DefaultReadBufferBytes
	}
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
	if c.Stats == nil {
		c.Stats = new(Stats)
	}
	return c
}

func (c RawSocketClientConfig) withDefaults() RawSocketClientConfig {
	if c.MaxMessageBytes == 0 {
		c.MaxMessageBytes = DefaultMaxMessageBytes
	}
	if c.HandshakeTimeout == 0 {
		c.HandshakeTimeout = DefaultHandshakeTimeout
	}
	if c.ReadBufferBytes == 0 {
		c.ReadBufferBytes = DefaultReadBufferBytes
	}
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
	if c.Stats == nil {
		c.Stats = new(Stats)
	}
	return c
}
