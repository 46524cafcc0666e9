package transport

import (
	"crypto/tls"
	"crypto/x509"
	"net"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"

	"github.com/switchboard-wamp/switchboard/core/serialize"
)

func TestDialUnixSocket(t *testing.T) {
	path := filepath.Join(t.TempDir(), "ws.sock")
	ln, err := net.Listen("unix", path)
	if err != nil {
		t.Fatal(err)
	}
	a, accepted := acceptInto(t, func(r *recorder) { r.onMessage = echo })
	srv, err := NewWebSocketServer(WebSocketConfig{Serializers: []serialize.Serializer{codecJSON}, Logger: quietLogger}, a)
	if err != nil {
		t.Fatal(err)
	}
	hs := &http.Server{Handler: srv}
	go hs.Serve(ln)
	t.Cleanup(func() { srv.Close(); hs.Close() })

	client, cr := dialClient(t, "ws+unix://"+path, WebSocketClientConfig{})
	sr := nextPeer(t, accepted)
	client.Send(event(9))
	if got := publicationOf(t, cr.nextMsg(t)); got != 9 {
		t.Fatalf("echo %d", got)
	}
	if got := client.Info().PeerAddr; got != path {
		t.Errorf("client PeerAddr %q, want %q", got, path)
	}
	if got := sr.peer.Info().Path; got != "/" {
		t.Errorf("server Path %q", got)
	}
}

func TestDialTLS(t *testing.T) {
	a, accepted := acceptInto(t, func(r *recorder) { r.onMessage = echo })
	srv, err := NewWebSocketServer(WebSocketConfig{Serializers: []serialize.Serializer{codecJSON}, Logger: quietLogger}, a)
	if err != nil {
		t.Fatal(err)
	}
	hs := httptest.NewTLSServer(srv)
	t.Cleanup(func() { srv.Close(); hs.Close() })
	roots := x509.NewCertPool()
	roots.AddCert(hs.Certificate())

	url := "wss" + strings.TrimPrefix(hs.URL, "https") + "/secure"
	client, cr := dialClient(t, url, WebSocketClientConfig{TLSConfig: &tls.Config{RootCAs: roots, ServerName: "example.com"}})
	sr := nextPeer(t, accepted)
	client.Send(event(4))
	if got := publicationOf(t, cr.nextMsg(t)); got != 4 {
		t.Fatalf("echo %d", got)
	}
	if !client.Info().TLS || !sr.peer.Info().TLS {
		t.Errorf("TLS flags: client %v server %v", client.Info().TLS, sr.peer.Info().TLS)
	}
	if _, _, err := tryDial(t, url, WebSocketClientConfig{}); err == nil {
		t.Error("dial with an untrusted certificate succeeded")
	}
}
