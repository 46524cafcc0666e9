package core_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"testing"

	"github.com/switchboard-wamp/switchboard/core"
	"github.com/switchboard-wamp/switchboard/core/wamp"
	"github.com/switchboard-wamp/switchboard/transport"
)

// jsonLog collects an Application's log as JSON lines.
type jsonLog struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *jsonLog) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

// line returns the first record whose msg is msg.
func (l *jsonLog) line(msg string) (map[string]any, bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, s := range strings.Split(l.b.String(), "\n") {
		var rec map[string]any
		d := json.NewDecoder(strings.NewReader(s))
		d.UseNumber() // session IDs are beyond float64's exact integers
		if d.Decode(&rec) == nil && rec["msg"] == msg {
			return rec, true
		}
	}
	return nil, false
}

// Session-scoped log lines name the session, its realm and its peer: the
// engine's (a protocol violation closing a session) and the
// application layer's (a session hook panicking).
func TestSessionLogLinesNameSessionRealmPeer(t *testing.T) {
	logs := &jsonLog{}
	app := newApp(t, core.Config{Logger: slog.New(slog.NewJSONHandler(logs, nil)),
		Realms: []core.RealmConfig{{URI: "realm1"}, {URI: "hooked"}}})
	hooked, _ := app.Realm("hooked")
	hooked.OnSession(func(context.Context, *core.Session) (func(context.Context), error) { panic("hook bug") })

	p := dialPeer(t, app, transport.Info{Transport: "websocket", Serializer: "json", PeerAddr: "192.0.2.7:5555"})
	p.join("realm1", nil)
	p.h.Malformed(errors.New("bad frame"))
	p.wantAbort(wamp.ErrProtocolViolationURI)
	q := dialPeer(t, app, transport.Info{Transport: "rawsocket", Serializer: "cbor", PeerAddr: "192.0.2.8:6666"})
	q.send(helloMsg("hooked", nil))
	a := q.recv().(*wamp.Abort)

	for _, want := range []struct {
		msg, realm, peer string
		session          wamp.ID
	}{
		{"session closed: protocol violation", "realm1", "192.0.2.7:5555", p.sid},
		{"session hook panicked", "hooked", "192.0.2.8:6666", 0},
	} {
		var rec map[string]any
		waitUntil(t, "the line "+want.msg, func() (ok bool) { rec, ok = logs.line(want.msg); return ok })
		sid := fmt.Sprint(rec["session"])
		if rec["realm"] != want.realm || rec["peer"] != want.peer || sid == "" || sid == "0" || sid == "<nil>" ||
			want.session != 0 && sid != fmt.Sprint(want.session) {
			t.Errorf("%q logged as %v, want realm %s, peer %s, session %v", want.msg, rec, want.realm, want.peer, want.session)
		}
	}
	if a.Reason != wamp.ErrAuthorizationFailed {
		t.Errorf("the panicking hook's session got ABORT %s", a.Reason)
	}
}
