// Package transport moves WAMP messages over connections: WebSocket (on
// github.com/lxzan/gws) now, RawSocket later. A transport frames bytes,
// decodes inbound frames with the negotiated serializer on the connection's
// reader goroutine, and encodes outbound messages on the connection's writer,
// which drains a bounded queue. It knows nothing of sessions or realms: it
// hands each connection to an Acceptor and delivers messages to the Handler
// the Acceptor returns.
//
// # WebSocket
//
// The server side is [WebSocketServer], an http.Handler that upgrades at
// whatever path it is mounted on:
//
//	srv, err := transport.NewWebSocketServer(transport.WebSocketConfig{
//		Serializers: []serialize.Serializer{cbor, msgpack, json}, // preference order
//	}, acceptor)
//	mux.Handle("/ws", srv)
//	...
//	srv.Close() // close 1001 to every peer, wait for their goroutines
//
// The client side is [DialWebSocket], for ws://, wss:// and ws+unix:// URLs.
//
// Subprotocols are negotiated from the serializers' SubProtocol names
// ("wamp.2.json", ...). The server's preference order wins among what the
// client offered; a client offering none of the server's subprotocols (or
// none at all) gets HTTP 400 with a message naming the supported ones.
//
// # Per-connection model
//
// Each connection has one reader goroutine (gws ReadLoop). It calls
// Acceptor.Accept first, then Handler.Message / Handler.Malformed in arrival
// order, and Handler.Closed exactly once, last. Decoding happens on that
// goroutine; text and binary frames are both accepted whatever the
// serializer (the serializer decides whether the bytes make sense).
//
// Outbound, Peer.Send appends to a bounded queue (OutboundQueueMax messages,
// counting those being written) and never blocks. A writer goroutine exists
// only while there is something to write: it starts when the queue goes from
// empty to non-empty, encodes each message with the peer's serializer into a
// pooled buffer, writes one frame per message (text for a text serializer,
// binary otherwise), and exits after the queue has stayed empty for about a
// millisecond. An idle connection therefore holds no writer goroutine:
// measured ~9.5 KiB per idle server-side connection, mostly the 2 KiB read
// buffer and the reader goroutine's stack. Pings and pong replies go through
// the same writer, so all of this package's socket writes happen on one
// goroutine under a write deadline (WriteTimeout).
//
// Overflow policy: when Send finds the queue full, the peer is a slow
// consumer. Send returns false, the queued messages are discarded, the
// connection is closed with close code 1008 "slow consumer" (the close frame
// is written after the in-flight write, which is bounded by WriteTimeout),
// Stats.SlowConsumers is incremented, one Warn line is logged, and
// Handler.Closed receives ErrSlowConsumer. Nothing is ever dropped silently.
//
// Keepalive: every PingInterval the peer is sent a ping. Any inbound frame
// (message, ping or pong) counts as activity, and at each ping tick that saw
// activity the read deadline is pushed to now+PingInterval+PongTimeout. A
// peer that sends nothing for PingInterval+PongTimeout is therefore closed
// after between PingInterval+PongTimeout and 2*PingInterval+PongTimeout of
// silence, with a cause that wraps ErrKeepaliveTimeout. (Refreshing the
// deadline per frame would be exact but costs ~180 ns per frame.)
//
// Close causes reported to Handler.Closed: nil after a local Peer.Close,
// ErrSlowConsumer, ErrServerClosed, an error wrapping ErrKeepaliveTimeout,
// ErrWriteTimeout, ErrMessageTooLarge or ErrEncode, a *CloseError when a
// close frame was received (Remote true) or sent by gws after a protocol
// violation (Remote false, e.g. 1009 for an oversize frame), or the I/O error.
//
// Not done yet: several queued messages are written with one syscall each
// (gws builds one frame per write call; coalescing frames into one write
// needs our own framing under gws's write lock); permessage-deflate is not
// offered; RawSocket.
package transport
