package transport

import (
	"bufio"
	"bytes"
	"compress/flate"
	"encoding/binary"
	"errors"
	"fmt"
	"net"
	"net/http"
	"testing"
	"time"

	"github.com/lxzan/gws"
)

// badLengthFrame is a masked frame header with opcode op (FIN set) whose
// 64-bit payload length is n, with a zero masking key and no payload.
func badLengthFrame(op byte, n uint64) []byte {
	b := []byte{0x80 | op, 0x80 | 127}
	b = binary.BigEndian.AppendUint64(b, n)
	return append(b, 0, 0, 0, 0)
}

// badFrameVariants are the reported crashers: every data opcode with the
// most significant bit of the 64-bit length set, and the original bytes.
func badFrameVariants() map[string][]byte {
	v := map[string][]byte{
		"reported": {0x82, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x00, 0x00, 0x00, 0x00},
	}
	for _, op := range []byte{0, 1, 2} {
		for _, n := range []uint64{0x8000000000000000, 0x8000000001000000, 0xfffffffffffffff0} {
			v[fmt.Sprintf("op%d-len%#x", op, n)] = badLengthFrame(op, n)
		}
	}
	return v
}

// TestWebSocketServerRefusesInvalidFrameLength: each crasher closes only
// its connection with 1002, the Handler gets the cause, nothing panics
// (not even a recovered panic), and the next connection is served.
func TestWebSocketServerRefusesInvalidFrameLength(t *testing.T) {
	srv := startServer(t, WebSocketConfig{}, func(r *recorder) { r.onMessage = echo })
	var n int64
	for name, frame := range badFrameVariants() {
		t.Run(name, func(t *testing.T) {
			raw := rawDial(t, srv.addr, "wamp.2.json")
			sr := nextPeer(t, srv.accepted)
			_ = raw.SetReadDeadline(time.Now().Add(waitFor)) // failure guard only
			if _, err := raw.Write(frame); err != nil {
				t.Fatal(err)
			}
			if code, err := closeOutcome(raw.br); code != closeProtocolError && code != -1 {
				t.Fatalf("close code %d (%v), want 1002 or the connection ending", code, err)
			}
			wantCloseCode(t, sr.waitClosed(t), closeProtocolError, false)
			n++
			if got := srv.stats.ProtocolErrors.Load(); got != n {
				t.Errorf("ProtocolErrors = %d, want %d", got, n)
			}
			if got := srv.stats.Panics.Load(); got != 0 {
				t.Errorf("Panics = %d: the frame reached gws", got)
			}

			client, cr := dialClient(t, srv.url, WebSocketClientConfig{})
			nextPeer(t, srv.accepted)
			client.Send(event(7))
			if got := publicationOf(t, cr.nextMsg(t)); got != 7 {
				t.Fatalf("fresh connection echo %d", got)
			}
		})
	}
}

// TestWebSocketFrameGuardDetails: what comes before the refused frame is
// delivered; a header split into single-byte writes is refused too; a
// length above MaxMessageBytes (MSB clear) is refused with 1009; with
// permessage-deflate negotiated the guard works the same.
func TestWebSocketFrameGuardDetails(t *testing.T) {
	valid := maskedFrame(0x1, []byte(`[36, 1, 5, {}, []]`))
	tests := []struct {
		name     string
		max      int
		deflate  bool
		writes   [][]byte
		code     int
		messages int // delivered before the close
	}{
		{"valid frames first", 0, false, [][]byte{append(append(bytes.Clone(valid), valid...), badLengthFrame(2, 1<<63)...)}, 1002, 2},
		{"byte by byte", 0, false, splitEvery(append(bytes.Clone(valid), badLengthFrame(1, 1<<63)...), 1), 1002, 1},
		{"64-bit too large", 0, false, [][]byte{badLengthFrame(2, 1<<63-1)}, 1009, 0},
		{"16-bit too large", 1000, false, [][]byte{{0x82, 0x80 | 126, 0x04, 0x00, 1, 2, 3, 4}}, 1009, 0},
		{"7-bit too large", 100, false, [][]byte{{0x82, 0x80 | 101, 1, 2, 3, 4}}, 1009, 0},
		// Within a huge MaxMessageBytes but above what gws can size.
		{"above gws's limit", 3 << 30, false, [][]byte{badLengthFrame(2, 1<<31)}, 1009, 0},
		{"deflate", 0, true, [][]byte{valid, badLengthFrame(2, 1<<63)}, 1002, 1},
		{"deflate compressed frame first", 0, true, [][]byte{append(deflatedFrame(t, `[36, 1, 5, {}, []]`), badLengthFrame(0, 1<<63)...)}, 1002, 1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			srv := startServer(t, WebSocketConfig{MaxMessageBytes: tc.max, Compression: tc.deflate}, nil)
			c, br := pipeUpgrade(t, srv.WebSocketServer, tc.deflate, nil)
			sr := nextPeer(t, srv.accepted)
			outcome := make(chan int, 1)
			go func() { code, _ := closeOutcome(br); outcome <- code }()
			for _, w := range tc.writes {
				if _, err := c.Write(w); err != nil {
					break // the server may close before the last write
				}
			}
			if code := <-outcome; code != tc.code {
				t.Errorf("close code %d, want %d", code, tc.code)
			}
			wantCloseCode(t, sr.waitClosed(t), tc.code, false)
			if got := len(sr.msgs); got != tc.messages {
				t.Errorf("%d messages delivered before the close, want %d", got, tc.messages)
			}
			if got := srv.stats.ProtocolErrors.Load(); got != 1 {
				t.Errorf("ProtocolErrors = %d, want 1", got)
			}
			if got := srv.stats.Panics.Load(); got != 0 {
				t.Errorf("Panics = %d: the frame reached gws", got)
			}
		})
	}
}

