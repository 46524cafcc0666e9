package core

import (
	"net/http"

	"github.com/switchboard-wamp/switchboard/transport"
)

// Connection describes the connection a session came in on, for
// authenticators, session hooks and logs: a value the application owns,
// copied from what the transport knew at the handshake.
type Connection struct {
	Transport  string // "websocket" or "rawsocket"
	Serializer string // "json", "msgpack", "cbor"
	PeerAddr   string // remote address, host:port or a unix path
	Path       string // HTTP request path (WebSocket)
	Query      string // HTTP raw query (WebSocket)
	Header     http.Header
	Cookies    []*http.Cookie
	TLS        bool
}

// connectionOf copies a transport's description of a connection.
func connectionOf(ti transport.Info) Connection {
	return Connection{Transport: ti.Transport, Serializer: ti.Serializer, PeerAddr: ti.PeerAddr, Path: ti.Path,
		Query: ti.Query, Header: ti.Header, Cookies: ti.Cookies, TLS: ti.TLS}
}
