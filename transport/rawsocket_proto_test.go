package transport

import (
	"bytes"
	"errors"
	"io"
	"net"
	"testing"
	"testing/iotest"
	"time"
)

func TestRawSocketLengthNibble(t *testing.T) {
	tests := []struct {
		maxBytes int
		exp      byte
		limit    int
	}{
		{1, 0, 512},
		{511, 0, 512},
		{512, 0, 512},
		{1023, 0, 512},
		{1024, 1, 1024},
		{1_000_000, 10, 512 << 10},
		{1 << 20, 11, 1 << 20},
		{16 << 20, 15, 1<<24 - 1}, // 2^24 does not fit the 24-bit length
		{1 << 30, 15, 1<<24 - 1},
	}
	for _, tc := range tests {
		exp := rsLenExp(tc.maxBytes)
		if exp != tc.exp || rsMaxLen(exp) != tc.limit {
			t.Errorf("maxBytes %d: nibble %d limit %d, want %d %d", tc.maxBytes, exp, rsMaxLen(exp), tc.exp, tc.limit)
		}
	}
}

func TestParseRawSocketHello(t *testing.T) {
	tests := []struct {
		name     string
		in       [4]byte
		ser, exp byte
		code     int // -1: no error; -2: fail without reply
	}{
		{"json 16 MiB", [4]byte{0x7F, 0xF1, 0, 0}, 1, 15, -1},
		{"msgpack 512 B", [4]byte{0x7F, 0x02, 0, 0}, 2, 0, -1},
		{"cbor 1 MiB", [4]byte{0x7F, 0xB3, 0, 0}, 3, 11, -1},
		{"bad magic", [4]byte{'G', 'E', 'T', ' '}, 0, 0, -2},
		{"zero magic", [4]byte{0, 0xF1, 0, 0}, 0, 0, -2},
		{"reserved octet 3", [4]byte{0x7F, 0xF1, 1, 0}, 0, 0, 3},
		{"reserved octet 4", [4]byte{0x7F, 0xF1, 0, 0x80}, 0, 0, 3},
		{"serializer 0", [4]byte{0x7F, 0xF0, 0, 0}, 0, 0, 1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ser, exp, err := parseRawSocketHello(tc.in)
			switch tc.code {
			case -1:
				if err != nil || ser != tc.ser || exp != tc.exp {
					t.Fatalf("got %d %d %v, want %d %d", ser, exp, err, tc.ser, tc.exp)
				}
			case -2:
				if !errors.Is(err, errNotRawSocket) {
					t.Fatalf("err %v, want errNotRawSocket", err)
				}
			default:
				var he *RawSocketHandshakeError
				if !errors.As(err, &he) || int(he.Code) != tc.code {
					t.Fatalf("err %v, want handshake error %d", err, tc.code)
				}
			}
		})
	}
}

func TestParseRawSocketReply(t *testing.T) {
	tests := []struct {
		name  string
		in    [4]byte
		exp   byte
		code  int  // >= 0: a handshake error with this code
		proto bool // an ErrRawSocketProtocol error
	}{
		{"accepted", [4]byte{0x7F, 0x91, 0, 0}, 9, -1, false},
		{"serializer unsupported", [4]byte{0x7F, 0x10, 0, 0}, 0, 1, false},
		{"max length", [4]byte{0x7F, 0x20, 0, 0}, 0, 2, false},
		{"reserved bits", [4]byte{0x7F, 0x30, 0, 0}, 0, 3, false},
		{"max connections", [4]byte{0x7F, 0x40, 0, 0}, 0, 4, false},
		{"illegal code 0", [4]byte{0x7F, 0x00, 0, 0}, 0, 0, false},
		{"other serializer", [4]byte{0x7F, 0x92, 0, 0}, 0, -1, true},
		{"bad magic", [4]byte{'H', 'T', 'T', 'P'}, 0, -1, true},
		{"reserved octets", [4]byte{0x7F, 0x91, 0, 1}, 0, -1, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			exp, err := parseRawSocketReply(tc.in, 1)
			var he *RawSocketHandshakeError
			switch {
			case tc.code >= 0:
				if !errors.As(err, &he) || int(he.Code) != tc.code {
					t.Fatalf("err %v, want code %d", err, tc.code)
				}
				if he.Error() == "" || he.Code.String() == "" {
					t.Fatal("empty error text")
				}
			case tc.proto:
				if !errors.Is(err, ErrRawSocketProtocol) {
					t.Fatalf("err %v, want ErrRawSocketProtocol", err)
				}
			default:
				if err != nil || exp != tc.exp {
					t.Fatalf("got %d %v, want %d", exp, err, tc.exp)
				}
			}
		})
	}
}