func splitEvery(b []byte, n int) [][]byte {
	var out [][]byte
	for len(b) > n {
		out = append(out, b[:n])
		b = b[n:]
	}
	return append(out, b)
}

// deflatedFrame is a masked text frame with RSV1 set holding msg
// compressed (RFC 7692), as a client with permessage-deflate sends it.
func deflatedFrame(t testing.TB, msg string) []byte {
	t.Helper()
	var buf bytes.Buffer
	fw, err := flate.NewWriter(&buf, flate.BestSpeed)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := fw.Write([]byte(msg)); err != nil {
		t.Fatal(err)
	}
	if err := fw.Flush(); err != nil {
		t.Fatal(err)
	}
	p := bytes.TrimSuffix(buf.Bytes(), []byte{0, 0, 0xff, 0xff})
	f := maskedFrame(0x1, p)
	f[0] |= 0x40 // RSV1: compressed
	return f
}

// TestWebSocketClientRefusesInvalidFrameLength: a malicious server's
// crasher closes only that client connection (1002 sent to the server,
// *CloseError 1002 to the Handler), whether it arrives with the 101
// response (read ahead by the handshake) or after it; another client is
// unaffected.
func TestWebSocketClientRefusesInvalidFrameLength(t *testing.T) {
	good := startServer(t, WebSocketConfig{}, func(r *recorder) { r.onMessage = echo })
	other, or := dialClient(t, good.url, WebSocketClientConfig{})
	nextPeer(t, good.accepted)

	for _, withResponse := range []bool{true, false} {
		for name, masked := range badFrameVariants() {
			frame := bytes.Clone(masked)
			frame[1] &^= 0x80 // a server's frames are not masked
			frame = frame[:10]
			t.Run(fmt.Sprintf("%s/with101=%v", name, withResponse), func(t *testing.T) {
				ln, err := net.Listen("tcp", "127.0.0.1:0")
				if err != nil {
					t.Fatal(err)
				}
				defer ln.Close()
				got := make(chan int, 1)
				go func() {
					c, err := ln.Accept()
					if err != nil {
						got <- -2
						return
					}
					defer c.Close()
					br, resp := serverUpgrade(t, c)
					if withResponse {
						_, _ = c.Write(append(resp, frame...))
					} else {
						_, _ = c.Write(resp)
						_, _ = c.Write(frame)
					}
					code, _ := closeOutcome(br)
					got <- code
				}()
				stats := new(Stats)
				_, cr := dialClient(t, "ws://"+ln.Addr().String()+"/ws", WebSocketClientConfig{Stats: stats})
				wantCloseCode(t, cr.waitClosed(t), closeProtocolError, false)
				if code := <-got; code != closeProtocolError {
					t.Errorf("the server read close code %d, want 1002", code)
				}
				if stats.ProtocolErrors.Load() != 1 || stats.Panics.Load() != 0 {
					t.Errorf("ProtocolErrors %d Panics %d, want 1 and 0", stats.ProtocolErrors.Load(), stats.Panics.Load())
				}
				other.Send(event(9))
				if got := publicationOf(t, or.nextMsg(t)); got != 9 {
					t.Fatalf("other client echo %d", got)
				}
			})
		}
	}
}

