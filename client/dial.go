package client

import (
	"context"
	"crypto/tls"
	"fmt"
	"net/url"

	"github.com/switchboard-wamp/switchboard/core/serialize"
	"github.com/switchboard-wamp/switchboard/transport"
)

// Dial connects to a WAMP router and joins cfg.Realm: it is Join with the
// transport the URL's scheme names.
//
//	ws://host[:port]/path     WebSocket (transport.DialWebSocket)
//	wss://host[:port]/path    WebSocket over TLS, with cfg.TLSConfig
//	ws+unix:///path/to.sock   WebSocket over a unix domain socket
//	rs://host:port            RawSocket over TCP (transport.DialRawSocket)
//	rss://host:port           RawSocket over TLS, with cfg.TLSConfig
//	rs+unix:///path/to.sock   RawSocket over a unix domain socket
//
// WebSocket offers every entry of cfg.Serializers (nil = JSON) in order,
// with cfg.Header, and the router picks one. RawSocket negotiates no list:
// as in autobahn, the FIRST entry of cfg.Serializers is the one serializer
// used, and a router that does not speak it refuses the handshake
// (*transport.RawSocketHandshakeError). A RawSocket URL needs an explicit
// port and takes no path. An unknown scheme is an error wrapping
// transport.ErrUnsupportedScheme; other errors are as for Join. Safe for
// concurrent use.
func Dial(ctx context.Context, rawURL string, cfg Config) (*Session, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	dial, err := dialerFor(rawURL, cfg)
	if err != nil {
		return nil, err
	}
	return Join(ctx, dial, cfg)
}

// dialerFor returns the transport dial function for rawURL's scheme.
func dialerFor(rawURL string, cfg Config) (func(context.Context, transport.Acceptor) (transport.Peer, error), error) {
	u, err := url.Parse(rawURL)
	if err != nil {
		return nil, fmt.Errorf("%w: URL: %w", ErrConfig, err)
	}
	sers := cfg.Serializers
	if len(sers) == 0 {
		sers = []serialize.Serializer{serialize.JSON}
	}
	switch u.Scheme {
	case "ws", "wss", "ws+unix":
		wsCfg := transport.WebSocketClientConfig{
			Serializers: sers,
			Header:      cfg.Header,
			TLSConfig:   cfg.TLSConfig,
			Logger:      cfg.Logger,
		}
		return func(ctx context.Context, a transport.Acceptor) (transport.Peer, error) {
			return transport.DialWebSocket(ctx, rawURL, wsCfg, a)
		}, nil
	case "rs", "rss", "rs+unix":
		network, address, err := rawSocketAddress(u)
		if err != nil {
			return nil, fmt.Errorf("%w: %w", ErrConfig, err)
		}
		rsCfg := transport.RawSocketClientConfig{Serializer: sers[0], Logger: cfg.Logger}
		if u.Scheme == "rss" {
			rsCfg.TLSConfig = cfg.TLSConfig
			if rsCfg.TLSConfig == nil {
				rsCfg.TLSConfig = &tls.Config{}
			}
		}
		return func(ctx context.Context, a transport.Acceptor) (transport.Peer, error) {
			return transport.DialRawSocket(ctx, network, address, rsCfg, a)
		}, nil
	}
	return nil, fmt.Errorf("%w: %q (want ws, wss, ws+unix, rs, rss or rs+unix)", transport.ErrUnsupportedScheme, u.Scheme)
}

// rawSocketAddress turns an rs, rss or rs+unix URL into a network and an
// address for transport.DialRawSocket.
func rawSocketAddress(u *url.URL) (network, address string, err error) {
	if u.Scheme == "rs+unix" {
		if u.Path == "" || u.Host != "" {
			return "", "", fmt.Errorf("URL %q: want rs+unix:///path/to/socket", u.Redacted())
		}
		return "unix", u.Path, nil
	}
	if u.Hostname() == "" || u.Port() == "" {
		return "", "", fmt.Errorf("URL %q: want %s://host:port", u.Redacted(), u.Scheme)
	}
	if (u.Path != "" && u.Path != "/") || u.RawQuery != "" {
		return "", "", fmt.Errorf("URL %q: a RawSocket URL has no path or query", u.Redacted())
	}
	return "tcp", u.Host, nil
}
