package transport

import (
	"bufio"
	"encoding/binary"
	"io"
	"net"
	"net/http"
	"testing"
	"time"

	"github.com/switchboard-wamp/switchboard/core/serialize"
	"github.com/switchboard-wamp/switchboard/core/wamp"
)

// fuzzHandler echoes every message (so the writer runs too) and reports
// Closed; it keeps nothing.
type fuzzHandler struct {
	p      Peer
	closed chan error
}

func (h *fuzzHandler) Message(m wamp.Message) { h.p.Send(m) }
func (h *fuzzHandler) Malformed(error)        {}
func (h *fuzzHandler) Closed(err error)       { h.closed <- err }

// FuzzWebSocketServer drives the real WebSocketServer (gws and the frame
// guard, with and without permessage-deflate) with arbitrary bytes after a
// valid upgrade, over net.Pipe. Each input is written in chunks of chunk
// bytes (0: one write), so every server read ends where a chunk ends, and
// headers are split across reads. Whatever the bytes, the process must not
// panic (not even a recovered panic: Stats.Panics stays 0), the connection
// must end once the client end closes, with Handler.Closed called once.
func FuzzWebSocketServer(f *testing.F) {
	for _, v := range badFrameVariants() {
		f.Add(v, uint8(0), false)
		f.Add(v, uint8(1), false)
		f.Add(v, uint8(3), true)
	}
	msg := maskedFrame(0x1, []byte(`[36, 1, 5, {}, ["hello"]]`))
	f.Add(msg, uint8(0), false)
	f.Add(append(append(msg, msg...), badLengthFrame(2, 1<<63)...), uint8(0), false)
	f.Add(append(append(msg, msg...), badLengthFrame(2, 1<<63)...), uint8(1), false) // every header split
	f.Add(append(msg, badLengthFrame(0, 1<<63-1)...), uint8(5), false)               // too large: 1009
	ping := maskedFrame(0x9, []byte("ping"))
	f.Add(append(ping, maskedFrame(0x8, []byte{0x03, 0xe8})...), uint8(2), false)
	frag := maskedFrame(0x1, []byte(`[36, 1, 5,`))
	frag[0] &^= 0x80 // not final
	f.Add(append(append(frag, maskedFrame(0x0, []byte(` {}, []]`))...), msg...), uint8(7), false)
	big := []byte{0x82, 0x80 | 126}
	big = binary.BigEndian.AppendUint16(big, 300)
	f.Add(append(big, make([]byte, 4+300)...), uint8(64), true)
	compressed := append(deflatedFrame(f, `[36, 1, 5, {}, ["hello"]]`), msg...)
	f.Add(compressed, uint8(0), true)
	f.Add(compressed, uint8(1), true)

	newServer := func(compression bool) (*WebSocketServer, chan *fuzzHandler, *Stats) {
		accepted := make(chan *fuzzHandler, 1)
		st := new(Stats)
		srv, err := NewWebSocketServer(WebSocketConfig{
			Serializers:     []serialize.Serializer{codecJSON},
			MaxMessageBytes: 1 << 16,
			PingInterval:    -1,
			Compression:     compression,
			Logger:          quietLogger,
			Stats:           st,
		}, AcceptorFunc(func(p Peer) Handler {
			h := &fuzzHandler{p: p, closed: make(chan error, 2)}
			accepted <- h
			return h
		}))
		if err != nil {
			f.Fatal(err)
		}
		f.Cleanup(srv.Close)
		return srv, accepted, st
	}
	plain, plainAccepted, plainStats := newServer(false)
	deflate, deflateAccepted, deflateStats := newServer(true)

	f.Fuzz(func(t *testing.T, data []byte, chunk uint8, compression bool) {
		srv, accepted, st := plain, plainAccepted, plainStats
		if compression {
			srv, accepted, st = deflate, deflateAccepted, deflateStats
		}
		cEnd, sEnd := net.Pipe()
		defer cEnd.Close()
		upgraded := make(chan error, 1)
		drained := make(chan struct{})
		go func() { // reads the 101, then whatever the server writes
			defer close(drained)
			br := bufio.NewReader(cEnd)
			resp, err := http.ReadResponse(br, nil)
			if err == nil && resp.StatusCode != http.StatusSwitchingProtocols {
				err = io.ErrUnexpectedEOF
			}
			upgraded <- err
			_, _ = io.Copy(io.Discard, br)
		}()
		// ServeHTTP goes on as the connection's reader after the upgrade.
		go srv.ServeHTTP(newHijackWriter(sEnd), upgradeRequest("wamp.2.json", compression))
		select {
		case err := <-upgraded:
			if err != nil {
				t.Fatalf("upgrade: %v", err)
			}
		case <-time.After(waitFor): // failure guard only
			t.Fatal("no answer to the upgrade")
		}
		var h *fuzzHandler
		select {
		case h = <-accepted:
		case <-time.After(waitFor): // failure guard only
			t.Fatal("no connection accepted")
		}
		for len(data) > 0 {
			n := len(data)
			if chunk > 0 {
				n = min(n, int(chunk))
			}
			if _, err := cEnd.Write(data[:n]); err != nil {
				break // the server closed the connection
			}
			data = data[n:]
		}
		_ = cEnd.Close()
		select {
		case <-h.closed:
		case <-time.After(waitFor): // failure guard only
			t.Fatal("Handler.Closed was not called")
		}
		recvWithin(t, drained, "the pipe to drain")
		if n := st.Panics.Load(); n != 0 {
			t.Fatalf("%d panics reached the recovery", n)
		}
		select {
		case err := <-h.closed:
			t.Fatalf("Handler.Closed called twice (second cause %v)", err)
		default:
		}
	})
}
