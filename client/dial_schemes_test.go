package client

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"math/big"
	"net"
	"net/http"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/switchboard-wamp/switchboard/adapters/goroutine"
	"github.com/switchboard-wamp/switchboard/core"
	"github.com/switchboard-wamp/switchboard/core/serialize"
	"github.com/switchboard-wamp/switchboard/core/wamp"
	"github.com/switchboard-wamp/switchboard/transport"
)

// schemeRouter is one core.Application served on every transport Dial
// knows: WebSocket and RawSocket, over TCP, TLS and unix sockets.
type schemeRouter struct {
	urls      map[string]string // scheme -> URL
	clientTLS *tls.Config
	cfg       Config

	mu          sync.Mutex
	serializers []string // Info.Serializer of each accepted connection
}

func startSchemeRouter(t *testing.T) *schemeRouter {
	b := goroutine.New(goroutine.Config{})
	app, err := core.New(core.Config{Backend: b, Realms: []core.RealmConfig{{URI: "realm1"}}})
	must(t, err)
	r := &schemeRouter{urls: map[string]string{}, cfg: Config{Realm: "realm1", Backend: b}}
	acceptor := transport.AcceptorFunc(func(p transport.Peer) transport.Handler {
		r.mu.Lock()
		r.serializers = append(r.serializers, p.Info().Transport+"/"+p.Info().Serializer)
		r.mu.Unlock()
		return app.Accept(p)
	})
	ws, err := transport.NewWebSocketServer(transport.WebSocketConfig{Serializers: serialize.All()}, acceptor)
	must(t, err)
	rs, err := transport.NewRawSocketServer(transport.RawSocketConfig{Serializers: serialize.All()}, acceptor)
	must(t, err)
	cert, pool := testCert(t)
	serverTLS := transport.ServerTLSConfig(cert)
	r.clientTLS = &tls.Config{RootCAs: pool}
	dir := t.TempDir()

	var stops []func()
	listen := func(network, addr string) net.Listener {
		ln, err := net.Listen(network, addr)
		must(t, err)
		return ln
	}
	serveHTTP := func(ln net.Listener) string {
		hs := &http.Server{Handler: ws}
		go func() { _ = hs.Serve(ln) }()
		stops = append(stops, func() { _ = hs.Close() })
		return ln.Addr().String()
	}
	serveRS := func(ln net.Listener) string {
		go func() { _ = rs.Serve(ln) }()
		return ln.Addr().String()
	}
	r.urls["ws"] = "ws://" + serveHTTP(listen("tcp", "127.0.0.1:0")) + "/ws"
	r.urls["wss"] = "wss://" + serveHTTP(tls.NewListener(listen("tcp", "127.0.0.1:0"), serverTLS)) + "/ws"
	r.urls["ws+unix"] = "ws+unix://" + serveHTTP(listen("unix", filepath.Join(dir, "ws.sock")))
	r.urls["rs"] = "rs://" + serveRS(listen("tcp", "127.0.0.1:0"))
	r.urls["rss"] = "rss://" + serveRS(tls.NewListener(listen("tcp", "127.0.0.1:0"), serverTLS))
	r.urls["rs+unix"] = "rs+unix://" + serveRS(listen("unix", filepath.Join(dir, "rs.sock")))

	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), guard)
		defer cancel()
		_ = app.Close(ctx)
		for _, stop := range stops {
			stop()
		}
		ws.Close()
		rs.Close()
		_ = b.Close()
	})
	return r
}

func (r *schemeRouter) lastSerializer() string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.serializers[len(r.serializers)-1]
}