// TestWSFrameScannerEverySplit feeds a stream of frames of every length
// encoding (masked and not), followed by a refused header, to the scanner
// split into two and into three reads at every position, and one byte at a
// time: the scanner always accepts exactly the bytes before the refused
// frame (plus the start of its header read before the refusal), and refuses
// it with the right code.
func TestWSFrameScannerEverySplit(t *testing.T) {
	var good []byte
	for i, n := range []int{0, 1, 125, 126, 300} {
		good = appendWSFrame(good, gws.OpcodeBinary, bytes.Repeat([]byte{byte(i)}, n), i%2 == 0)
	}
	// Non-minimal 64-bit length (gws admits it; so does the scanner).
	good = append(good, 0x82, 127, 0, 0, 0, 0, 0, 0, 0, 3, 'a', 'b', 'c')
	good = append(good, 0x89, 0x80|4, 1, 2, 3, 4, 'p', 'i', 'n', 'g') // masked ping
	const limit = 1000
	tails := []struct {
		name string
		hdr  []byte
		code uint16
	}{
		{"msb", badLengthFrame(2, 1<<63), closeProtocolError},
		{"msb unmasked", badLengthFrame(0, 0xfffffffffffffff0)[:10], closeProtocolError},
		{"64-bit over max", badLengthFrame(1, limit+1), closeMessageTooBig},
		{"16-bit over max", []byte{0x82, 126, 0x03, 0xE9}, closeMessageTooBig},
	}
	feed := func(t *testing.T, stream []byte, cuts []int) (accepted int, err *wsFrameError) {
		s := wsFrameScanner{max: limit}
		prev := 0
		for _, cut := range append(cuts, len(stream)) {
			chunk := stream[prev:cut]
			prev = cut
			k, ferr := s.scan(chunk)
			accepted += k
			if ferr != nil {
				return accepted, ferr
			}
			if k != len(chunk) {
				t.Fatalf("cuts %v: accepted %d of %d without an error", cuts, k, len(chunk))
			}
		}
		return accepted, nil
	}
	t.Run("good", func(t *testing.T) {
		for i := 0; i <= len(good); i++ {
			for j := i; j <= len(good); j += 11 {
				if n, err := feed(t, good, []int{i, j}); err != nil || n != len(good) {
					t.Fatalf("cuts %d,%d: accepted %d of %d, err %v", i, j, n, len(good), err)
				}
			}
		}
	})
	for _, tail := range tails {
		t.Run(tail.name, func(t *testing.T) {
			stream := append(bytes.Clone(good), tail.hdr...)
			stream = append(stream, good...) // never reached
			bad := len(good)
			lenEnd := bad + 2 // where the refused header's length field ends
			switch tail.hdr[1] & 0x7F {
			case 126:
				lenEnd += 2
			case 127:
				lenEnd += 8
			}
			check := func(cuts []int) {
				t.Helper()
				n, err := feed(t, stream, cuts)
				if err == nil || err.Code != tail.code {
					t.Fatalf("cuts %v: error %v, want code %d", cuts, err, tail.code)
				}
				// The read completing the length field is refused from
				// the frame's start (or from its own start, if later).
				readStart := 0
				for _, c := range cuts {
					if c < lenEnd {
						readStart = c
					}
				}
				if want := max(bad, readStart); n != want {
					t.Fatalf("cuts %v: accepted %d, want %d", cuts, n, want)
				}
			}
			for i := 0; i <= len(stream); i++ {
				check([]int{i})
				for j := i; j <= len(stream); j += 13 {
					check([]int{i, j})
				}
			}
			var every []int
			for i := 1; i < len(stream); i++ {
				every = append(every, i)
			}
			check(every)
		})
	}
}

