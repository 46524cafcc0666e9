package transport

import (
	"context"
	"crypto/tls"
	"errors"
	"io"
	"net"
	"path/filepath"
	"strings"
	"testing"

	"github.com/switchboard-wamp/switchboard/core/serialize"
	"github.com/switchboard-wamp/switchboard/core/wamp"
)

// rsListeners are the listeners a RawSocket server is tested on.
func rsListeners(t *testing.T) map[string]func(t *testing.T) (net.Listener, *tls.Config) {
	return map[string]func(t *testing.T) (net.Listener, *tls.Config){
		"tcp": func(t *testing.T) (net.Listener, *tls.Config) {
			ln, err := net.Listen("tcp", "127.0.0.1:0")
			must(t, err)
			return ln, nil
		},
		"unix": func(t *testing.T) (net.Listener, *tls.Config) {
			ln, err := net.Listen("unix", filepath.Join(t.TempDir(), "rs.sock"))
			must(t, err)
			return ln, nil
		},
		"tls": func(t *testing.T) (net.Listener, *tls.Config) {
			cert, pool := selfSigned(t)
			ln, err := net.Listen("tcp", "127.0.0.1:0")
			must(t, err)
			return tls.NewListener(ln, ServerTLSConfig(cert)), &tls.Config{RootCAs: pool}
		},
	}
}

