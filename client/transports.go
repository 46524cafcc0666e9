package client

import (
	"context"
	"crypto/tls"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/switchboard-wamp/switchboard/core/serialize"
	"github.com/switchboard-wamp/switchboard/transport"
)

// TransportType is the kind of a transport: WebSocket or RawSocket.
type TransportType string

// The transport types (autobahn's "type" key).
const (
	WebSocket TransportType = "websocket"
	RawSocket TransportType = "rawsocket"
)

// TransportConfig is one way a Component reaches the router (one entry
// of autobahn's transports list). Only URL is required.
type TransportConfig struct {
	// Type is WebSocket or RawSocket; "" = the URL scheme's (ws, wss,
	// ws+unix: WebSocket; rs, rss, rs+unix: RawSocket). A Type that
	// contradicts the scheme is an error.
	Type TransportType
	// URL is the router's URL, as for Dial.
	URL string
	// Endpoint, when set, is where to connect instead of the URL's host
	// (the URL still names the host for TLS and the HTTP request).
	Endpoint *Endpoint
	// Serializers are offered by a WebSocket transport, in preference
	// order; nil = CBOR then JSON (autobahn's default). Not for RawSocket.
	Serializers []serialize.Serializer
	// Serializer is the one serializer of a RawSocket transport; nil =
	// CBOR (autobahn's default). Not for WebSocket.
	Serializer serialize.Serializer
	// Options are the transport's knobs.
	Options TransportOptions
	// Header holds extra WebSocket handshake headers (cookies, tokens).
	Header http.Header
	// Proxy tunnels a WebSocket transport through an HTTP proxy.
	Proxy *Proxy
	// Retry is this transport's reconnect schedule; nil = DefaultRetry().
	Retry *RetryPolicy
}

// Endpoint is where a transport connects (autobahn's endpoint key).
type Endpoint struct {
	// Type is "tcp" (Host and Port) or "unix" (Path); "" = "unix" when
	// Path is set, else "tcp". With none of Type, Host, Port and Path the
	// URL's address is used (an Endpoint for TLS or Timeout alone).
	Type string
	Host string
	Port int
	Path string
	// Timeout bounds the connect alone (0 = only the handshake timeout).
	Timeout time.Duration
	// TLS configures TLS for wss:// and rss:// URLs (nil = system roots,
	// ServerName from the URL). Set on a ws:// or rs:// URL it is an
	// error: the scheme says whether TLS is used.
	TLS *tls.Config
}

// TransportOptions are the transport package's client knobs (autobahn's
// options key); zero values are the transport's defaults.
type TransportOptions struct {
	// MaxMessageBytes bounds a message both ways (0 = 16 MiB).
	MaxMessageBytes int
	// Compression asks for permessage-deflate (WebSocket only).
	Compression bool
	// PingInterval is the keep-alive period: a WebSocket ping or a
	// RawSocket PING (0 = 30s; negative disables keep-alive).
	// PongTimeout is how long past it a silent router is kept (0 =
	// PingInterval): a half-open connection is detected after at most
	// PingInterval+PongTimeout, and the component reconnects.
	PingInterval time.Duration
	PongTimeout  time.Duration
	// HandshakeTimeout bounds connect, TLS and the transport handshake
	// (0 = 10s). Its expiry is a failed attempt like any other: the
	// retry loop goes on.
	HandshakeTimeout time.Duration
	// WriteTimeout bounds one socket write (0 = 10s).
	WriteTimeout time.Duration
	// OutboundQueueMax bounds the messages waiting to be written (0 = 1024).
	OutboundQueueMax int
}

// plannedTransport is a validated TransportConfig, ready to dial.
type plannedTransport struct {
	cfg   TransportConfig
	kind  TransportType
	dial  DialFunc
	retry RetryPolicy
}

