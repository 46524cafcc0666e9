package core

import (
	"net/http"
)

// Connection describes the connection a session came in on, for
// authenticators, session hooks and logs: a value the application owns,
// copied from what the transport knew at the handshake. Its fields are
// transport.Info's, so a transport.Info converts to it: Connection(info).
type Connection struct {
	Transport  string // "websocket" or "rawsocket"
	Serializer string // "json", "msgpack", "cbor"
	PeerAddr   string // remote address, host:port or a unix path
	Path       string // HTTP request path (WebSocket)
	Query      string // HTTP raw query (WebSocket)
	Header     http.Header
	Cookies    []*http.Cookie
	TLS        bool
	// TLSUnique is the tls-unique channel-binding value (RFC 5929) of a
	// TLS 1.2 connection; nil when not TLS, and on TLS 1.3, which has none.
	TLSUnique []byte
}
