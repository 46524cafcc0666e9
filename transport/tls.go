package transport

import (
	"crypto/tls"
	"fmt"
)

// ServerTLSConfig returns a server TLS configuration for wss:// and rss://
// with the given certificates: TLS 1.2 or later, and ALPN "http/1.1" only,
// because a WebSocket upgrade is an HTTP/1.1 request (RawSocket clients
// usually offer no ALPN, which is fine). Use it for http.Server.TLSConfig,
// or wrap a listener with tls.NewListener for a RawSocketServer or a Mux.
// The result is a fresh value the caller may adjust.
func ServerTLSConfig(certs ...tls.Certificate) *tls.Config {
	return &tls.Config{
		Certificates: certs,
		MinVersion:   tls.VersionTLS12,
		NextProtos:   []string{"http/1.1"},
	}
}

// LoadServerTLSConfig reads a PEM certificate chain and its private key and
// returns ServerTLSConfig for it. Errors wrap ErrConfig.
func LoadServerTLSConfig(certFile, keyFile string) (*tls.Config, error) {
	cert, err := tls.LoadX509KeyPair(certFile, keyFile)
	if err != nil {
		return nil, fmt.Errorf("%w: TLS certificate %s / key %s: %w", ErrConfig, certFile, keyFile, err)
	}
	return ServerTLSConfig(cert), nil
}
