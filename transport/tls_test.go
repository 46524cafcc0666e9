package transport

import (
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/switchboard-wamp/switchboard/core/serialize"
)

// writePEM writes cert and its key as PEM files in a temp dir.
func writePEM(t *testing.T, cert tls.Certificate) (certFile, keyFile string) {
	dir := t.TempDir()
	keyDER, err := x509.MarshalPKCS8PrivateKey(cert.PrivateKey)
	must(t, err)
	certFile, keyFile = filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	must(t, os.WriteFile(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: cert.Certificate[0]}), 0o600))
	must(t, os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: keyDER}), 0o600))
	return certFile, keyFile
}

// TestServeWithCertFiles starts wss:// (http.Server) and rss://
// (RawSocketServer on a tls.Listener) from PEM files, as a router binary
// would.
func TestServeWithCertFiles(t *testing.T) {
	cert, pool := selfSigned(t)
	certFile, keyFile := writePEM(t, cert)
	cfg, err := LoadServerTLSConfig(certFile, keyFile)
	must(t, err)
	if cfg.MinVersion != tls.VersionTLS12 || len(cfg.NextProtos) != 1 || cfg.NextProtos[0] != "http/1.1" {
		t.Errorf("config: min %x, ALPN %v", cfg.MinVersion, cfg.NextProtos)
	}
	clientTLS := &tls.Config{RootCAs: pool}

	a, accepted := acceptInto(t, func(r *recorder) { r.onMessage = echo })
	ws, err := NewWebSocketServer(WebSocketConfig{Serializers: []serialize.Serializer{codecJSON}, Logger: quietLogger}, a)
	must(t, err)
	wsLn, err := net.Listen("tcp", "127.0.0.1:0")
	must(t, err)
	hs := &http.Server{Handler: ws, TLSConfig: cfg}
	go hs.ServeTLS(wsLn, "", "")
	t.Cleanup(func() { ws.Close(); hs.Close() })

	rsLn, err := net.Listen("tcp", "127.0.0.1:0")
	must(t, err)
	rs := startRS(t, RawSocketConfig{}, tls.NewListener(rsLn, cfg), func(r *recorder) { r.onMessage = echo })

	wsClient, wr := dialClient(t, "wss://"+wsLn.Addr().String()+"/ws", WebSocketClientConfig{TLSConfig: clientTLS})
	nextPeer(t, accepted)
	rsClient, rr := dialRS(t, rs, RawSocketClientConfig{TLSConfig: clientTLS})
	nextPeer(t, rs.accepted)
	for i, c := range []struct {
		p Peer
		r *recorder
	}{{wsClient, wr}, {rsClient, rr}} {
		c.p.Send(event(i + 1))
		if got := publicationOf(t, c.r.nextMsg(t)); got != i+1 {
			t.Fatalf("echo %d", got)
		}
		if !c.p.Info().TLS {
			t.Errorf("%s client Info.TLS false", c.p.Info().Transport)
		}
	}
	// A plain RawSocket client against the TLS port fails its handshake
	// (the TLS server waits for a 5th octet: the client gives up).
	if _, _, err := tryDialRS(t, "tcp", rs.addr, RawSocketClientConfig{HandshakeTimeout: 100 * time.Millisecond}); err == nil {
		t.Error("plain dial to a TLS port succeeded")
	}
}

func TestLoadServerTLSConfigErrors(t *testing.T) {
	dir := t.TempDir()
	_, err := LoadServerTLSConfig(filepath.Join(dir, "missing.pem"), filepath.Join(dir, "missing.key"))
	if !errors.Is(err, ErrConfig) || !strings.Contains(err.Error(), "missing.pem") {
		t.Errorf("missing files: %v", err)
	}
}