// plan validates tc and builds its dial function.
func (tc TransportConfig) plan(log *slog.Logger) (*plannedTransport, error) {
	u, err := url.Parse(tc.URL)
	if err != nil || tc.URL == "" {
		return nil, fmt.Errorf("%w: URL %q: want ws://, wss://, ws+unix://, rs://, rss:// or rs+unix://", ErrConfig, tc.URL)
	}
	kind, secure, err := schemeKind(u.Scheme)
	if err != nil {
		return nil, err
	}
	if tc.Type != "" && tc.Type != kind {
		return nil, fmt.Errorf("%w: Type %q but URL %q is %s", ErrConfig, tc.Type, tc.URL, kind)
	}
	p := &plannedTransport{cfg: tc, kind: kind, retry: DefaultRetry()}
	if tc.Retry != nil {
		p.retry = *tc.Retry
	}
	if err := p.retry.Validate(); err != nil {
		return nil, err
	}
	if err := tc.checkKind(kind, secure); err != nil {
		return nil, err
	}
	netDialer, err := tc.netDialer()
	if err != nil {
		return nil, err
	}
	var tlsCfg *tls.Config
	if tc.Endpoint != nil {
		tlsCfg = tc.Endpoint.TLS
	}
	if kind == WebSocket {
		p.dial, err = tc.webSocketDial(tlsCfg, netDialer, log)
	} else {
		p.dial, err = tc.rawSocketDial(u, secure, tlsCfg, netDialer, log)
	}
	return p, err
}

func schemeKind(scheme string) (TransportType, bool, error) {
	switch scheme {
	case "ws", "ws+unix":
		return WebSocket, false, nil
	case "wss":
		return WebSocket, true, nil
	case "rs", "rs+unix":
		return RawSocket, false, nil
	case "rss":
		return RawSocket, true, nil
	}
	return "", false, fmt.Errorf("%w: %w: %q (want ws, wss, ws+unix, rs, rss or rs+unix)", ErrConfig, transport.ErrUnsupportedScheme, scheme)
}

// checkKind refuses the keys that do not belong to the transport's kind.
func (tc TransportConfig) checkKind(kind TransportType, secure bool) error {
	switch {
	case kind == RawSocket && len(tc.Serializers) > 0:
		return fmt.Errorf("%w: Serializers is for WebSocket; a RawSocket transport takes one Serializer", ErrConfig)
	case kind == WebSocket && tc.Serializer != nil:
		return fmt.Errorf("%w: Serializer is for RawSocket; a WebSocket transport takes Serializers", ErrConfig)
	case kind == RawSocket && tc.Proxy != nil:
		return fmt.Errorf("%w: Proxy is for WebSocket transports only", ErrConfig)
	case kind == RawSocket && tc.Header != nil:
		return fmt.Errorf("%w: Header is for WebSocket transports only", ErrConfig)
	case kind == RawSocket && tc.Options.Compression:
		return fmt.Errorf("%w: Compression is for WebSocket transports only", ErrConfig)
	case tc.Endpoint != nil && tc.Endpoint.TLS != nil && !secure:
		return fmt.Errorf("%w: Endpoint.TLS with URL %q: use wss:// or rss:// for TLS", ErrConfig, tc.URL)
	}
	if tc.Proxy != nil {
		return tc.Proxy.validate()
	}
	return nil
}

// netDialer returns the dialer for the endpoint and proxy (nil = the
// transport's own net.Dialer to the URL's address).
func (tc TransportConfig) netDialer() (transport.NetDialFunc, error) {
	var d transport.NetDialFunc
	if e := tc.Endpoint; e != nil {
		network, address, err := e.address()
		if err != nil {
			return nil, err
		}
		if network == "" && e.Timeout == 0 { // only TLS: the URL's address
			return tc.proxyDialer(), nil
		}
		if tc.Proxy != nil && network == "unix" {
			return nil, fmt.Errorf("%w: a Proxy cannot reach a unix Endpoint", ErrConfig)
		}
		timeout := e.Timeout
		d = func(ctx context.Context, urlNetwork, target string) (net.Conn, error) {
			if timeout > 0 {
				var cancel context.CancelFunc
				ctx, cancel = context.WithTimeout(ctx, timeout)
				defer cancel()
			}
			if network == "" { // no address of its own: the URL's
				network, address = urlNetwork, target
			}
			if tc.Proxy != nil {
				return tc.Proxy.dialer(nil)(ctx, network, address)
			}
			return netDial(ctx, nil, network, address)
		}
		return d, nil
	}
	return tc.proxyDialer(), nil
}