func must(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func TestRawSocketRoundTrip(t *testing.T) {
	for name, listen := range rsListeners(t) {
		t.Run(name, func(t *testing.T) {
			ln, clientTLS := listen(t)
			srv := startRS(t, RawSocketConfig{}, ln, func(r *recorder) { r.onMessage = echo })
			client, cr := dialRS(t, srv, RawSocketClientConfig{TLSConfig: clientTLS})
			sr := nextPeer(t, srv.accepted)
			const n = 300
			for i := 1; i <= n; i++ {
				if !client.Send(event(i)) {
					t.Fatalf("Send %d failed", i)
				}
			}
			for i := 1; i <= n; i++ {
				if got := publicationOf(t, cr.nextMsg(t)); got != i {
					t.Fatalf("message %d: publication %d", i, got)
				}
			}
			si, ci := sr.peer.Info(), client.Info()
			checks := []struct {
				name      string
				got, want any
			}{
				{"server transport", si.Transport, "rawsocket"},
				{"client transport", ci.Transport, "rawsocket"},
				{"server serializer", si.Serializer, "json"},
				{"client peer addr", ci.PeerAddr, srv.addr},
				{"server TLS", si.TLS, clientTLS != nil},
				{"client TLS", ci.TLS, clientTLS != nil},
				{"accepted", srv.stats.Accepted.Load(), int64(1)},
			}
			for _, c := range checks {
				if c.got != c.want {
					t.Errorf("%s = %v, want %v", c.name, c.got, c.want)
				}
			}
			// An orderly close from the client: the server sees the end,
			// the client gets Closed(nil).
			client.Close()
			if err := cr.waitClosed(t); err != nil {
				t.Errorf("client Closed(%v), want nil", err)
			}
			if err := sr.waitClosed(t); !errors.Is(err, io.EOF) {
				t.Errorf("server Closed(%v), want io.EOF", err)
			}
		})
	}
}

func TestRawSocketRealSerializers(t *testing.T) {
	sers := serialize.All()
	srv := startRS(t, RawSocketConfig{Serializers: sers}, nil, func(r *recorder) { r.onMessage = echo })
	for _, ser := range sers {
		t.Run(ser.Name(), func(t *testing.T) {
			client, cr := dialRS(t, srv, RawSocketClientConfig{Serializer: ser})
			sr := nextPeer(t, srv.accepted)
			if got := sr.peer.Info().Serializer; got != ser.Name() {
				t.Fatalf("server picked %q", got)
			}
			call := &wamp.Call{Request: 7, Options: wamp.Dict{}, Procedure: "com.example.add",
				Args: wamp.List{int64(1), "two"}, Kwargs: wamp.Dict{"k": "v"}}
			client.Send(call)
			got, ok := cr.nextMsg(t).(*wamp.Call)
			if !ok || got.Request != 7 || got.Procedure != "com.example.add" || len(got.Args) != 2 || got.Kwargs["k"] != "v" {
				t.Fatalf("echoed %#v", got)
			}
		})
	}
}

func TestRawSocketServerClose(t *testing.T) {
	srv := startRS(t, RawSocketConfig{}, nil, nil)
	client, cr := dialRS(t, srv, RawSocketClientConfig{})
	sr := nextPeer(t, srv.accepted)
	const n = 100
	for i := 1; i <= n; i++ {
		sr.peer.Send(event(i))
	}
	shaking := rsRawDial(t, srv.addr) // connected, never sends its handshake
	srv.Close()
	for i := 1; i <= n; i++ { // flushed before the close
		if got := publicationOf(t, cr.nextMsg(t)); got != i {
			t.Fatalf("message %d: publication %d", i, got)
		}
	}
	if err := sr.waitClosed(t); !errors.Is(err, ErrServerClosed) {
		t.Errorf("server peer Closed(%v), want ErrServerClosed", err)
	}
	if err := cr.waitClosed(t); !errors.Is(err, io.EOF) {
		t.Errorf("client Closed(%v), want io.EOF", err)
	}
	shaking.waitEOF(t)
	if client.Send(event(1)) {
		t.Error("Send after the connection ended succeeded")
	}
	if _, _, err := tryDialRS(t, srv.network, srv.addr, RawSocketClientConfig{}); err == nil {
		t.Error("dial after Close succeeded")
	}
}

func TestRawSocketHandshakeOverTheWire(t *testing.T) {
	tests := []struct {
		name  string
		hello []byte
		reply []byte // nil: the connection is failed without a reply
	}{
		{"good, 16 MiB", []byte{0x7F, 0xF1, 0, 0}, []byte{0x7F, 0xF1, 0, 0}},
		{"good, 512 B", []byte{0x7F, 0x01, 0, 0}, []byte{0x7F, 0xF1, 0, 0}},
		{"serializer unsupported", []byte{0x7F, 0xF2, 0, 0}, []byte{0x7F, 0x10, 0, 0}},
		{"serializer 0", []byte{0x7F, 0xF0, 0, 0}, []byte{0x7F, 0x10, 0, 0}},
		{"reserved octets", []byte{0x7F, 0xF1, 0, 7}, []byte{0x7F, 0x30, 0, 0}},
		{"bad first octet", []byte{'G', 'E', 'T', ' '}, nil},
		{"bad first octet alone", []byte{0x16}, nil},
	}
	srv := startRS(t, RawSocketConfig{}, nil, nil)
	other, or := dialRS(t, srv, RawSocketClientConfig{}) // unaffected by the bad ones
	osr := nextPeer(t, srv.accepted)
	osr.onMessage = echo
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := rsRawDial(t, srv.addr)
			_, err := c.Write(tc.hello)
			must(t, err)
			got, err := io.ReadAll(io.LimitReader(c.br, 4))
			if tc.reply == nil {
				if len(got) != 0 {
					t.Fatalf("reply % X, want none", got)
				}
				c.waitEOF(t)
				return
			}
			if string(got) != string(tc.reply) {
				t.Fatalf("reply % X (%v), want % X", got, err, tc.reply)
			}
			if tc.reply[1]&0x0F == 0 {
				c.waitEOF(t)
				return
			}
			sr := nextPeer(t, srv.accepted)
			sr.peer.Send(event(5))
			if m, err := codecJSON.Decode(c.readMessage(t)); err != nil || publicationOf(t, m) != 5 {
				t.Fatalf("message after handshake: %v %v", m, err)
			}
		})
	}
	other.Send(event(77))
	if got := publicationOf(t, or.nextMsg(t)); got != 77 {
		t.Fatalf("other connection echo %d", got)
	}
	if got := srv.stats.Rejected.Load(); got != 5 {
		t.Errorf("Rejected = %d, want 5", got)
	}
}

func TestRawSocketDialHandshakeErrors(t *testing.T) {
	srv := startRS(t, RawSocketConfig{MaxConnections: 1}, nil, nil)
	tests := []struct {
		name string
		cfg  RawSocketClientConfig
		code RawSocketErrorCode
	}{
		{"serializer unsupported", RawSocketClientConfig{Serializer: codecAs{codecJSON, 2}}, RawSocketErrorSerializerUnsupported},
	}
	for _, tc := range tests {
		_, _, err := tryDialRS(t, srv.network, srv.addr, tc.cfg)
		var he *RawSocketHandshakeError
		if !errors.As(err, &he) || he.Code != tc.code {
			t.Errorf("%s: %v, want handshake error %d", tc.name, err, tc.code)
		}
	}
	// The refused handshakes held the one slot until the server closed them.
	eventually(t, "the refused handshakes' slots to be released", func() bool { n, _ := srv.limits.counts(""); return n == 0 })
	// MaxConnections 1: the second connection gets error 4, and once the
	// first is gone there is room again.
	first, fr := dialRS(t, srv, RawSocketClientConfig{})
	sr := nextPeer(t, srv.accepted)
	_, _, err := tryDialRS(t, srv.network, srv.addr, RawSocketClientConfig{})
	var he *RawSocketHandshakeError
	if !errors.As(err, &he) || he.Code != RawSocketErrorMaxConnections {
		t.Fatalf("second connection: %v, want error 4", err)
	}
	if !strings.Contains(err.Error(), "maximum connection count reached") {
		t.Errorf("error text %q", err)
	}
	first.Close()
	fr.waitClosed(t)
	sr.waitClosed(t)
	// The slot is released just after Handler.Closed returns.
	eventually(t, "the slot to be released", func() bool { n, _ := srv.limits.counts(""); return n == 0 })
	dialRS(t, srv, RawSocketClientConfig{})
	nextPeer(t, srv.accepted)
}

