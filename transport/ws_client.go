package transport

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/lxzan/gws"

	"github.com/switchboard-wamp/switchboard/core/serialize"
)

// ErrHandshake is wrapped by the DialWebSocket error when the server answered
// the upgrade request with something other than 101; the error text includes
// the HTTP status and the start of the response body.
var ErrHandshake = errors.New("transport: websocket handshake rejected")

// dialTarget is a parsed DialWebSocket URL.
type dialTarget struct {
	network string // "tcp" or "unix"
	addr    string // host:port or socket path
	reqURL  string // URL for the HTTP request line and Host header
	tls     bool
	host    string // TLS ServerName default
	path    string
	query   string
}

// DialWebSocket connects to a WAMP WebSocket server and returns the
// established Peer; the Acceptor a is then called on the connection's reader
// goroutine, as on a server. Supported URLs:
//
//	ws://host[:port]/path?query   plain TCP (port 80 by default)
//	wss://host[:port]/path?query  TLS (port 443), cfg.TLSConfig
//	ws+unix:///path/to/socket     unix domain socket; the HTTP request is
//	                              "GET /" with Host "localhost"
//
// The serializers' subprotocols are offered in order and the server's choice
// selects the serializer; a server that selects none is an error wrapping
// ErrNoSubprotocol. ctx (and cfg.HandshakeTimeout) bound the dial, the TLS
// handshake and the upgrade; once DialWebSocket returns, ctx no longer
// matters. Safe for concurrent use.
func DialWebSocket(ctx context.Context, rawURL string, cfg WebSocketClientConfig, a Acceptor) (Peer, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if a == nil {
		return nil, fmt.Errorf("%w: nil Acceptor", ErrConfig)
	}
	cfg = cfg.withDefaults()
	t, err := parseDialURL(rawURL)
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithTimeout(ctx, cfg.HandshakeTimeout)
	defer cancel()
	nc, err := dialConn(ctx, t, cfg.TLSConfig, cfg.DialContext)
	if err != nil {
		return nil, fmt.Errorf("transport: websocket dial %s: %w", rawURL, err)
	}
	return clientOn(ctx, nc, t, rawURL, cfg, a)
}

// clientOn runs the upgrade on the dialed connection nc, bounded by ctx
// (which must have a deadline), and starts the peer's reader. cfg has its
// defaults.
func clientOn(ctx context.Context, nc net.Conn, t dialTarget, rawURL string, cfg WebSocketClientConfig, a Acceptor) (Peer, error) {
	pc := newPeerConfig(cfg.MaxMessageBytes, cfg.OutboundQueueMax, cfg.PingInterval,
		cfg.PongTimeout, cfg.WriteTimeout, cfg.Logger, cfg.Stats).withBudgets(cfg.OutboundQueueBytes, nil, 0).withEventStall(0)
	p := &wsPeer{}
	p.cfg, p.wg, p.acceptor = pc, new(sync.WaitGroup), a
	conn, resp, err := handshake(ctx, nc, t, cfg, p)
	if err != nil {
		cfg.Stats.Rejected.Add(1)
		return nil, fmt.Errorf("transport: websocket dial %s: %w", rawURL, err)
	}
	ser := serializerFor(cfg.Serializers, conn.SubProtocol())
	if ser == nil { // gws checks this too; never trust it blindly
		_ = conn.WriteClose(closeProtocolError, []byte("no subprotocol selected"))
		cfg.Stats.Rejected.Add(1)
		return nil, fmt.Errorf("transport: websocket dial %s: %w: server selected %q",
			rawURL, ErrNoSubprotocol, conn.SubProtocol())
	}
	p.attach(conn, ser, true, cfg.Compression)
	p.info = Info{
		Transport:  "websocket",
		Serializer: ser.Name(),
		PeerAddr:   t.addr,
		Path:       t.path,
		Query:      t.query,
		Header:     resp.Header,
		Cookies:    resp.Cookies(),
		TLS:        t.tls,
	}
	cfg.Stats.Accepted.Add(1)
	go p.readLoop()
	return p, nil
}

const closeProtocolError = 1002

