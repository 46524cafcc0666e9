package transport

import (
	"errors"
	"net/http"

	"github.com/switchboard-wamp/switchboard/core/wamp"
)

// ErrSlowConsumer is the close cause of a peer whose outbound queue overflowed.
var ErrSlowConsumer = errors.New("transport: slow consumer: outbound queue over its message or byte limit")

// ErrClosed is returned by operations on a closed peer.
var ErrClosed = errors.New("transport: peer closed")

// Info describes a connection, for authentication hooks and logs.
type Info struct {
	Transport  string // "websocket" or "rawsocket"
	Serializer string // "json", "msgpack", "cbor"
	PeerAddr   string // remote address, host:port or a unix path
	Path       string // HTTP request path (websocket)
	Query      string // HTTP raw query (websocket)
	Header     http.Header
	Cookies    []*http.Cookie
	TLS        bool
	// TLSUnique is the connection's tls-unique channel-binding value
	// (RFC 5929: the first TLS Finished message), for authentication
	// methods that bind to the channel. Nil when not TLS, and on TLS 1.3,
	// which has no such value.
	TLSUnique []byte
}

// Peer is one established connection that carries WAMP messages.
// All methods are safe for concurrent use.
type Peer interface {
	// Send enqueues m for writing without blocking. It returns false when the
	// peer is closed, or when its outbound queue is full: the transport then
	// closes the connection itself with ErrSlowConsumer as the cause, counts
	// it and logs it once. m must not be modified after Send.
	Send(m wamp.Message) bool
	// Close flushes what is queued (bounded by a short grace period), then
	// closes the connection. Idempotent.
	Close()
	// Info describes the connection.
	Info() Info
}

// Handler receives one peer's inbound traffic. Its methods are called on the
// peer's reader goroutine, one at a time, in arrival order; Closed is called
// exactly once, last.
type Handler interface {
	// Message delivers one decoded, validated message.
	Message(m wamp.Message)
	// Malformed reports a frame that could not be decoded into a valid
	// message (err wraps serialize.ErrDecode). The connection stays open: the
	// handler decides (a router answers ABORT protocol_violation and Closes).
	Malformed(err error)
	// Closed reports that the connection is gone; cause is nil for an orderly
	// local Close, ErrSlowConsumer for overflow, or the I/O / close error.
	Closed(cause error)
}

// Acceptor is called for each new connection, on its reader goroutine,
// before any message is delivered. It returns the connection's Handler.
type Acceptor interface {
	Accept(p Peer) Handler
}

// AcceptorFunc adapts a function to Acceptor.
type AcceptorFunc func(p Peer) Handler

// Accept calls f(p).
func (f AcceptorFunc) Accept(p Peer) Handler { return f(p) }