// codecAs is a codec announcing another RawSocket serializer ID.
type codecAs struct {
	testCodec
	id byte
}

func (c codecAs) RawSocketID() byte { return c.id }

func TestRawSocketDialErrors(t *testing.T) {
	ctx := context.Background()
	a := AcceptorFunc(func(Peer) Handler { return nopHandler{} })
	if _, err := DialRawSocket(ctx, "udp", "127.0.0.1:1", RawSocketClientConfig{Serializer: codecJSON}, a); !errors.Is(err, ErrConfig) {
		t.Errorf("udp: %v, want ErrConfig", err)
	}
	if _, err := DialRawSocket(ctx, "tcp", "127.0.0.1:1", RawSocketClientConfig{}, a); !errors.Is(err, ErrConfig) {
		t.Errorf("no serializer: %v, want ErrConfig", err)
	}
	if _, err := DialRawSocket(ctx, "tcp", "127.0.0.1:1", RawSocketClientConfig{Serializer: codecAs{codecJSON, 0}}, a); !errors.Is(err, ErrConfig) {
		t.Errorf("serializer id 0: %v, want ErrConfig", err)
	}
	// A server that is not a RawSocket router: its reply is garbage.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	must(t, err)
	defer ln.Close()
	go func() {
		c, err := ln.Accept()
		if err != nil {
			return
		}
		defer c.Close()
		_, _ = io.ReadFull(c, make([]byte, 4))
		_, _ = c.Write([]byte("HTTP/1.1 400 Bad Request\r\n\r\n"))
	}()
	_, _, err = tryDialRS(t, "tcp", ln.Addr().String(), RawSocketClientConfig{})
	if !errors.Is(err, ErrRawSocketProtocol) {
		t.Errorf("non-rawsocket server: %v, want ErrRawSocketProtocol", err)
	}
}

func TestRawSocketConfigValidate(t *testing.T) {
	tests := []struct {
		name string
		cfg  RawSocketConfig
	}{
		{"no serializers", RawSocketConfig{}},
		{"nil serializer", RawSocketConfig{Serializers: []serialize.Serializer{nil}}},
		{"duplicate id", RawSocketConfig{Serializers: []serialize.Serializer{codecJSON, codecAs{codecCBOR, 1}}}},
		{"id 16", RawSocketConfig{Serializers: []serialize.Serializer{codecAs{codecJSON, 16}}}},
		{"negative max", RawSocketConfig{Serializers: []serialize.Serializer{codecJSON}, MaxMessageBytes: -1}},
		{"negative conns", RawSocketConfig{Serializers: []serialize.Serializer{codecJSON}, MaxConnections: -1}},
		{"negative handshake", RawSocketConfig{Serializers: []serialize.Serializer{codecJSON}, HandshakeTimeout: -1}},
	}
	for _, tc := range tests {
		if err := tc.cfg.Validate(); !errors.Is(err, ErrConfig) {
			t.Errorf("%s: %v, want ErrConfig", tc.name, err)
		}
	}
	if _, err := NewRawSocketServer(RawSocketConfig{Serializers: []serialize.Serializer{codecJSON}}, nil); !errors.Is(err, ErrConfig) {
		t.Errorf("nil acceptor: %v", err)
	}
	srv, err := NewRawSocketServer(RawSocketConfig{Serializers: []serialize.Serializer{codecJSON}, MaxMessageBytes: 100_000},
		AcceptorFunc(func(Peer) Handler { return nopHandler{} }))
	must(t, err)
	if got := srv.MaxMessageBytes(); got != 64<<10 {
		t.Errorf("MaxMessageBytes() = %d, want 65536", got)
	}
	srv.Close()
}
