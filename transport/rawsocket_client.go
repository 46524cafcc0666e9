package transport

import (
	"context"
	"crypto/tls"
	"fmt"
	"io"
	"net"
	"sync"
)

// DialRawSocket connects to a WAMP RawSocket router and returns the
// established Peer; the Acceptor a is then called on the connection's
// reader goroutine, as on a server. network is "tcp" (or "tcp4", "tcp6")
// with a host:port address, or "unix" with a socket path; a non-nil
// cfg.TLSConfig runs TLS over it (rss://).
//
// The handshake asks for exactly cfg.Serializer (RawSocket negotiates no
// list). A router that refuses answers with an error code, returned as a
// *RawSocketHandshakeError (errors.As); a malformed reply is an error
// wrapping ErrRawSocketProtocol. ctx (and cfg.HandshakeTimeout) bound the
// dial, the TLS handshake and the RawSocket handshake; once DialRawSocket
// returns, ctx no longer matters. Safe for concurrent use.
func DialRawSocket(ctx context.Context, network, address string, cfg RawSocketClientConfig, a Acceptor) (Peer, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if a == nil {
		return nil, fmt.Errorf("%w: nil Acceptor", ErrConfig)
	}
	switch network {
	case "tcp", "tcp4", "tcp6", "unix":
	default:
		return nil, fmt.Errorf("%w: rawsocket network %q (want tcp or unix)", ErrConfig, network)
	}
	cfg = cfg.withDefaults()
	ctx, cancel := context.WithTimeout(ctx, cfg.HandshakeTimeout)
	defer cancel()
	nc, err := dialRawSocketConn(ctx, network, address, cfg.TLSConfig, cfg.DialContext)
	if err != nil {
		return nil, fmt.Errorf("transport: rawsocket dial %s %s: %w", network, address, err)
	}
	return rawSocketClientOn(ctx, nc, network, address, cfg, a)
}

// rawSocketClientOn runs the handshake on the dialed connection nc, bounded
// by ctx, and starts the peer's reader. cfg has its defaults.
func rawSocketClientOn(ctx context.Context, nc net.Conn, network, address string, cfg RawSocketClientConfig, a Acceptor) (Peer, error) {
	lenExp := rsLenExp(cfg.MaxMessageBytes)
	br, routerExp, err := rsClientHandshake(ctx, nc, cfg.Serializer.RawSocketID(), lenExp, &cfg)
	if err != nil {
		_ = nc.Close()
		cfg.Stats.Rejected.Add(1)
		return nil, fmt.Errorf("transport: rawsocket dial %s %s: %w", network, address, err)
	}
	pc := newPeerConfig(rsMaxLen(lenExp), cfg.OutboundQueueMax, cfg.PingInterval,
		cfg.PongTimeout, cfg.WriteTimeout, cfg.Logger, cfg.Stats).withBudgets(cfg.OutboundQueueBytes, nil, 0).withEventStall(0)
	p := newRSPeer(nc, br, cfg.Serializer, pc, rsMaxLen(routerExp), new(sync.WaitGroup), a)
	p.info.PeerAddr = address
	cfg.Stats.Accepted.Add(1)
	go p.run()
	return p, nil
}

// dialRawSocketConn dials and, with tlsCfg, completes a TLS handshake,
// bounded by ctx.
func dialRawSocketConn(ctx context.Context, network, address string, tlsCfg *tls.Config, dialer NetDialFunc) (net.Conn, error) {
	nc, err := dial(ctx, dialer, network, address)
	if err != nil || tlsCfg == nil {
		return nc, err
	}
	tlsCfg = tlsCfg.Clone()
	if tlsCfg.ServerName == "" && network != "unix" {
		if host, _, err := net.SplitHostPort(address); err == nil {
			tlsCfg.ServerName = host
		}
	}
	tc := tls.Client(nc, tlsCfg)
	if err := tc.HandshakeContext(ctx); err != nil {
		_ = nc.Close()
		return nil, err
	}
	return tc, nil
}

// rsClientHandshake sends the hello and reads the reply, bounded by ctx
// (cancelling it closes nc). It returns the reader to keep using (the
// router may send frames right after its reply) and the router's LENGTH.
// A panic while reading or parsing the reply fails the handshake with an
// error wrapping ErrReaderPanic, logged and counted.
func rsClientHandshake(ctx context.Context, nc net.Conn, id, lenExp byte, cfg *RawSocketClientConfig) (
	br *idleReader, routerExp byte, err error) {
	stop := context.AfterFunc(ctx, func() { _ = nc.Close() })
	defer func() {
		if r := recover(); r != nil {
			stop()
			br, routerExp = nil, 0
			err = readerPanic(cfg.Logger, cfg.Stats, "rawsocket client handshake", remoteAddr(nc), r)
		}
	}()
	hello := rsHello(id, lenExp)
	br = newIdleReader(nc, cfg.ReadBufferBytes)
	var reply [4]byte
	_, err = nc.Write(hello[:])
	if err == nil {
		_, err = io.ReadFull(br, reply[:])
	}
	if !stop() { // ctx ended during the handshake and closed nc
		return nil, 0, context.Cause(ctx)
	}
	if err != nil {
		return nil, 0, err
	}
	routerExp, err = parseRawSocketReply(reply, id)
	return br, routerExp, err
}