// TestWSPreambleEnd: the guard finds a handshake response's end where
// net/http does, across splits, so a client scans frames from their first
// byte.
func TestWSPreambleEnd(t *testing.T) {
	for _, resp := range []string{
		"HTTP/1.1 101 OK\r\nUpgrade: websocket\r\n\r\n",
		"HTTP/1.1 101 OK\nUpgrade: websocket\n\n",
		"HTTP/1.1 101 OK\r\nA: b\r\n  folded\r\n \r\n\r\n",
		"HTTP/1.1 101 OK\r\n\n",
		"HTTP/1.1 101 OK\nA: b\n\t\n\n",
	} {
		stream := append([]byte(resp), 0x82, 0x01, 'x')
		if end, ok := httpResponseEnd(stream); !ok || end != len(resp) {
			t.Fatalf("%q: net/http ends it at %d (ok %v), want %d", resp, end, ok, len(resp))
		}
		for cut := 0; cut <= len(stream); cut++ {
			if end := preambleEnd(stream, cut); end != len(resp) {
				t.Fatalf("%q cut at %d: end %d, want %d", resp, cut, end, len(resp))
			}
		}
	}
}

// preambleEnd runs the guard's preamble search over b read in two parts,
// split at cut; it returns the end found, or -1.
func preambleEnd(b []byte, cut int) int {
	var p wsPreamble
	if end := p.find(b[:cut]); end >= 0 {
		return end
	}
	if end := p.find(b[cut:]); end >= 0 {
		return cut + end
	}
	return -1
}

// httpResponseEnd is where http.ReadResponse stops consuming b (the end of
// the headers), if it parses a response.
func httpResponseEnd(b []byte) (int, bool) {
	r := bytes.NewReader(b)
	br := bufio.NewReader(r)
	if _, err := http.ReadResponse(br, nil); err != nil {
		return 0, false
	}
	return len(b) - r.Len() - br.Buffered(), true
}

// FuzzWSPreamble: wherever net/http's response parser accepts a response,
// the guard finds its end at the same octet, however the bytes are split.
func FuzzWSPreamble(f *testing.F) {
	f.Add([]byte("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n\r\n\x82\x01x"), uint16(20))
	f.Add([]byte("HTTP/1.1 101 OK\r\nA: b\r\n  folded\r\n \r\nC: \r\r\n\r\n\x82"), uint16(3))
	f.Add([]byte("HTTP/1.1 101 OK\r\nA: b\r\n  folded\r\n \r\n\r\n\x82"), uint16(30))
	f.Add([]byte("HTTP/1.1 101 OK\nA: b\n\t\n\n\n"), uint16(0))
	f.Fuzz(func(t *testing.T, b []byte, cut uint16) {
		want, ok := httpResponseEnd(b)
		if !ok {
			return
		}
		c := int(cut) % (len(b) + 1)
		if got := preambleEnd(b, c); got != want {
			t.Fatalf("%q (cut %d): guard ends the headers at %d, net/http at %d", b, c, got, want)
		}
	})
}

// BenchmarkWSFrameScanner is the guard's cost per read of a buffer of
// small frames (what a busy connection's reads look like).
func BenchmarkWSFrameScanner(b *testing.B) {
	var buf []byte
	for len(buf) < 2000 {
		buf = appendWSFrame(buf, gws.OpcodeText, []byte(`[36,1,5,{},["hello",1]]`), true)
	}
	s := wsFrameScanner{max: DefaultMaxMessageBytes}
	b.SetBytes(int64(len(buf)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := s.scan(buf); err != nil {
			b.Fatal(err)
		}
	}
}

// TestWebSocketClientBoundsHandshakeResponse: a server whose response
// headers never end fails the dial once they pass wsMaxPreamble, instead
// of growing the client's memory until the handshake timeout.
func TestWebSocketClientBoundsHandshakeResponse(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	done := make(chan struct{})
	go func() {
		defer close(done)
		c, err := ln.Accept()
		if err != nil {
			return
		}
		defer c.Close()
		serverUpgrade(t, c)
		line := []byte("X-Filler: " + string(bytes.Repeat([]byte{'a'}, 1000)) + "\r\n")
		if _, err := c.Write([]byte("HTTP/1.1 101 Switching Protocols\r\n")); err != nil {
			return
		}
		for { // until the client gives up and closes
			if _, err := c.Write(line); err != nil {
				return
			}
		}
	}()
	_, _, err = tryDial(t, "ws://"+ln.Addr().String()+"/ws", WebSocketClientConfig{})
	if !errors.Is(err, errWSPreambleTooLarge) {
		t.Fatalf("dial error %v, want errWSPreambleTooLarge", err)
	}
	recvWithin(t, done, "the fake server to finish")
}
