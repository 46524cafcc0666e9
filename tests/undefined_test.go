package tests

import (
	"bytes"
	"context"
	"encoding/hex"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/lxzan/gws"

	"github.com/switchboard-wamp/switchboard/core"
	"github.com/switchboard-wamp/switchboard/core/wamp"
	"github.com/switchboard-wamp/switchboard/tests/testrouter"
)

// logBuffer is a concurrency-safe log sink.
type logBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *logBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

// lines returns the logged lines that contain s.
func (l *logBuffer) lines(s string) []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	var out []string
	for _, line := range strings.Split(l.b.String(), "\n") {
		if strings.Contains(line, s) {
			out = append(out, line)
		}
	}
	return out
}

// waitLines waits (10 s at most) until n lines contain s and returns them.
func (l *logBuffer) waitLines(t *testing.T, s string, n int) []string {
	t.Helper()
	waitUntil(t, fmt.Sprintf("%d log lines containing %q", n, s), func() bool { return len(l.lines(s)) >= n })
	return l.lines(s)
}

// sendHex writes one binary frame given in hex.
func (p *wirePeer) sendHex(h string) {
	p.t.Helper()
	b, err := hex.DecodeString(strings.ReplaceAll(h, " ", ""))
	if err != nil {
		p.t.Fatal(err)
	}
	if err := p.conn.WriteMessage(gws.OpcodeBinary, b); err != nil {
		p.t.Fatalf("send %s: %v", h, err)
	}
}

// A binary frame the decoder refuses (an ext type other than undefined, a
// CBOR tag) is a protocol violation, before HELLO as after WELCOME: the
// peer gets ABORT wamp.error.protocol_violation with the reason, the
// connection is closed, and the router logs exactly one line.
func TestMalformedBinaryFrameAbortsAndLogs(t *testing.T) {
	cases := []struct {
		name   string
		codec  *wireCodec
		joined bool
		frame  string
		reason string
	}{
		{"msgpack ext before HELLO", msgpackCodec, false, "93 01 a67265616c6d31 81 a161 d40100", "extension type"},
		{"msgpack ext after WELCOME", msgpackCodec, true, "94 20 01 81 a161 d40100 a5636f6d2e78", "extension type"},
		{"cbor tag before HELLO", cborCodec, false, "83 01 667265616c6d31 a1 6161 c1 00", "tags are not supported"},
		{"cbor tag after WELCOME", cborCodec, true, "84 1820 01 a1 6161 c1 00 65636f6d2e78", "tags are not supported"},
	}
	forEachBackend(t, func(t *testing.T, b backend) {
		for _, tt := range cases {
			t.Run(tt.name, func(t *testing.T) {
				logs := &logBuffer{}
				r := testrouter.Serve(t, b.New(), core.Config{
					Realms: []core.RealmConfig{{URI: "realm1"}},
					Logger: slog.New(slog.NewTextHandler(logs, nil)),
				})
				p := dialWireCodec(t, r.URL, tt.codec)
				if tt.joined {
					p.join("realm1")
				}
				p.sendHex(tt.frame)
				l := p.want(3, nil, string(wamp.ErrProtocolViolationURI))
				details, _ := l[1].(map[string]any)
				if msg, _ := details["message"].(string); !strings.Contains(msg, tt.reason) {
					t.Fatalf("ABORT %v: message does not say %q", l, tt.reason)
				}
				p.wantClosed()
				lines := logs.waitLines(t, "protocol violation", 1)
				if len(lines) != 1 || !strings.Contains(lines[0], tt.reason) {
					t.Fatalf("log lines %q, want one saying %q", lines, tt.reason)
				}
			})
		}
	})
}

// wampy 8 (msgpackr, cbor-x) writes an undefined option as d4 00 00 or f7:
// the router takes it as absent, over the wire, on every backend.
func TestUndefinedOptionFromJavaScriptClient(t *testing.T) {
	forEachBackend(t, func(t *testing.T, b backend) {
		r := startRouter(t, b)
		for _, c := range []struct {
			codec     *wireCodec
			subscribe string
		}{
			// [32, 7, {"match": undefined, "get_retained": undefined}, "com.x"]
			{msgpackCodec, "94 20 07 82 a56d61746368 d40000 ac6765745f72657461696e6564 d40000 a5636f6d2e78"},
			{cborCodec, "84 1820 07 a2 656d61746368 f7 6c6765745f72657461696e6564 f7 65636f6d2e78"},
		} {
			t.Run(c.codec.subprotocol, func(t *testing.T) {
				p := dialWireCodec(t, r.URL, c.codec)
				p.join("realm1")
				p.sendHex(c.subscribe)
				p.want(33, 7)
				ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
				defer cancel()
				// A publication reaches the subscriber: an exact match.
				if err := r.Realm.Publish(ctx, "com.x", wamp.List{"hi"}, nil, nil); err != nil {
					t.Fatal(err)
				}
				p.want(36, nil, nil, nil, []any{"hi"})
			})
		}
	})
}
