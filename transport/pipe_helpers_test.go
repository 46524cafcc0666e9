package transport

import (
	"bufio"
	"bytes"
	"crypto/sha1"
	"encoding/base64"
	"encoding/binary"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"github.com/lxzan/gws"
)

// Helpers for driving a transport over in-memory connections (net.Pipe):
// no listener, no port, and a connection whose reads can be made to panic.

// hijackWriter is an http.ResponseWriter and http.Hijacker whose hijacked
// connection is conn, for calling WebSocketServer.ServeHTTP directly.
type hijackWriter struct {
	conn   net.Conn
	header http.Header
	code   int
	body   bytes.Buffer
}

func newHijackWriter(conn net.Conn) *hijackWriter {
	return &hijackWriter{conn: conn, header: http.Header{}}
}

func (w *hijackWriter) Header() http.Header         { return w.header }
func (w *hijackWriter) Write(b []byte) (int, error) { return w.body.Write(b) }
func (w *hijackWriter) WriteHeader(code int)        { w.code = code }

func (w *hijackWriter) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	return w.conn, bufio.NewReadWriter(bufio.NewReader(w.conn), bufio.NewWriter(w.conn)), nil
}

const testWSKey = "dGhlIHNhbXBsZSBub25jZQ=="

// upgradeRequest is a WebSocket upgrade request offering protocol, with
// permessage-deflate offered when deflate is set.
func upgradeRequest(protocol string, deflate bool) *http.Request {
	r := httptest.NewRequest(http.MethodGet, "/ws", nil)
	r.RemoteAddr = "pipe"
	r.Header.Set("Upgrade", "websocket")
	r.Header.Set("Connection", "Upgrade")
	r.Header.Set("Sec-WebSocket-Key", testWSKey)
	r.Header.Set("Sec-WebSocket-Version", "13")
	r.Header.Set("Sec-WebSocket-Protocol", protocol)
	if deflate {
		r.Header.Set("Sec-WebSocket-Extensions", "permessage-deflate; client_no_context_takeover; server_no_context_takeover")
	}
	return r
}

// pipeUpgrade upgrades a net.Pipe connection on srv, the server's end
// wrapped by wrap (may be nil). It returns the client's end and a reader
// on it positioned after the 101 response.
func pipeUpgrade(t testing.TB, srv *WebSocketServer, deflate bool, wrap func(net.Conn) net.Conn) (net.Conn, *bufio.Reader) {
	t.Helper()
	cEnd, sEnd := net.Pipe()
	t.Cleanup(func() { cEnd.Close() })
	var sc net.Conn = sEnd
	if wrap != nil {
		sc = wrap(sEnd)
	}
	br := bufio.NewReader(cEnd)
	resp := make(chan error, 1)
	go func() { // the 101 is written to the pipe during ServeHTTP
		r, err := http.ReadResponse(br, nil)
		if err == nil && r.StatusCode != http.StatusSwitchingProtocols {
			err = fmt.Errorf("upgrade answered %s", r.Status)
		}
		resp <- err
	}()
	// ServeHTTP goes on as the connection's reader after the upgrade.
	go srv.ServeHTTP(newHijackWriter(sc), upgradeRequest("wamp.2.json", deflate))
	select {
	case err := <-resp:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(waitFor):
		t.Fatal("no answer to the upgrade")
	}
	return cEnd, br
}

// panicConn is a connection whose reads panic once armed: the panic
// happens after the wrapped read returned, deep inside whatever parses the
// connection (gws, the RawSocket reader, a handshake, the Mux's sniffing).
type panicConn struct {
	net.Conn
	armed atomic.Bool
}

func (c *panicConn) Read(b []byte) (int, error) {
	n, err := c.Conn.Read(b)
	if c.armed.Load() {
		panic("panicConn: armed read")
	}
	return n, err
}

// NetConn unwraps (isTLS, tlsConnOf).
func (c *panicConn) NetConn() net.Conn { return c.Conn }

// wsAccept is the Sec-WebSocket-Accept value for key (RFC 6455 §4.2.2).
func wsAccept(key string) string {
	h := sha1.Sum([]byte(key + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"))
	return base64.StdEncoding.EncodeToString(h[:])
}

// serverUpgrade plays a WebSocket server's handshake on c: it reads the
// request and returns the 101 response (subprotocol wamp.2.json) for the
// caller to write, possibly together with frames.
func serverUpgrade(t testing.TB, c net.Conn) (*bufio.Reader, []byte) {
	t.Helper()
	br := bufio.NewReader(c)
	req, err := http.ReadRequest(br)
	if err != nil {
		t.Errorf("fake server: reading the upgrade request: %v", err)
		return br, nil
	}
	return br, fmt.Appendf(nil, "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"+
		"Sec-WebSocket-Accept: %s\r\nSec-WebSocket-Protocol: wamp.2.json\r\n\r\n",
		wsAccept(req.Header.Get("Sec-WebSocket-Key")))
}

// readFrameFrom reads one frame, unmasking it if masked.
func readFrameFrom(br *bufio.Reader) (opcode byte, payload []byte, err error) {
	var h [2]byte
	if _, err = io.ReadFull(br, h[:]); err != nil {
		return 0, nil, err
	}
	n := uint64(h[1] & 0x7f)
	switch n {
	case 126:
		var b [2]byte
		_, err = io.ReadFull(br, b[:])
		n = uint64(binary.BigEndian.Uint16(b[:]))
	case 127:
		var b [8]byte
		_, err = io.ReadFull(br, b[:])
		n = binary.BigEndian.Uint64(b[:])
	}
	if err != nil {
		return 0, nil, err
	}
	if n > 1<<20 {
		return 0, nil, fmt.Errorf("frame of %d bytes", n)
	}
	var key [4]byte
	if h[1]&0x80 != 0 {
		if _, err = io.ReadFull(br, key[:]); err != nil {
			return 0, nil, err
		}
	}
	payload = make([]byte, n)
	if _, err = io.ReadFull(br, payload); err != nil {
		return 0, nil, err
	}
	for i := range payload {
		payload[i] ^= key[i%4]
	}
	return h[0] & 0x0f, payload, nil
}

// closeOutcome reads frames until a close frame (returning its code) or
// the end of the connection (returning -1 and the error). Data frames
// before it are skipped.
func closeOutcome(br *bufio.Reader) (int, error) {
	for {
		op, p, err := readFrameFrom(br)
		if err != nil {
			return -1, err
		}
		if op == 0x8 {
			if len(p) < 2 {
				return 1005, nil
			}
			return int(binary.BigEndian.Uint16(p)), nil
		}
	}
}

// maskedFrame is a final, masked (client) frame with opcode op.
func maskedFrame(op byte, payload []byte) []byte {
	return appendWSFrame(nil, gws.Opcode(op), payload, true)
}