func (tc TransportConfig) proxyDialer() transport.NetDialFunc {
	if tc.Proxy == nil {
		return nil
	}
	return tc.Proxy.dialer(nil)
}

func (e *Endpoint) address() (network, address string, err error) {
	typ := e.Type
	if typ == "" {
		typ = map[bool]string{true: "unix", false: "tcp"}[e.Path != ""]
	}
	switch {
	case e.Timeout < 0:
		return "", "", fmt.Errorf("%w: negative Endpoint.Timeout", ErrConfig)
	case e.Type == "" && e.Host == "" && e.Path == "" && e.Port == 0:
		return "", "", nil // no address: the URL's
	case typ == "unix" && e.Path != "":
		return "unix", e.Path, nil
	case typ == "tcp" && e.Host != "" && e.Port > 0 && e.Port <= 65535:
		return "tcp", net.JoinHostPort(e.Host, strconv.Itoa(e.Port)), nil
	}
	return "", "", fmt.Errorf("%w: Endpoint %+v: want Type tcp with Host and Port, or unix with Path", ErrConfig, *e)
}

func (tc TransportConfig) webSocketDial(tlsCfg *tls.Config, d transport.NetDialFunc, log *slog.Logger) (DialFunc, error) {
	sers := tc.Serializers
	if len(sers) == 0 {
		sers = []serialize.Serializer{serialize.CBOR, serialize.JSON}
	}
	o := tc.Options
	wc := transport.WebSocketClientConfig{
		Serializers: sers, MaxMessageBytes: o.MaxMessageBytes, OutboundQueueMax: o.OutboundQueueMax,
		PingInterval: o.PingInterval, PongTimeout: o.PongTimeout, WriteTimeout: o.WriteTimeout,
		Header: tc.Header, Compression: o.Compression, TLSConfig: tlsCfg,
		HandshakeTimeout: o.HandshakeTimeout, DialContext: d, Logger: log,
	}
	if err := wc.Validate(); err != nil {
		return nil, fmt.Errorf("%w: transport %s: %w", ErrConfig, tc.URL, err)
	}
	rawURL := tc.URL
	return func(ctx context.Context, a transport.Acceptor) (transport.Peer, error) {
		return transport.DialWebSocket(ctx, rawURL, wc, a)
	}, nil
}

func (tc TransportConfig) rawSocketDial(u *url.URL, secure bool, tlsCfg *tls.Config, d transport.NetDialFunc, log *slog.Logger) (DialFunc, error) {
	ser := tc.Serializer
	if ser == nil {
		ser = serialize.CBOR
	}
	network, address, err := rawSocketAddress(u)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrConfig, err)
	}
	if secure && tlsCfg == nil {
		tlsCfg = &tls.Config{}
	}
	o := tc.Options
	rc := transport.RawSocketClientConfig{
		Serializer: ser, MaxMessageBytes: o.MaxMessageBytes, OutboundQueueMax: o.OutboundQueueMax,
		PingInterval: o.PingInterval, PongTimeout: o.PongTimeout, WriteTimeout: o.WriteTimeout,
		HandshakeTimeout: o.HandshakeTimeout, TLSConfig: tlsCfg, DialContext: d, Logger: log,
	}
	if err := rc.Validate(); err != nil {
		return nil, fmt.Errorf("%w: transport %s: %w", ErrConfig, tc.URL, err)
	}
	return func(ctx context.Context, a transport.Acceptor) (transport.Peer, error) {
		return transport.DialRawSocket(ctx, network, address, rc, a)
	}, nil
}
