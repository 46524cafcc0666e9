package transport

import (
	"errors"
	"fmt"

	"github.com/switchboard-wamp/switchboard/core/serialize"
)

// ErrServerClosed is the close cause of peers closed by WebSocketServer.Close
// or RawSocketServer.Close, and what RawSocketServer.Serve and Mux.Serve
// return after Close.
var ErrServerClosed = errors.New("transport: server closed")

// ErrKeepaliveTimeout is wrapped by the close cause of a peer that sent
// nothing (no message, no ping, no pong) for PingInterval+PongTimeout.
var ErrKeepaliveTimeout = errors.New("transport: keepalive timeout: peer silent")

// ErrWriteTimeout is wrapped by the close cause of a peer whose socket write
// stalled for longer than WriteTimeout.
var ErrWriteTimeout = errors.New("transport: write timeout")

// ErrMessageTooLarge is wrapped by the close cause of a peer to which a
// message larger than MaxMessageBytes was sent; the message is not written.
var ErrMessageTooLarge = errors.New("transport: outbound message too large")

// ErrEncode is wrapped by the error Refuser.Refused gets for a message the
// peer's serializer could not encode; it is serialize.ErrEncode.
var ErrEncode = serialize.ErrEncode

// ErrHandlerPanic is wrapped by the close cause of a peer whose Acceptor or
// Handler panicked; the panic is recovered and logged.
var ErrHandlerPanic = errors.New("transport: handler panic")

// ErrNoSubprotocol is returned by DialWebSocket when the server selected no
// subprotocol the client offered.
var ErrNoSubprotocol = errors.New("transport: websocket subprotocol negotiation failed")

// ErrUnsupportedScheme is returned by DialWebSocket for a URL scheme other
// than ws, wss and ws+unix (and by client.Dial for an unknown scheme).
var ErrUnsupportedScheme = errors.New("transport: unsupported URL scheme")

// CloseError is the close cause of a WebSocket connection that ended with a
// close frame: received from the other end (Remote true), or sent by the
// WebSocket layer itself after a protocol violation by the other end (Remote
// false), e.g. 1009 for an oversize frame or 1007 for invalid UTF-8.
type CloseError struct {
	Code   int    // WebSocket close code, e.g. 1000, 1001, 1008, 1009
	Reason string // close reason text, may be empty
	Remote bool   // true: the other end sent the close frame
}

// Error describes the close.
func (e *CloseError) Error() string {
	who := "locally"
	if e.Remote {
		who = "by peer"
	}
	if e.Reason == "" {
		return fmt.Sprintf("transport: websocket closed %s: %d", who, e.Code)
	}
	return fmt.Sprintf("transport: websocket closed %s: %d %s", who, e.Code, e.Reason)
}
