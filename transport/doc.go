// Package transport moves WAMP messages over connections: WebSocket (on
// github.com/lxzan/gws) and RawSocket, over TCP, TLS or unix sockets. A
// transport frames bytes, decodes inbound frames with the negotiated
// serializer on the connection's reader goroutine, and encodes outbound
// messages on the connection's writer, which drains a bounded queue. It
// knows nothing of sessions or realms: it hands each connection to an
// Acceptor and delivers messages to the Handler the Acceptor returns.
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
// An upgraded connection's reader runs on the goroutine net/http serves
// the request on: ServeHTTP returns only when the connection has ended,
// so a middleware around it sees the whole connection as one request.
//
// The client side is [DialWebSocket], for ws://, wss:// and ws+unix:// URLs.
//
// Subprotocols are negotiated from the serializers' SubProtocol names
// ("wamp.2.json", ...). The server's preference order (the order of
// WebSocketConfig.Serializers) wins among what the client offered; a
// client offering none of the server's subprotocols (or none at all) gets
// HTTP 400 with a message naming the supported ones.
//
// Origin checks: WebSocketConfig.CheckOrigin, or when it is nil the glob
// patterns of AllowedOrigins ("https://*.example.com"); a refused origin
// gets HTTP 403. With neither, every origin is accepted: set one when
// browsers with cookies connect. permessage-deflate is available with
// Compression on both sides (off by default).
//
// # RawSocket
//
// [RawSocketServer] serves the RawSocket transport of the WAMP advanced
// profile on any net.Listener: TCP, unix, or a tls.Listener:
//
//	rs, err := transport.NewRawSocketServer(transport.RawSocketConfig{
//		Serializers: serialize.All(),
//	}, acceptor)
//	go rs.Serve(ln)
//	...
//	rs.Close()
//
// [DialRawSocket] is the client ("tcp" or "unix", TLS with a TLSConfig).
// The client opens with 4 octets: 0x7F, its maximum message length
// (2^(9+LENGTH)) and the one serializer it speaks in one octet, and two
// zero octets. The server answers with its own maximum and the same
// serializer, or an error code: 1 serializer unsupported, 3 reserved bits
// used (non-zero octets 3-4), 4 connection limit (MaxConnections or
// MaxConnectionsPerAddress) reached; DialRawSocket returns those as a
// *RawSocketHandshakeError. A first octet other than 0x7F fails the
// connection without a reply. Each end enforces the maximum it announced
// on what it receives, and the other end's on what it sends: a larger
// outbound message closes the connection (cause wrapping
// ErrMessageTooLarge), it is never truncated.
// MaxMessageBytes is rounded down to the power of two the handshake can
// express (512 B to 16 MiB; a frame carries at most 2^24-1 bytes).
//
// Frames are a 4-octet header (reserved bits, a 3-bit type: message, PING
// or PONG; a 24-bit length) and the payload. A PING is answered with a
// PONG echoing its payload; keepalive uses PING frames. A frame longer
// than the announced maximum, a reserved frame type or reserved bits fail
// the connection with a cause wrapping ErrRawSocketProtocol
// (Stats.ProtocolErrors). RawSocket has no close frame: an orderly close
// (Peer.Close, server Close) flushes the queue, then half-closes (TCP FIN,
// TLS close_notify) and waits up to 2s (at most WriteTimeout) for the
// other end to close; an abort (slow consumer, encode error) closes the
// socket at once. The other end closing is reported as a cause wrapping
// io.EOF (io.ErrUnexpectedEOF inside a frame).
//
// # One port for both, and TLS
//
// [Mux] serves WebSocket (any HTTP handler) and RawSocket on one listener:
// it reads each connection's first octet, 0x7F being RawSocket and
// anything else HTTP (with the octet put back). For TLS, serve a
// tls.Listener: the octet is read after the TLS handshake, so wss:// and
// rss:// share the port, and HTTP handlers still see r.TLS.
//
//	cfg, err := transport.LoadServerTLSConfig("cert.pem", "key.pem")
//	m := transport.NewMux(wsServer, rsServer, transport.MuxConfig{})
//	go m.Serve(tls.NewListener(ln, cfg))
//	...
//	m.Close(); wsServer.Close(); rsServer.Close()
//
// [ServerTLSConfig] and [LoadServerTLSConfig] build the server side's TLS
// configuration (TLS 1.2+, ALPN http/1.1 for WebSocket upgrades). Without
// the Mux: http.Server with that TLSConfig for wss://, and
// RawSocketServer.Serve(tls.NewListener(ln, cfg)) for rss://.
//
// # Connection limits
//
// Both servers take MaxConnections (in total) and MaxConnectionsPerAddress
// (per source IP, the host part of the remote address; unix socket
// connections have none and count only in the total), 0 meaning
// unlimited. A connection holds its slot from the start of its handshake
// (a WebSocket upgrade; a RawSocket connection as soon as it is accepted,
// before its 4 octets arrive) until it ends, after Handler.Closed, and
// also gives it back when the handshake fails or panics. Beyond a limit a
// WebSocket upgrade is answered HTTP 503 (MaxConnections) or 429 Too Many
// Requests (MaxConnectionsPerAddress), a RawSocket handshake with error 4;
// each refusal is counted (Stats.Rejected and Stats.LimitRefusals) and
// logged at Debug only, so a flood does not flood the log. Connections the
// Mux is still sniffing are not counted yet.
//
// # Per-connection model
//
// Each connection has one reader (gws ReadLoop for WebSocket; for RawSocket
// the goroutine of RawSocketServer.ServeConn, or with Serve or the Mux a
// reader that runs only while there is input). It calls Acceptor.Accept
// first, then Handler.Message / Handler.Malformed in arrival order, and
// Handler.Closed exactly once, last, never two at once. A RawSocket reader
// served by Serve or the Mux that has read all the socket had parks: on
// Linux, for a plain TCP or Unix socket, in an epoll instance the server
// owns (one goroutine per server), holding no goroutine and no read buffer
// until input, a keepalive tick or a close wakes it on a fresh goroutine;
// elsewhere, and for TLS (whose buffered decrypted bytes epoll cannot see),
// on a fresh goroutine of the smallest stack. Decoding happens on the
// reader's goroutine; WebSocket text and binary frames are both accepted
// whatever the serializer (the serializer decides whether the bytes make
// sense). A WebSocket server with Compression inflates compressed
// messages itself, against the InboundBudget (ws_inflate.go). RawSocket frames that fit the read buffer are decoded in place.
//
// Outbound, both transports share one design (peerCore): Peer.Send
// appends to a bounded queue (OutboundQueueMax messages, counting those
// being written) and never blocks. A writer goroutine exists only while
// there is something to write: it starts when the queue goes from empty to
// non-empty, encodes each message with the peer's serializer into a
// pooled buffer, writes it, and exits after the queue has stayed empty for
// about a millisecond. An idle connection therefore holds no writer
// goroutine (and an idle RawSocket connection on Linux no reader goroutine
// either: the idle bench phase measures about 4 KB of RSS per joined
// RawSocket session, router session state included). Pings and pong replies go through the same writer, so this
// package's socket writes happen on one goroutine at a time under a write
// deadline (WriteTimeout), which bounds a time without progress rather
// than a write: every chunk the socket takes pushes it out again (on
// plain TCP and Unix sockets every write(2) that moves bytes; through TLS
// every 64 KiB), so a slow peer that keeps reading a large batch is not
// closed, and one that takes nothing is, after 7/8 to 1 WriteTimeout.
//
// Inline writes ([InlineSender], for an event loop): SendInline to a peer
// with nothing queued and no writer running encodes the message and writes
// it on the calling goroutine, in one attempt on the non-blocking socket
// that never waits; whatever the socket does not take is finished by the
// peer's writer goroutine before anything sent after it (for WebSocket
// under the connection's write lock, so no frame of gws's lands inside
// it). It saves waking a writer goroutine per message; a peer that stopped
// reading cannot hold the caller. Only plain TCP and Unix sockets, and
// messages the writer would batch (under 16 KiB; WebSocket: without
// compression, text valid UTF-8); everything else takes the writer path.
// The message counts in the queue, the byte budgets and flow control
// exactly as a queued one. A loop that closes a session in the step that
// answers it (the GOODBYE answering the session's own) holds the answer
// (SendHeld) and closes with CloseInline: the answer and the WebSocket
// close frame go out in one such write, and no writer goroutine is
// started (peer_closeinline.go). A writer that still has messages when an
// orderly WebSocket close comes writes the close frame in the same write
// as the last of them (closeInBatch). Both transports batch: the frames a writer takes from the
// queue at once are written with one syscall (up to 64 KiB; a message of
// 16 KiB or more is written on its own). For WebSocket we frame messages
// ourselves (ws_frame.go) under a lock that gws's own writes also take, so
// frames never interleave and nothing follows a close frame; with
// Compression configured, every frame goes through gws unbatched.
//
// Flow control: above a soft limit (OutboundQueueMax/8 messages) a peer
// is congested, and the router throttles whoever keeps feeding it
// (FlowControl.Throttle): the sender's reader stops between two messages,
// so TCP backpressure reaches the sender, until every receiver that
// throttled it has drained to half its soft limit or closed. A burst from
// one session therefore slows that session down; receivers that read are
// never disconnected for it. (A paused reader's read deadline is pushed
// out again when it resumes, so keepalive does not mistake the pause for
// silence.)
//
// Stalled receivers: a congested peer that holds senders and writes
// nothing for StallTimeout (default WriteTimeout/4) has stopped reading; it
// is closed at once as a slow consumer (its socket, since no close frame
// could reach it) and its senders read again. A subscriber holds its
// publisher for EVENTs (FlowControl.ThrottleEvent) only while its socket
// takes bytes: after EventStallTimeout (default 100 ms) without, the
// publisher reads again and the subscriber holds nobody until it takes
// bytes, so a stuck subscriber stalls its publisher, and the publisher's
// other subscribers, for at most EventStallTimeout; its queue bounds (or
// WriteTimeout) then close it. A peer closed as a slow consumer whose
// socket then takes no bytes for EventStallTimeout has its socket closed
// too, ending a write it would never finish: it does not stay connected,
// its session joined and its socket buffers full, until WriteTimeout.
//
// Byte budgets: every queued message counts its estimated size
// (wamp.SizeHint, computed once per fan-out message). A peer may hold
// OutboundQueueBytes (default twice MaxMessageBytes, at least 1 MiB), and
// the peers of a server together its OutboundBudget (default 1 GiB; share
// one between servers to bound a process). A peer with nothing queued
// always gets one message, even past its own budget or the exhausted
// shared one: such messages draw from the budget's overdraft (default 256
// MiB), shared the same way; past it, the message is still queued but
// counts in the InboundBudget until written, and its peer reports
// congestion so that the router holds the sender (Stats.OverdraftHolds).
// So outbound queues hold at most OutboundBudget plus its overdraft, and
// messages past it are bounded with the inbound ones.
//
// Overflow policy: when Send finds the queue full anyway (OutboundQueueMax
// messages or OutboundQueueBytes, or the shared budget exhausted while this
// peer has a backlog: a receiver that stopped reading while several
// senders fed it), the peer is a slow consumer. Send returns false, the queued messages are
// discarded, the connection is closed (WebSocket: close code 1008 "slow
// consumer", written after the in-flight write, which is bounded by
// WriteTimeout; RawSocket: the socket is closed), Stats.SlowConsumers is
// incremented, one Debug line is logged (with the queue sizes; the
// Handler, which knows the session, logs the close), and Handler.Closed receives
// ErrSlowConsumer. A receiver whose socket stops taking bytes is closed
// after WriteTimeout. Nothing is ever dropped silently. After a local close
// or abort, inbound messages are no longer delivered.
//
// Refused messages: a message that cannot be encoded with the peer's
// serializer (NaN or ±Inf for JSON) or whose encoding is larger than the
// peer's maximum (its MaxMessageBytes; for RawSocket, what the other end
// announced) is not sent to that peer, and the peer stays connected: the
// drop is counted (Stats.EncodeErrors), logged, and reported to a Handler
// that implements Refuser, so a router can answer the message's sender
// (the receiver is never punished for what a sender sent).
//
// RawSocket PINGs are each answered with their PONG; WebSocket pings may
// be coalesced (RFC 6455 §5.5.3 allows answering only the latest). At
// most eight pongs (or MaxMessageBytes of them) wait for the writer;
// beyond that the reader waits too.
//
// Keepalive: every PingInterval the peer is sent a ping (a WebSocket ping
// or a RawSocket PING frame). The first inbound frame after each tick
// (message, ping or pong) pushes the read deadline to
// now+PingInterval+PongTimeout: one atomic load per frame and one deadline
// update per interval. A peer that answers pings is therefore never closed
// while its round trip stays under PongTimeout, and a silent one is closed
// after between PongTimeout and PingInterval+PongTimeout of silence, with
// a cause that wraps ErrKeepaliveTimeout.
//
// # Encode once for fan-out
//
// A *shared.Message (package core/serialize/shared) wraps a message sent
// unchanged to many peers (an EVENT to every subscriber): the first writer
// that needs it in a given wire format encodes it, every other writer in
// that format writes the same bytes, so a publication is encoded once per
// serializer in use rather than once per subscriber. The cached bytes are
// plain allocations, never pooled. Code that inspects messages given to a
// Peer (in-memory peers, tests) calls shared.Unwrap.
//
// Close causes reported to Handler.Closed: nil after a local Peer.Close,
// ErrSlowConsumer, ErrServerClosed, an error wrapping ErrKeepaliveTimeout,
// ErrWriteTimeout, ErrMessageTooLarge, ErrEncode or ErrRawSocketProtocol,
// a *CloseError when a WebSocket close frame was received (Remote true)
// or sent by gws after a protocol violation (Remote false, e.g. 1009 for
// an oversize frame), or the I/O error (io.EOF when a RawSocket peer
// closed).
package transport
