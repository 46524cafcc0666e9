package client

import (
	"bufio"
	"context"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/switchboard-wamp/switchboard/transport"
)

// Proxy is an HTTP proxy a WebSocket transport tunnels through with
// CONNECT (autobahn's proxy {host, port}). TLS (wss://) runs inside the
// tunnel, end to end with the router.
type Proxy struct {
	Host string
	Port int
	// Header is sent with the CONNECT request (Proxy-Authorization, ...).
	Header http.Header
}

func (p *Proxy) validate() error {
	if p.Host == "" || p.Port <= 0 || p.Port > 65535 {
		return fmt.Errorf("%w: Proxy needs a Host and a Port in 1..65535", ErrConfig)
	}
	return nil
}

// dialer returns a NetDialFunc that opens a CONNECT tunnel to the address
// it is asked for; next (nil = net.Dialer) reaches the proxy.
//
// Hand-written: the standard library does CONNECT only inside
// http.Transport, and x/net/proxy has SOCKS5 but no HTTP CONNECT; the
// exchange is one request and one response.
func (p *Proxy) dialer(next transport.NetDialFunc) transport.NetDialFunc {
	proxyAddr := net.JoinHostPort(p.Host, strconv.Itoa(p.Port))
	return func(ctx context.Context, network, address string) (net.Conn, error) {
		if network != "tcp" {
			return nil, fmt.Errorf("client: proxy: cannot tunnel %s to %s", network, address)
		}
		nc, err := netDial(ctx, next, "tcp", proxyAddr)
		if err != nil {
			return nil, fmt.Errorf("client: proxy %s: %w", proxyAddr, err)
		}
		c, err := connectTunnel(ctx, nc, address, p.Header)
		if err != nil {
			_ = nc.Close()
			return nil, fmt.Errorf("client: proxy %s: CONNECT %s: %w", proxyAddr, address, err)
		}
		return c, nil
	}
}

// connectTunnel sends CONNECT address over nc and reads the answer,
// bounded by ctx.
func connectTunnel(ctx context.Context, nc net.Conn, address string, hdr http.Header) (net.Conn, error) {
	stop := context.AfterFunc(ctx, func() { _ = nc.SetDeadline(time.Unix(1, 0)) })
	defer stop()
	req := &http.Request{
		Method: http.MethodConnect,
		URL:    &url.URL{Host: address},
		Host:   address,
		Header: hdr.Clone(),
	}
	if req.Header == nil {
		req.Header = http.Header{}
	}
	if err := req.Write(nc); err != nil {
		return nil, err
	}
	br := bufio.NewReader(nc)
	resp, err := http.ReadResponse(br, req)
	if err != nil {
		if ctx.Err() != nil {
			return nil, context.Cause(ctx)
		}
		return nil, err
	}
	_ = resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("proxy answered %s", resp.Status)
	}
	if !stop() {
		return nil, context.Cause(ctx)
	}
	if br.Buffered() > 0 { // bytes of the tunnel read with the response
		return &bufferedConn{Conn: nc, r: br}, nil
	}
	return nc, nil
}

func netDial(ctx context.Context, d transport.NetDialFunc, network, address string) (net.Conn, error) {
	if d != nil {
		return d(ctx, network, address)
	}
	var nd net.Dialer
	return nd.DialContext(ctx, network, address)
}

// bufferedConn is a connection whose first bytes were already read.
type bufferedConn struct {
	net.Conn
	r *bufio.Reader
}

func (c *bufferedConn) Read(p []byte) (int, error) { return c.r.Read(p) }