func TestDialSchemes(t *testing.T) {
	r := startSchemeRouter(t)
	ctx := context.Background()
	cfg := r.cfg
	cfg.TLSConfig = r.clientTLS
	callee, err := Dial(ctx, r.urls["ws"], cfg)
	must(t, err)
	_, err = callee.Register(ctx, "com.add", func(_ context.Context, inv *Invocation) (*Result, error) {
		a, _ := wamp.ToInt(inv.Args[0])
		b, _ := wamp.ToInt(inv.Args[1])
		return &Result{Args: wamp.List{a + b}}, nil
	}, nil)
	must(t, err)
	defer func() { must(t, callee.Leave(ctx, "")) }()

	tests := []struct {
		scheme    string
		transport string
	}{
		{"ws", "websocket"}, {"wss", "websocket"}, {"ws+unix", "websocket"},
		{"rs", "rawsocket"}, {"rss", "rawsocket"}, {"rs+unix", "rawsocket"},
	}
	for _, tc := range tests {
		t.Run(tc.scheme, func(t *testing.T) {
			caller, err := Dial(ctx, r.urls[tc.scheme], cfg)
			must(t, err)
			if got := r.lastSerializer(); got != tc.transport+"/json" {
				t.Errorf("server saw %s, want %s/json", got, tc.transport)
			}
			res, err := caller.Call(ctx, "com.add", wamp.List{20, 22}, nil, nil)
			must(t, err)
			if n, _ := wamp.ToInt(res.Args[0]); n != 42 {
				t.Fatalf("com.add = %v", res.Args)
			}
			must(t, caller.Leave(ctx, ""))
		})
	}
}

func TestDialRawSocketUsesTheFirstSerializer(t *testing.T) {
	r := startSchemeRouter(t)
	ctx := context.Background()
	for _, name := range []string{"msgpack", "cbor", "json"} {
		first, ok := serialize.ByName(name)
		if !ok {
			t.Fatalf("no %s serializer", name)
		}
		cfg := r.cfg
		cfg.Serializers = []serialize.Serializer{first, serialize.JSON}
		s, err := Dial(ctx, r.urls["rs"], cfg)
		must(t, err)
		if got := r.lastSerializer(); got != "rawsocket/"+name {
			t.Errorf("server saw %s, want rawsocket/%s", got, name)
		}
		must(t, s.Leave(ctx, ""))
	}
}

func TestDialSchemeErrors(t *testing.T) {
	r := startSchemeRouter(t)
	ctx := context.Background()
	is := func(target error) func(error) bool { return func(err error) bool { return errors.Is(err, target) } }
	tests := []struct {
		url  string
		want string
		ok   func(error) bool
	}{
		{"http://127.0.0.1:1/", "ErrUnsupportedScheme", is(transport.ErrUnsupportedScheme)},
		{"rs://127.0.0.1", "ErrConfig (no port)", is(ErrConfig)},
		{"rs://127.0.0.1:1/path", "ErrConfig (a path)", is(ErrConfig)},
		{"rs+unix://host/x.sock", "ErrConfig (a host)", is(ErrConfig)},
		{"rs+unix://", "ErrConfig (no path)", is(ErrConfig)},
		{"rs://127.0.0.1:1", "a dial error", func(err error) bool {
			var oe *net.OpError
			return errors.As(err, &oe)
		}},
		{r.urls["rss"], "an unknown-authority error", func(err error) bool {
			var ue x509.UnknownAuthorityError
			return errors.As(err, &ue)
		}},
	}
	for _, tc := range tests {
		if _, err := Dial(ctx, tc.url, r.cfg); !tc.ok(err) {
			t.Errorf("%s: %v, want %s", tc.url, err, tc.want)
		}
	}
}

// testCert makes a throwaway self-signed ECDSA certificate for 127.0.0.1.
func testCert(t *testing.T) (tls.Certificate, *x509.CertPool) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	must(t, err)
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: "switchboard client test"},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(time.Hour),
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true,
		IsCA:                  true,
		IPAddresses:           []net.IP{net.IPv4(127, 0, 0, 1)},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	must(t, err)
	leaf, err := x509.ParseCertificate(der)
	must(t, err)
	pool := x509.NewCertPool()
	pool.AddCert(leaf)
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key, Leaf: leaf}, pool
}
