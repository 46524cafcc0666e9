package transport

import (
	"bufio"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"io"
	"math/big"
	"net"
	"testing"
	"time"

	"github.com/switchboard-wamp/switchboard/core/serialize"
)

// rsTestServer is a RawSocketServer serving a loopback listener.
type rsTestServer struct {
	*RawSocketServer
	network, addr string
	stats         *Stats
	accepted      chan *recorder
}

// startRS serves cfg on ln (nil = a new 127.0.0.1:0 TCP listener).
func startRS(t testing.TB, cfg RawSocketConfig, ln net.Listener, setup func(*recorder)) *rsTestServer {
	t.Helper()
	if cfg.Serializers == nil {
		cfg.Serializers = []serialize.Serializer{codecJSON}
	}
	if cfg.Logger == nil {
		cfg.Logger = quietLogger
	}
	if cfg.Stats == nil {
		cfg.Stats = new(Stats)
	}
	if ln == nil {
		var err error
		if ln, err = net.Listen("tcp", "127.0.0.1:0"); err != nil {
			t.Fatal(err)
		}
	}
	a, ch := acceptInto(t, setup)
	srv, err := NewRawSocketServer(cfg, a)
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ln) }()
	t.Cleanup(func() {
		srv.Close()
		if err := <-done; err != ErrServerClosed {
			t.Errorf("Serve returned %v, want ErrServerClosed", err)
		}
	})
	return &rsTestServer{RawSocketServer: srv, network: ln.Addr().Network(), addr: ln.Addr().String(),
		stats: cfg.Stats, accepted: ch}
}

// dialRS dials the server and returns the client peer and its recorder.
func dialRS(t testing.TB, srv *rsTestServer, cfg RawSocketClientConfig) (Peer, *recorder) {
	t.Helper()
	p, r, err := tryDialRS(t, srv.network, srv.addr, cfg)
	if err != nil {
		t.Fatal(err)
	}
	return p, r
}

func tryDialRS(t testing.TB, network, addr string, cfg RawSocketClientConfig) (Peer, *recorder, error) {
	if cfg.Serializer == nil {
		cfg.Serializer = codecJSON
	}
	if cfg.Logger == nil {
		cfg.Logger = quietLogger
	}
	a, ch := acceptInto(t, nil)
	ctx, cancel := context.WithTimeout(context.Background(), waitFor)
	defer cancel()
	p, err := DialRawSocket(ctx, network, addr, cfg, a)
	if err != nil {
		return nil, nil, err
	}
	t.Cleanup(p.Close)
	return p, nextPeer(t, ch), nil
}

// rsRaw is a hand-made RawSocket client for misbehaving peers.
type rsRaw struct {
	net.Conn
	br *bufio.Reader
}

func rsRawDial(t testing.TB, addr string) *rsRaw {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	_ = c.SetDeadline(time.Now().Add(waitFor))
	return &rsRaw{Conn: c, br: bufio.NewReader(c)}
}

// rsRawConnect dials and completes a good handshake for serializer 1 with
// the given LENGTH nibble.
func rsRawConnect(t testing.TB, addr string, lenExp byte) *rsRaw {
	t.Helper()
	c := rsRawDial(t, addr)
	if reply, err := c.handshake(rsHello(1, lenExp)); err != nil || reply[0] != rsMagic || reply[1]&0x0F != 1 {
		t.Fatalf("handshake reply % X, %v", reply, err)
	}
	return c
}

func (c *rsRaw) handshake(hello [4]byte) ([4]byte, error) {
	var reply [4]byte
	if _, err := c.Write(hello[:]); err != nil {
		return reply, err
	}
	_, err := io.ReadFull(c.br, reply[:])
	return reply, err
}

func (c *rsRaw) writeFrame(t testing.TB, typ byte, payload []byte) {
	t.Helper()
	if _, err := c.Write(append(appendRawSocketHeader(nil, typ, len(payload)), payload...)); err != nil {
		t.Fatal(err)
	}
}

func (c *rsRaw) readFrame() (typ byte, payload []byte, err error) {
	var h [4]byte
	if _, err = io.ReadFull(c.br, h[:]); err != nil {
		return 0, nil, err
	}
	n := int(h[1])<<16 | int(h[2])<<8 | int(h[3])
	payload = make([]byte, n)
	_, err = io.ReadFull(c.br, payload)
	return h[0], payload, err
}

// readMessage skips PINGs and returns the next message frame's payload.
func (c *rsRaw) readMessage(t testing.TB) []byte {
	t.Helper()
	for {
		// Each frame gets its own deadline: a test reading megabytes under
		// the race detector on a loaded machine may take longer in all.
		_ = c.SetReadDeadline(time.Now().Add(waitFor))
		typ, p, err := c.readFrame()
		if err != nil {
			t.Fatalf("reading a frame: %v", err)
		}
		if typ == rsFrameMessage {
			return p
		}
	}
}

// waitEOF asserts that the server closes the connection (EOF or reset)
// without sending anything more than frames.
func (c *rsRaw) waitEOF(t testing.TB) {
	t.Helper()
	for {
		if _, _, err := c.readFrame(); err != nil {
			if ne, ok := err.(net.Error); ok && ne.Timeout() {
				t.Fatal("connection not closed")
			}
			return
		}
	}
}

// selfSigned makes a throwaway ECDSA certificate for 127.0.0.1 and
// "localhost" at test time, and a pool that trusts it.
func selfSigned(t testing.TB) (tls.Certificate, *x509.CertPool) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: "switchboard test"},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(time.Hour),
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true,
		IsCA:                  true,
		DNSNames:              []string{"localhost"},
		IPAddresses:           []net.IP{net.IPv4(127, 0, 0, 1)},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	leaf, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AddCert(leaf)
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key, Leaf: leaf}, pool
}
