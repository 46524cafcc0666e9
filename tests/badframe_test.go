package tests

import (
	"bufio"
	"encoding/binary"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"
)

// A WebSocket frame whose 64-bit payload length has its most significant
// bit set (forbidden by RFC 6455 §5.2) used to end the whole router process
// (gws sized a buffer from it). Every variant now closes only that
// connection, and the router then serves a new session normally.
func TestInvalidFrameLengthKeepsRouterServing(t *testing.T) {
	variants := map[string][]byte{
		"reported": {0x82, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x00, 0x00, 0x00, 0x00},
	}
	for _, op := range []byte{0, 1, 2} {
		for _, n := range []uint64{0x8000000000000000, 0x8000000001000000, 0xfffffffffffffff0} {
			b := binary.BigEndian.AppendUint64([]byte{0x80 | op, 0x80 | 127}, n)
			variants[fmt.Sprintf("op%d-len%#x", op, n)] = append(b, 0, 0, 0, 0)
		}
	}
	forEachBackend(t, func(t *testing.T, b backend) {
		r := startRouter(t, b)
		for name, frame := range variants {
			t.Run(name, func(t *testing.T) {
				c, br := rawUpgrade(t, r.URL, "wamp.2.json")
				if _, err := c.Write(frame); err != nil {
					t.Fatal(err)
				}
				if code, err := closeCode(br); code != 1002 && code != -1 {
					t.Fatalf("router answered close code %d (%v), want 1002 or the connection ending", code, err)
				}

				q := dialWire(t, r.URL, "wamp.2.json")
				q.join("realm1")
				q.send(`[48,1,{},"com.example.go.add",[20,22]]`)
				q.want(50, 1, nil, []any{42})
			})
		}
	})
}

// rawUpgrade opens a WebSocket connection to url by hand, for sending
// bytes no WebSocket library would. It returns the connection and a reader
// positioned after the 101 response.
func rawUpgrade(t *testing.T, url, protocol string) (net.Conn, *bufio.Reader) {
	t.Helper()
	hostPath := strings.TrimPrefix(url, "ws://")
	host, path, _ := strings.Cut(hostPath, "/")
	c, err := net.Dial("tcp", host)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	_ = c.SetDeadline(time.Now().Add(10 * time.Second)) // failure guard only
	fmt.Fprintf(c, "GET /%s HTTP/1.1\r\nHost: %s\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"+
		"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n"+
		"Sec-WebSocket-Protocol: %s\r\n\r\n", path, host, protocol)
	br := bufio.NewReader(c)
	resp, err := http.ReadResponse(br, nil)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != http.StatusSwitchingProtocols {
		t.Fatalf("upgrade: %s", resp.Status)
	}
	return c, br
}

// closeCode reads the router's frames until a close frame, returning its
// code, or -1 and the error when the connection ends first.
func closeCode(br *bufio.Reader) (int, error) {
	for {
		var h [2]byte
		if _, err := io.ReadFull(br, h[:]); err != nil {
			return -1, err
		}
		n := uint64(h[1] & 0x7f)
		switch n {
		case 126:
			var b [2]byte
			if _, err := io.ReadFull(br, b[:]); err != nil {
				return -1, err
			}
			n = uint64(binary.BigEndian.Uint16(b[:]))
		case 127:
			var b [8]byte
			if _, err := io.ReadFull(br, b[:]); err != nil {
				return -1, err
			}
			n = binary.BigEndian.Uint64(b[:])
		}
		if n > 1<<20 {
			return -1, fmt.Errorf("router sent a frame of %d bytes", n)
		}
		p := make([]byte, n)
		if _, err := io.ReadFull(br, p); err != nil {
			return -1, err
		}
		if h[0]&0x0f == 0x8 {
			if len(p) < 2 {
				return 1005, nil
			}
			return int(binary.BigEndian.Uint16(p)), nil
		}
	}
}