// handshake runs the WebSocket upgrade on nc, bounded by ctx: cancelling ctx
// closes nc, which fails the handshake. A panic while gws parses the
// server's response fails the handshake (nc closed), logged and counted.
func handshake(ctx context.Context, nc net.Conn, t dialTarget, cfg WebSocketClientConfig, p *wsPeer) (
	conn *gws.Conn, resp *http.Response, err error) {
	deadline, _ := ctx.Deadline() // always set: DialWebSocket adds a timeout
	hdr := cfg.Header.Clone()
	if hdr == nil {
		hdr = http.Header{}
	}
	protos := make([]string, len(cfg.Serializers))
	for i, s := range cfg.Serializers {
		protos[i] = s.SubProtocol()
	}
	// Set, not a literal map key: gws reads it back with Get (canonical key).
	hdr.Set(hdrProtocol, strings.Join(protos, ", "))
	stop := context.AfterFunc(ctx, func() { _ = nc.Close() })
	defer func() {
		if r := recover(); r != nil {
			stop()
			_ = nc.Close()
			conn, resp = nil, nil
			err = readerPanic(p.cfg.logger, p.cfg.stats, "websocket client handshake", t.addr, r)
		}
	}()
	conn, resp, err = gws.NewClientFromConn(wsEvents{}, &gws.ClientOption{
		Addr:                t.reqURL,
		RequestHeader:       hdr,
		HandshakeTimeout:    max(time.Until(deadline), time.Millisecond),
		ParallelEnabled:     false,
		CheckUtf8Enabled:    true,
		ReadMaxPayloadSize:  p.cfg.maxMessageBytes,
		WriteMaxPayloadSize: p.cfg.maxMessageBytes,
		ReadBufferSize:      cfg.ReadBufferBytes,
		PermessageDeflate: gws.PermessageDeflate{Enabled: cfg.Compression,
			ServerContextTakeover: true, ClientContextTakeover: true}, // the server's answer decides
		Recovery:   gws.Recovery,
		Logger:     gwsLogger{cfg.Logger},
		NewSession: p.session,
	}, newWSConn(nc, p.cfg, t.addr, true))
	if !stop() { // ctx ended during the handshake and closed nc
		if err == nil {
			_ = nc.Close()
		}
		return nil, nil, context.Cause(ctx)
	}
	if err != nil {
		return nil, nil, handshakeError(resp, err)
	}
	return conn, resp, nil
}

// handshakeError makes a failed upgrade's error say why.
func handshakeError(resp *http.Response, err error) error {
	if errors.Is(err, gws.ErrSubprotocolNegotiation) {
		return fmt.Errorf("%w: %w", ErrNoSubprotocol, err)
	}
	if resp == nil || resp.StatusCode == http.StatusSwitchingProtocols {
		return err
	}
	var body []byte
	if resp.Body != nil {
		body, _ = io.ReadAll(io.LimitReader(resp.Body, 512))
	}
	return fmt.Errorf("%w: HTTP %s: %s", ErrHandshake, resp.Status, strings.TrimSpace(string(body)))
}

func serializerFor(sers []serialize.Serializer, proto string) serialize.Serializer {
	for _, s := range sers {
		if s.SubProtocol() == proto {
			return s
		}
	}
	return nil
}

// parseDialURL understands ws://, wss:// and ws+unix:// URLs.
func parseDialURL(raw string) (dialTarget, error) {
	u, err := url.Parse(raw)
	if err != nil {
		return dialTarget{}, fmt.Errorf("transport: websocket URL: %w", err)
	}
	t := dialTarget{network: "tcp", reqURL: raw, host: u.Hostname(), path: u.Path, query: u.RawQuery}
	switch u.Scheme {
	case "ws", "wss":
		if u.Host == "" {
			return dialTarget{}, fmt.Errorf("transport: websocket URL %q: no host", raw)
		}
		t.tls = u.Scheme == "wss"
		port := u.Port()
		if port == "" {
			port = map[bool]string{false: "80", true: "443"}[t.tls]
		}
		t.addr = net.JoinHostPort(u.Hostname(), port)
		if t.path == "" {
			t.path = "/"
		}
	case "ws+unix":
		if u.Path == "" {
			return dialTarget{}, fmt.Errorf("transport: websocket URL %q: no socket path", raw)
		}
		t.network, t.addr, t.reqURL, t.path, t.query = "unix", u.Path, "ws://localhost/", "/", ""
	default:
		return dialTarget{}, fmt.Errorf("%w: %q (want ws, wss or ws+unix)", ErrUnsupportedScheme, u.Scheme)
	}
	return t, nil
}

// NetDialFunc opens a network connection, as net.Dialer.DialContext does
// (WebSocketClientConfig.DialContext, RawSocketClientConfig.DialContext).
type NetDialFunc func(ctx context.Context, network, address string) (net.Conn, error)

// dial is dialer, or a net.Dialer when it is nil.
func dial(ctx context.Context, dialer NetDialFunc, network, address string) (net.Conn, error) {
	if dialer != nil {
		return dialer(ctx, network, address)
	}
	var d net.Dialer
	return d.DialContext(ctx, network, address)
}

// dialConn dials t and, for wss, completes the TLS handshake, all bounded by ctx.
func dialConn(ctx context.Context, t dialTarget, tlsCfg *tls.Config, dialer NetDialFunc) (net.Conn, error) {
	nc, err := dial(ctx, dialer, t.network, t.addr)
	if err != nil || !t.tls {
		return nc, err
	}
	if tlsCfg == nil {
		tlsCfg = &tls.Config{}
	} else {
		tlsCfg = tlsCfg.Clone()
	}
	if tlsCfg.ServerName == "" {
		tlsCfg.ServerName = t.host
	}
	tlsCfg.NextProtos = []string{"http/1.1"} // a WebSocket upgrade is HTTP/1.1
	tc := tls.Client(nc, tlsCfg)
	if err := tc.HandshakeContext(ctx); err != nil {
		_ = nc.Close()
		return nil, err
	}
	return tc, nil
}
