package tests

import (
	"bufio"
	"context"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/switchboard-wamp/switchboard/core"
	"github.com/switchboard-wamp/switchboard/tests/testrouter"
)

// Idle RawSocket sessions: on Linux the router holds no goroutine for a
// joined session that sends nothing (its reader waits in the RawSocket
// server's epoll poller); on input it reads again, and a close from either
// side still ends the session. The sessions are hand-made RawSocket JSON
// connections, so the client side holds no goroutine either and the
// process's goroutine count shows the router's.

// rawSession is a joined RawSocket JSON session driven by hand.
type rawSession struct {
	net.Conn
	br *bufio.Reader
}

// joinRawSession connects to addr over network, completes the RawSocket
// handshake and joins realm1.
func joinRawSession(t *testing.T, network, addr string) *rawSession {
	t.Helper()
	c, err := net.DialTimeout(network, addr, guard)
	must(t, err)
	t.Cleanup(func() { c.Close() })
	s := &rawSession{Conn: c, br: bufio.NewReader(c)}
	_, err = c.Write([]byte{0x7F, 0xF1, 0, 0}) // JSON, 16 MiB
	must(t, err)
	var reply [4]byte
	_ = c.SetReadDeadline(time.Now().Add(guard))
	if _, err := io.ReadFull(s.br, reply[:]); err != nil || reply[0] != 0x7F || reply[1]&0x0F != 1 {
		t.Fatalf("rawsocket handshake: % X, %v", reply, err)
	}
	s.send(t, `[1,"realm1",{"roles":{"caller":{}}}]`)
	if m := s.next(t); !strings.HasPrefix(m, "[2,") {
		t.Fatalf("want WELCOME, got %.80s", m)
	}
	return s
}

func (s *rawSession) send(t *testing.T, msg string) {
	t.Helper()
	b := binary.BigEndian.AppendUint32(nil, uint32(len(msg)))
	if _, err := s.Write(append(b, msg...)); err != nil {
		t.Fatal(err)
	}
}

// next returns the next message, skipping PINGs (answered).
func (s *rawSession) next(t *testing.T) string {
	t.Helper()
	msg, err := s.read()
	if err != nil {
		t.Fatalf("reading a message: %v", err)
	}
	return msg
}

func (s *rawSession) read() (string, error) {
	for {
		_ = s.SetReadDeadline(time.Now().Add(guard))
		var h [4]byte
		if _, err := io.ReadFull(s.br, h[:]); err != nil {
			return "", err
		}
		body := make([]byte, binary.BigEndian.Uint32(h[:])&0xFFFFFF)
		if _, err := io.ReadFull(s.br, body); err != nil {
			return "", err
		}
		switch h[0] {
		case 0:
			return string(body), nil
		case 1: // PING: answer
			if _, err := s.Write(append([]byte{2, h[1], h[2], h[3]}, body...)); err != nil {
				return "", err
			}
		}
	}
}

// waitEOF reads until the router closes the connection; messages before
// it are returned.
func (s *rawSession) waitEOF(t *testing.T) []string {
	t.Helper()
	var got []string
	for {
		msg, err := s.read()
		if err != nil {
			if ne, ok := err.(net.Error); ok && ne.Timeout() {
				t.Fatal("the router did not close the connection")
			}
			return got
		}
		got = append(got, msg)
	}
}

func TestIdleRawSocketSessions(t *testing.T) {
	forEachBackend(t, func(t *testing.T, b backend) {
		r := testrouter.StartRealm(t, b.New(), core.RealmConfig{URI: "realm1", GoodbyeTimeout: 200 * time.Millisecond})
		for _, tr := range []struct{ name, network, addr string }{
			{"tcp", "tcp", strings.TrimPrefix(r.RawURL, "rs://")},
			{"unix", "unix", strings.TrimPrefix(r.UnixURL, "rs+unix://")},
		} {
			t.Run(tr.name, func(t *testing.T) { idleSessions(t, r, tr.network, tr.addr) })
		}
	})
}

func idleSessions(t *testing.T, r *testrouter.Router, network, addr string) {
	const n = 100
	ctx := context.Background()
	before, err := r.Realm.SessionCount(ctx)
	must(t, err)
	base := runtime.NumGoroutine()
	sessions := make([]*rawSession, n)
	for i := range sessions {
		sessions[i] = joinRawSession(t, network, addr)
	}
	// Every idle session's reader parks: the router's goroutines for them
	// go (the client side has none).
	goroutinesFall := func() {
		t.Helper()
		if runtime.GOOS != "linux" {
			return // readers wait on goroutines there
		}
		waitUntil(t, "the idle sessions' goroutines to go", func() bool { return runtime.NumGoroutine() < base+n/10 })
	}
	goroutinesFall()

	// Every parked session wakes on input: a call each, twice.
	for round := range 2 {
		for i, s := range sessions {
			s.send(t, fmt.Sprintf(`[48,%d,{},"com.example.go.echo",[%d]]`, round+1, i))
		}
		for i, s := range sessions {
			var res []any
			if err := json.Unmarshal([]byte(s.next(t)), &res); err != nil || len(res) < 4 ||
				res[0] != float64(50) || res[1] != float64(round+1) || fmt.Sprint(res[3]) != fmt.Sprintf("[%d]", i) {
				t.Fatalf("session %d: want RESULT [50,%d,{},[%d]], got %v (%v)", i, round+1, i, res, err)
			}
		}
		goroutinesFall()
	}

	// Closes while parked. A quarter close their sockets; a quarter are
	// killed and answer the GOODBYE; a quarter are killed and stay silent
	// (the router closes after GoodbyeTimeout); a quarter say GOODBYE.
	ids := map[*rawSession]bool{}
	for i, s := range sessions {
		switch i % 4 {
		case 0:
			must(t, s.Close())
		case 3:
			s.send(t, `[6,{},"wamp.close.close_realm"]`)
			if m := s.next(t); !strings.HasPrefix(m, "[6,") {
				t.Fatalf("want GOODBYE, got %.80s", m)
			}
		default:
			ids[s] = i%4 == 1
		}
	}
	killAll(r.Realm)
	for s, answer := range ids {
		if m := s.next(t); !strings.HasPrefix(m, `[6,{`) || !strings.Contains(m, "wamp.close.killed") {
			t.Fatalf("want GOODBYE wamp.close.killed, got %.80s", m)
		}
		if answer {
			s.send(t, `[6,{},"wamp.close.goodbye_and_out"]`)
		}
	}
	for s := range ids {
		s.waitEOF(t)
	}
	for i, s := range sessions {
		if i%4 == 3 {
			s.waitEOF(t)
		}
	}
	waitUntil(t, "every idle session to leave", func() bool {
		c, err := r.Realm.SessionCount(ctx)
		return err == nil && c == before
	})
}

// killAll kills every remote session of realm (those leaving already
// are left to it).
func killAll(realm *core.Realm) {
	for _, s := range realm.Sessions() {
		_ = s.Kill("")
	}
}