func TestRawSocketErrorCodeNames(t *testing.T) {
	want := map[RawSocketErrorCode]string{
		0: "illegal error code 0", 1: "serializer unsupported", 2: "maximum message length unacceptable",
		3: "use of reserved bits (unsupported feature)", 4: "maximum connection count reached", 9: "unknown error code 9",
	}
	for c, s := range want {
		if c.String() != s {
			t.Errorf("%d: %q, want %q", c, c.String(), s)
		}
	}
	e := &RawSocketHandshakeError{Code: RawSocketErrorMaxConnections}
	if e.Error() != "transport: rawsocket handshake refused: maximum connection count reached (4)" {
		t.Errorf("Error() = %q", e.Error())
	}
}

// frames builds a byte stream of frames.
func frames(fs ...[]byte) []byte {
	var b []byte
	for i := 0; i < len(fs); i += 2 {
		b = appendRawSocketHeader(b, fs[i][0], len(fs[i+1]))
		b = append(b, fs[i+1]...)
	}
	return b
}

func TestRawSocketFrameReader(t *testing.T) {
	big := bytes.Repeat([]byte("x"), 3000) // larger than the 512-byte test buffer
	// larger than an idle reader's small buffer: read into the pooled one
	medium := bytes.Repeat([]byte("m"), rsSmallRead+100)
	stream := frames([]byte{0}, []byte("hello"), []byte{1}, []byte("ping"), []byte{0}, big,
		[]byte{0}, medium, []byte{2}, nil, []byte{0}, []byte(""), []byte{0}, medium)
	want := []struct {
		typ     byte
		payload string
	}{{0, "hello"}, {1, "ping"}, {0, string(big)}, {0, string(medium)}, {2, ""}, {0, ""}, {0, string(medium)}}
	readers := map[string]func([]byte) io.Reader{
		"whole":      func(b []byte) io.Reader { return bytes.NewReader(b) },
		"one byte":   func(b []byte) io.Reader { return iotest.OneByteReader(bytes.NewReader(b)) },
		"half reads": func(b []byte) io.Reader { return iotest.HalfReader(bytes.NewReader(b)) },
	}
	for name, mk := range readers {
		t.Run(name, func(t *testing.T) {
			fr := rsFrameReader{br: newIdleReader(mk(stream), 512), max: 4096}
			for i, w := range want {
				typ, p, err := fr.next()
				if err != nil || typ != w.typ || string(p) != w.payload {
					t.Fatalf("frame %d: type %d, %d bytes, %v; want type %d, %d bytes", i, typ, len(p), err, w.typ, len(w.payload))
				}
			}
			if _, _, err := fr.next(); err != io.EOF {
				t.Fatalf("after the last frame: %v, want io.EOF", err)
			}
			if fr.br.big != nil {
				t.Fatal("the reader keeps its pooled buffer with nothing buffered")
			}
		})
	}
}

// TestIdleReaderHoldsNoBufferBetweenFrames checks what an idle RawSocket
// connection holds: while a frame larger than the small buffer is in use,
// the pooled buffer; once it is consumed and the reader waits for the next
// frame, none.
func TestIdleReaderHoldsNoBufferBetweenFrames(t *testing.T) {
	medium := bytes.Repeat([]byte("m"), rsSmallRead+100)
	pr, pw := io.Pipe()
	defer pr.Close()
	go func() {
		_, _ = pw.Write(frames([]byte{0}, medium))
		_, _ = pw.Write(frames([]byte{0}, []byte("next")))
		pw.Close()
	}()
	fr := rsFrameReader{br: newIdleReader(pr, 2048), max: 4096}
	if _, p, err := fr.next(); err != nil || !bytes.Equal(p, medium) {
		t.Fatalf("first frame: %d bytes, %v", len(p), err)
	}
	if fr.br.big == nil {
		t.Fatal("a frame larger than the small buffer is not in the pooled one")
	}
	if _, p, err := fr.next(); err != nil || string(p) != "next" {
		t.Fatalf("second frame: %q, %v", p, err)
	}
	if fr.br.big != nil {
		t.Fatal("the pooled buffer is kept after its frame was consumed")
	}
}

