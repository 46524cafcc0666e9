package main

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/switchboard-wamp/switchboard/adapters/goroutine"
	"github.com/switchboard-wamp/switchboard/client"
	"github.com/switchboard-wamp/switchboard/core/serialize"
	"github.com/switchboard-wamp/switchboard/core/wamp"
)

func TestParseFlagsDefaults(t *testing.T) {
	c, err := parseFlags(nil, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if c.Backend != "goroutine" || len(c.Realms) != 1 || c.Realms[0].URI != "realm1" || len(c.Listeners) != 1 {
		t.Fatalf("defaults = %+v", c)
	}
	l := c.Listeners[0]
	if l.Type != "websocket" || l.Address != "127.0.0.1:8080" || l.Path != "/ws" || strings.Join(l.Serializers, ",") != "json,msgpack,cbor" {
		t.Fatalf("default listener = %+v", l)
	}
}

func TestParseFlags(t *testing.T) {
	c, err := parseFlags([]string{"-addr", ":0", "-realm", "a, b", "-backend", "pool", "-rawsocket-addr", ":0", "-unix", "/tmp/x.sock"}, io.Discard)
	if err != nil || len(c.Realms) != 2 || c.Realms[1].URI != "b" || c.Backend != "pool" || len(c.Listeners) != 3 {
		t.Fatalf("parsed %+v, %v", c, err)
	}
	var help strings.Builder
	if _, err := parseFlags([]string{"-h"}, &help); !errors.Is(err, flag.ErrHelp) || !strings.Contains(help.String(), "-realm") {
		t.Fatalf("-h: err %v, output %q", err, help.String())
	}
	for _, bad := range [][]string{{"-realm", ""}, {"-backend", "threads"}, {"-max-message-bytes", "10"}, {"extra"}, {"-tls-cert", "x"}} {
		if _, err := parseFlags(bad, io.Discard); err == nil {
			t.Errorf("%v: no error", bad)
		}
	}
}

func TestConfigFile(t *testing.T) {
	dir := t.TempDir()
	write := func(text string) string {
		p := filepath.Join(dir, fmt.Sprintf("c%d.yaml", time.Now().UnixNano()))
		if err := os.WriteFile(p, []byte(text), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	good := write(`
backend: eventloop
realms: [{uri: realm1}, {uri: strict, strict_uri: true, max_option_list_len: 50, session_kill: true, max_testaments: 4, max_testament_bytes: 1000, retained_topics: 5, history: [{topic: com.log, match: prefix, limit: 3}], max_pending_calls_per_session: 7}]
listeners:
  - {type: websocket, address: "127.0.0.1:0", serializers: [cbor, json], max_connections: 7, max_connections_per_address: 3}
  - {type: rawsocket, unix: /tmp/switchboard-test.sock}
shutdown_timeout: 2s
max_handshakes: 9
max_handshakes_per_address: -1
rate_limit: 2.5
rate_burst: 4
`)
	c, err := parseFlags([]string{"-config", good}, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if c.Backend != "eventloop" || !c.Realms[1].StrictURI || c.Realms[1].MaxOptionListLen != 50 ||
		!c.Realms[1].SessionKill || c.Realms[0].SessionKill || c.Realms[1].MaxTestaments != 4 || c.Realms[1].MaxTestamentBytes != 1000 ||
		c.Realms[1].RetainedTopics != 5 || len(c.Realms[1].History) != 1 || c.Realms[1].History[0].Limit != 3 || c.ShutdownTimeout != 2*time.Second ||
		c.Listeners[0].Serializers[0] != "cbor" || c.Listeners[1].Unix == "" || c.Listeners[0].Path != "/ws" ||
		c.Listeners[0].MaxConnections != 7 || c.Listeners[0].MaxConnectionsPerAddress != 3 || c.Listeners[1].MaxConnections != 0 ||
		c.Realms[1].MaxPendingCallsPerSession != 7 || c.Realms[1].core().MaxPendingCallsPerSession != 7 ||
		c.MaxHandshakes != 9 || c.MaxHandshakesPerAddress != -1 || c.RateLimit != 2.5 || c.RateBurst != 4 {
		t.Fatalf("loaded %+v", c)
	}
	cases := map[string]string{
		"unknown key":              "realms: [{uri: r}]\nlisteners: [{type: websocket, address: ':0'}]\nbakend: pool\n",
		"no listener":              "realms: [{uri: r}]\n",
		"bad type":                 "realms: [{uri: r}]\nlisteners: [{type: http, address: ':0'}]\n",
		"address and unix":         "realms: [{uri: r}]\nlisteners: [{type: rawsocket, address: ':0', unix: /x}]\n",
		"bad serializer":           "realms: [{uri: r}]\nlisteners: [{type: websocket, address: ':0', serializers: [xml]}]\n",
		"half tls":                 "realms: [{uri: r}]\nlisteners: [{type: websocket, address: ':0', tls: {cert: a}}]\n",
		"negative list max":        "realms: [{uri: r, max_option_list_len: -1}]\nlisteners: [{type: websocket, address: ':0'}]\n",
		"negative pending calls":   "realms: [{uri: r, max_pending_calls_per_session: -1}]\nlisteners: [{type: websocket, address: ':0'}]\n",
		"handshakes below -1":      "realms: [{uri: r}]\nlisteners: [{type: websocket, address: ':0'}]\nmax_handshakes: -2\n",
		"negative rate":            "realms: [{uri: r}]\nlisteners: [{type: websocket, address: ':0'}]\nrate_limit: -1\n",
		"negative burst":           "realms: [{uri: r}]\nlisteners: [{type: websocket, address: ':0'}]\nrate_burst: -1\n",
		"negative conns":           "realms: [{uri: r}]\nlisteners: [{type: websocket, address: ':0', max_connections: -1}]\n",
		"negative per addr":        "realms: [{uri: r}]\nlisteners: [{type: rawsocket, address: ':0', max_connections_per_address: -2}]\n",
		"bad log format":           "realms: [{uri: r}]\nlisteners: [{type: websocket, address: ':0'}]\nlog: {format: xml}\n",
		"json and text":            "realms: [{uri: r}]\nlisteners: [{type: websocket, address: ':0'}]\nlog: {format: text, json: true}\n",
		"bad log level":            "realms: [{uri: r}]\nlisteners: [{type: websocket, address: ':0'}]\nlog: {level: loud}\n",
		"duplicate realm":          "realms: [{uri: r}, {uri: r}]\nlisteners: [{type: websocket, address: ':0'}]\n",
		"negative drain":           "realms: [{uri: r}]\nlisteners: [{type: websocket, address: ':0'}]\ndrain_timeout: -1s\n",
		"negative sessions":        "realms: [{uri: r, max_sessions: -1}]\nlisteners: [{type: websocket, address: ':0'}]\n",
		"metrics path":             "realms: [{uri: r}]\nlisteners: [{type: websocket, address: ':0'}]\nmetrics: {address: ':0', path: /healthz}\n",
		"negative testaments":      "realms: [{uri: r, max_testaments: -1}]\nlisteners: [{type: websocket, address: ':0'}]\n",
		"history bad match":        "realms: [{uri: r, history: [{topic: com.x, match: regex}]}]\nlisteners: [{type: websocket, address: ':0'}]\n",
		"negative retained":        "realms: [{uri: r, retained_topics: -1}]\nlisteners: [{type: websocket, address: ':0'}]\n",
		"negative testament bytes": "realms: [{uri: r, max_testament_bytes: -1}]\nlisteners: [{type: websocket, address: ':0'}]\n",
	}
	for name, text := range cases {
		if _, err := parseFlags([]string{"-config", write(text)}, io.Discard); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
	if _, err := parseFlags([]string{"-config", good, "-addr", ":1"}, io.Discard); err == nil {
		t.Error("-config with -addr: no error")
	}
}

// The binary's server on every backend: clients on each kind of listener
// (WebSocket, RawSocket over TCP, over a Unix socket, and both on one TLS
// port) and with different serializers call each other in one realm, and
// on shutdown all get GOODBYE wamp.close.system_shutdown.
func TestServeEveryListener(t *testing.T) {
	dir := t.TempDir()
	cert, key, pool := writeTestCert(t, dir)
	for _, backend := range backends {
		t.Run(backend, func(t *testing.T) {
			c := Config{
				Backend: backend,
				Realms:  []RealmConfig{{URI: "realm1"}},
				Listeners: []ListenerConfig{
					{Type: "websocket", Address: "127.0.0.1:0"},
					{Type: "rawsocket", Address: "127.0.0.1:0"},
					{Type: "rawsocket", Unix: filepath.Join(dir, backend+".sock")},
					{Type: "both", Address: "127.0.0.1:0", TLS: &TLSFiles{Cert: cert, Key: key}},
				},
			}.withDefaults()
			if err := c.Validate(); err != nil {
				t.Fatal(err)
			}
			srv, err := start(c, slog.New(slog.NewTextHandler(io.Discard, nil)))
			if err != nil {
				t.Fatal(err)
			}
			u := srv.URLs()
			port := func(i int) string { _, p, _ := net.SplitHostPort(strings.SplitN(u[i], "://", 2)[1]); return p }
			dials := []struct{ url, ser string }{
				{u[0], "json"},
				{u[1], "cbor"},
				{"rs+unix://" + c.Listeners[2].Unix, "msgpack"},
				{"wss://localhost:" + port(3) + "/ws", "msgpack"},
				{"rss://localhost:" + port(3), "json"},
			}
			ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
			defer cancel()
			be := goroutine.New(goroutine.Config{})
			defer be.Close()
			var sessions []*client.Session
			for i, d := range dials {
				ser, _ := serialize.ByName(d.ser)
				s, err := client.Dial(ctx, d.url, client.Config{Realm: "realm1", Backend: be, Serializers: []serialize.Serializer{ser},
					TLSConfig: &tls.Config{RootCAs: pool}})
				if err != nil {
					t.Fatalf("dial %s (%s): %v", d.url, d.ser, err)
				}
				proc := wamp.URI(fmt.Sprintf("com.example.p%d", i))
				if _, err := s.Register(ctx, proc, func(_ context.Context, inv *client.Invocation) (*client.Result, error) {
					return &client.Result{Args: wamp.List{int64(i), inv.Args[0]}}, nil
				}, nil); err != nil {
					t.Fatal(err)
				}
				sessions = append(sessions, s)
			}
			for i, s := range sessions {
				j := (i + 1) % len(sessions)
				res, err := s.Call(ctx, wamp.URI(fmt.Sprintf("com.example.p%d", j)), wamp.List{[]byte{byte(i), 255}}, nil, nil)
				if err != nil {
					t.Fatalf("%s calling p%d: %v", dials[i].url, j, err)
				}
				if n, _ := wamp.ToInt(res.Args[0]); n != int64(j) {
					t.Fatalf("result %v from p%d", res.Args, j)
				}
				if b, ok := res.Args[1].([]byte); !ok || b[0] != byte(i) || b[1] != 255 {
					t.Fatalf("bytes came back as %#v", res.Args[1])
				}
			}
			if err := srv.Shutdown(5 * time.Second); err != nil {
				t.Fatalf("shutdown: %v", err)
			}
			for i, s := range sessions {
				<-s.Done()
				var ce *client.CloseError
				if !errors.As(s.Err(), &ce) || ce.Reason != wamp.CloseSystemShutdown {
					t.Fatalf("session %d (%s) ended with %v, want %s", i, dials[i].url, s.Err(), wamp.CloseSystemShutdown)
				}
			}
		})
	}
}

// writeTestCert writes a self-signed certificate for localhost and its key
// as PEM files, returning their paths and a pool that trusts it.
func writeTestCert(t *testing.T, dir string) (certFile, keyFile string, pool *x509.CertPool) {
	t.Helper()
	priv, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "localhost"},
		DNSNames: []string{"localhost"}, IPAddresses: []net.IP{net.ParseIP("127.0.0.1")},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &priv.PublicKey, priv)
	if err != nil {
		t.Fatal(err)
	}
	kb, err := x509.MarshalECPrivateKey(priv)
	if err != nil {
		t.Fatal(err)
	}
	certFile, keyFile = filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	if err := os.WriteFile(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kb}), 0o600); err != nil {
		t.Fatal(err)
	}
	c, _ := x509.ParseCertificate(der)
	pool = x509.NewCertPool()
	pool.AddCert(c)
	return certFile, keyFile, pool
}

// The example configuration shipped beside the binary loads and validates.
func TestExampleConfig(t *testing.T) {
	c, err := parseFlags([]string{"-config", "switchboard.example.yaml"}, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if len(c.Realms) != 3 || len(c.Realms[2].Roles) != 2 || len(c.Realms[2].coreRoles()[1].Permissions) != 2 || len(c.Listeners) != 3 || c.Listeners[2].Unix == "" || !c.Realms[1].StrictURI ||
		c.Realms[1].MaxOptionListLen != 1024 || c.Listeners[0].MaxConnections != 10000 ||
		c.Listeners[0].MaxConnectionsPerAddress != 100 || c.Listeners[1].MaxConnections != 10000 {
		t.Fatalf("loaded %+v", c)
	}
}

// run maps the outcome to the exit status: -h is 0 (and its usage lists the
// subcommands), an error 1 with the message on stderr.
func TestRunExitStatus(t *testing.T) {
	var out, errOut strings.Builder
	if code := run([]string{"-h"}, &out, &errOut); code != 0 || !strings.Contains(errOut.String(), "Usage: switchboard") {
		t.Fatalf("-h: exit %d, stderr %q", code, errOut.String())
	}
	for _, sub := range []string{"switchboard bench", "switchboard version", "switchboard config check FILE", "switchboard config check switchboard.yaml"} {
		if !strings.Contains(errOut.String(), sub) {
			t.Errorf("-h does not mention %q", sub)
		}
	}
	errOut.Reset()
	if code := run([]string{"extra"}, &out, &errOut); code != 1 || !strings.HasPrefix(errOut.String(), "switchboard: unexpected argument") {
		t.Fatalf("extra: exit %d, stderr %q", code, errOut.String())
	}
}

// Validate's problems are all listed, each with its key path.
func TestConfigProblems(t *testing.T) {
	c := Config{
		Backend:   "threads",
		Realms:    []RealmConfig{{URI: "r"}, {MaxOptionListLen: -1}},
		Listeners: []ListenerConfig{{Type: "websocket", Address: ":0", Serializers: []string{"json", "xml"}}, {Type: "http", MaxConnections: -1, MaxConnectionsPerAddress: -5}},
	}.withDefaults()
	var got []string
	for _, p := range c.problems() {
		got = append(got, p.Error())
	}
	want := []string{
		`backend: "threads": want one of [goroutine eventloop pool]`,
		`realms[1].uri: empty`,
		`realms[1].max_option_list_len: -1: want 0 (the default, 1024) or more`,
		`listeners[0].serializers[1]: "xml": want json, msgpack or cbor`,
		`listeners[1].type: "http": want websocket, rawsocket or both`,
		`listeners[1]: set exactly one of address and unix`,
		`listeners[1].max_connections: -1: want 0 (unlimited) or more`,
		`listeners[1].max_connections_per_address: -5: want 0 (unlimited) or more`,
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("problems:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if err := c.Validate(); err == nil || err.Error() != want[0] {
		t.Fatalf("Validate = %v, want the first problem", err)
	}
}
