package core_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/switchboard-wamp/switchboard/core"
	"github.com/switchboard-wamp/switchboard/core/wamp"
	"github.com/switchboard-wamp/switchboard/transport"
)

// closeLines returns the "session closed: …" records of the log.
func (l *jsonLog) closeLines() []map[string]any {
	l.mu.Lock()
	defer l.mu.Unlock()
	var out []map[string]any
	for _, s := range strings.Split(l.b.String(), "\n") {
		var rec map[string]any
		d := json.NewDecoder(strings.NewReader(s))
		d.UseNumber()
		if d.Decode(&rec) == nil && strings.HasPrefix(fmt.Sprint(rec["msg"]), "session closed: ") {
			out = append(out, rec)
		}
	}
	return out
}

// A session the router ends, whatever the cause, is told why (ABORT or
// GOODBYE with the reason, where the protocol allows), and the router
// logs exactly one line naming the session, the peer address and the
// reason: at info for an abnormal end, at debug for a normal one.
func TestSessionCloseSaysWhy(t *testing.T) {
	const peerAddr = "192.0.2.9:7777"
	keepalive := fmt.Errorf("%w: %w", transport.ErrKeepaliveTimeout, os.ErrDeadlineExceeded)
	tests := []struct {
		name    string
		timeout time.Duration
		auth    bool // a blocking authenticator: the session never gets WELCOME
		act     func(t *testing.T, app *core.Application, p *fakePeer)
		msg     string // the log line
		level   string
		reason  string // contained in the line's reason
		message string // contained in the line's message ("" = none)
	}{
		{"protocol violation", 0, false, func(t *testing.T, _ *core.Application, p *fakePeer) {
			p.h.Malformed(errors.New("bad frame"))
			p.wantAbort(wamp.ErrProtocolViolationURI)
		}, "session closed: protocol violation", "INFO", "wamp.error.protocol_violation", "bad frame"},
		{"slow consumer", 0, false, func(t *testing.T, _ *core.Application, p *fakePeer) {
			p.closeWith(transport.ErrSlowConsumer)
		}, "session closed: slow consumer", "INFO", "slow consumer", ""},
		{"keepalive timeout", 0, false, func(t *testing.T, _ *core.Application, p *fakePeer) {
			p.closeWith(keepalive)
		}, "session closed: keepalive timeout", "INFO", "keepalive timeout", ""},
		{"handshake timeout", 50 * time.Millisecond, true, func(t *testing.T, _ *core.Application, p *fakePeer) {
			p.wantAbort(wamp.ErrAuthenticationFailed)
		}, "session closed: handshake timeout", "INFO", "wamp.error.authentication_failed", "handshake timed out"},
		{"kill", 0, false, func(t *testing.T, app *core.Application, p *fakePeer) {
			realm, _ := app.Realm("realm1")
			for _, s := range realm.Sessions() {
				if s.ID == p.sid {
					if err := s.Kill(""); err != nil {
						t.Fatal(err)
					}
				}
			}
			if g, ok := p.recv().(*wamp.Goodbye); !ok || g.Reason != wamp.CloseKilled {
				t.Fatalf("got %#v, want GOODBYE %s", g, wamp.CloseKilled)
			}
			p.send(&wamp.Goodbye{Details: wamp.Dict{}, Reason: wamp.CloseGoodbyeAndOut})
			p.waitClosed()
		}, "session closed: killed", "INFO", "wamp.close.killed", ""},
		{"connection lost", 0, false, func(t *testing.T, _ *core.Application, p *fakePeer) {
			p.drop()
		}, "session closed: connection lost", "INFO", "connection reset", ""},
		{"goodbye", 0, false, func(t *testing.T, _ *core.Application, p *fakePeer) {
			p.send(&wamp.Goodbye{Details: wamp.Dict{}, Reason: wamp.CloseNormal})
			if g, ok := p.recv().(*wamp.Goodbye); !ok || g.Reason != wamp.CloseGoodbyeAndOut {
				t.Fatalf("got %#v, want GOODBYE %s", g, wamp.CloseGoodbyeAndOut)
			}
			p.waitClosed()
		}, "session closed: goodbye", "DEBUG", "wamp.close.normal", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			logs := &jsonLog{}
			cfg := core.Config{HandshakeTimeout: tc.timeout,
				Logger: slog.New(slog.NewJSONHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))}
			forEachBackendApp(t, cfg, func(t *testing.T, app *core.Application) {
				logs.mu.Lock()
				logs.b.Reset()
				logs.mu.Unlock()
				p := dialPeer(t, app, transport.Info{Transport: "websocket", Serializer: "json", PeerAddr: peerAddr})
				if tc.auth {
					started, ended := make(chan struct{}, 1), make(chan error, 1)
					app.SetAuthenticator(blockingAuth(started, ended))
					p.send(helloMsg("realm1", nil))
					waitFor(t, started, "the authenticator to start")
				} else {
					p.join("realm1", nil)
				}
				tc.act(t, app, p)
				waitUntil(t, "the line "+tc.msg, func() bool { return len(logs.closeLines()) > 0 })
				lines := logs.closeLines()
				if len(lines) != 1 {
					t.Fatalf("%d session closed lines, want 1: %v", len(lines), lines)
				}
				rec := lines[0]
				sid := fmt.Sprint(rec["session"])
				if rec["msg"] != tc.msg || rec["level"] != tc.level || rec["peer"] != peerAddr || rec["realm"] != "realm1" ||
					sid == "" || sid == "0" || sid == "<nil>" || p.sid != 0 && sid != fmt.Sprint(p.sid) ||
					!strings.Contains(fmt.Sprint(rec["reason"]), tc.reason) ||
					tc.message != "" && !strings.Contains(fmt.Sprint(rec["message"]), tc.message) {
					t.Errorf("logged %v, want %q at %s naming session %d, peer %s, reason ~%q, message ~%q",
						rec, tc.msg, tc.level, p.sid, peerAddr, tc.reason, tc.message)
				}
			})
		})
	}
}