func TestRawSocketFrameReaderErrors(t *testing.T) {
	tests := []struct {
		name   string
		stream []byte
		want   error
	}{
		{"oversize", appendRawSocketHeader(nil, 0, 4097), ErrRawSocketProtocol},
		{"reserved type 3", frames([]byte{3}, []byte("x")), ErrRawSocketProtocol},
		{"reserved type 7", frames([]byte{7}, []byte("x")), ErrRawSocketProtocol},
		{"reserved bits", frames([]byte{0x80}, []byte("x")), ErrRawSocketProtocol},
		{"truncated header", []byte{0, 0}, io.ErrUnexpectedEOF},
		{"truncated small payload", frames([]byte{0}, []byte("hello"))[:7], io.ErrUnexpectedEOF},
		{"truncated large payload", frames([]byte{0}, make([]byte, 3000))[:1000], io.ErrUnexpectedEOF},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			fr := rsFrameReader{br: newIdleReader(bytes.NewReader(tc.stream), 512), max: 4096}
			if _, _, err := fr.next(); !errors.Is(err, tc.want) {
				t.Fatalf("err %v, want %v", err, tc.want)
			}
		})
	}
}

func FuzzRawSocketHandshake(f *testing.F) {
	f.Add([]byte{0x7F, 0xF1, 0, 0})
	f.Add([]byte{0x7F, 0x10, 0, 0})
	f.Add([]byte{0x7F, 0xF1, 0, 1})
	f.Add([]byte("GET "))
	f.Fuzz(func(t *testing.T, b []byte) {
		var h [4]byte
		copy(h[:], b)
		ser, exp, err := parseRawSocketHello(h)
		if err == nil && (ser == 0 || ser > 15 || exp > rsMaxLenExp || h[0] != rsMagic) {
			t.Fatalf("accepted % X as serializer %d nibble %d", h, ser, exp)
		}
		var he *RawSocketHandshakeError
		if errors.As(err, &he) {
			reply := rsErrorReply(he.Code)
			if reply[1]&0x0F != 0 || reply[0] != rsMagic {
				t.Fatalf("error reply % X", reply)
			}
		}
		if exp, err := parseRawSocketReply(h, 1); err == nil {
			if h[1]&0x0F != 1 || rsMaxLen(exp) < 512 || rsMaxLen(exp) > rsMaxPayload {
				t.Fatalf("reply % X accepted with nibble %d", h, exp)
			}
		}
	})
}

func FuzzRawSocketFramer(f *testing.F) {
	f.Add(frames([]byte{0}, []byte("hello"), []byte{1}, []byte("p")), uint16(100))
	f.Add(appendRawSocketHeader(nil, 0, 1<<20), uint16(600))
	f.Add([]byte{0x7F, 0xF1, 0, 0, 0, 0, 0, 1, 'x'}, uint16(0))
	f.Fuzz(func(t *testing.T, stream []byte, maxLen uint16) {
		max := int(maxLen)
		fr := rsFrameReader{br: newIdleReader(bytes.NewReader(stream), 512), max: max}
		for range len(stream) + 1 {
			typ, p, err := fr.next()
			if err != nil {
				return
			}
			if typ > rsFramePong || len(p) > max || cap(fr.buf) > max {
				t.Fatalf("frame type %d of %d bytes (buffer %d) with max %d", typ, len(p), cap(fr.buf), max)
			}
		}
		t.Fatal("more frames than bytes")
	})
}

// TestIdleReaderOnSocket checks the socket path of an idle reader (a TCP
// connection): it keeps no buffer at all while nothing is buffered, reads
// frames small and large, and reports the end of the stream.
func TestIdleReaderOnSocket(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	client, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer client.Close()
	server, err := ln.Accept()
	if err != nil {
		t.Fatal(err)
	}
	defer server.Close()
	_ = server.SetReadDeadline(time.Now().Add(waitFor))
	fr := rsFrameReader{br: newIdleReader(server, 2048), max: 8192}
	if fr.br.raw == nil || fr.br.small != nil {
		t.Fatal("a TCP connection is not read through its RawConn")
	}
	big := bytes.Repeat([]byte("b"), 5000) // beyond the pooled buffer
	for i, payload := range [][]byte{[]byte("small"), bytes.Repeat([]byte("m"), 1500), big, []byte("last")} {
		if _, err := client.Write(frames([]byte{0}, payload)); err != nil {
			t.Fatal(err)
		}
		typ, p, err := fr.next()
		if err != nil || typ != 0 || !bytes.Equal(p, payload) {
			t.Fatalf("frame %d: type %d, %d bytes, %v; want %d bytes", i, typ, len(p), err, len(payload))
		}
		if !fr.idle() || fr.br.big != nil {
			t.Fatalf("frame %d: a buffer is held with nothing buffered", i)
		}
	}
	client.Close()
	if _, _, err := fr.next(); err != io.EOF {
		t.Fatalf("after the other end closed: %v, want io.EOF", err)
	}
}
