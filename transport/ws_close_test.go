package transport

import (
	"context"
	"errors"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/switchboard-wamp/switchboard/core/serialize"
)

func TestOrderlyCloseFlushes(t *testing.T) {
	tests := []struct {
		name       string
		fromClient bool
	}{
		{"client closes", true},
		{"server closes", false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			srv := startServer(t, WebSocketConfig{}, nil)
			client, cr := dialClient(t, srv.url, WebSocketClientConfig{})
			sr := nextPeer(t, srv.accepted)
			closer, closerRec, remote := client, cr, sr
			if !tc.fromClient {
				closer, closerRec, remote = sr.peer, sr, cr
			}
			const n = 300
			for i := 1; i <= n; i++ {
				closer.Send(event(i))
			}
			closer.Close() // queued messages go out first
			if closer.Send(event(n + 1)) {
				t.Error("Send after Close succeeded")
			}
			for i := 1; i <= n; i++ {
				if got := publicationOf(t, remote.nextMsg(t)); got != i {
					t.Fatalf("message %d: publication %d", i, got)
				}
			}
			wantCloseCode(t, remote.waitClosed(t), 1000, true)
			if err := closerRec.waitClosed(t); err != nil {
				t.Fatalf("closer got Closed(%v), want nil", err)
			}
		})
	}
}

func TestClosedExactlyOnceUnderConcurrentClose(t *testing.T) {
	srv := startServer(t, WebSocketConfig{OutboundQueueMax: 8}, nil)
	for iter := range 30 {
		client, cr := dialClient(t, srv.url, WebSocketClientConfig{OutboundQueueMax: 8})
		sr := nextPeer(t, srv.accepted)
		var wg sync.WaitGroup
		start := make(chan struct{})
		for _, f := range []func(){
			client.Close, sr.peer.Close, client.Close, sr.peer.Close,
			func() {
				for i := range 50 {
					client.Send(event(i)) // may overflow: a slow-consumer close races the others
				}
			},
			func() {
				for i := range 50 {
					sr.peer.Send(event(i))
				}
			},
		} {
			wg.Go(func() { <-start; f() })
		}
		close(start)
		wg.Wait()
		cr.waitClosed(t)
		sr.waitClosed(t)
		for _, p := range []Peer{client, sr.peer} {
			if p.Send(event(1)) {
				t.Fatalf("iteration %d: Send after Closed succeeded", iter)
			}
			p.Close() // idempotent
		}
		// recorder.Closed fails the test on a second call.
	}
}

func TestServerCloseClosesAllPeersWithoutLeaks(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	a, accepted := acceptInto(t, nil)
	srv, err := NewWebSocketServer(WebSocketConfig{
		// Pings tick (their timers must not leak), but a peer is never
		// closed for silence: on a loaded machine a 20 ms pong can be late,
		// and the close cause asserted below is the server's.
		Serializers: []serialize.Serializer{codecJSON}, Logger: quietLogger, PingInterval: 20 * time.Millisecond,
		PongTimeout: time.Minute,
	}, a)
	if err != nil {
		t.Fatal(err)
	}
	hs := httptest.NewServer(srv)
	defer hs.Close()
	url := "ws" + strings.TrimPrefix(hs.URL, "http")

	var clients []*recorder
	var servers []*recorder
	for range 5 {
		_, cr, err := tryDial(t, url, WebSocketClientConfig{})
		if err != nil {
			t.Fatal(err)
		}
		clients = append(clients, cr)
		servers = append(servers, nextPeer(t, accepted))
	}
	servers[0].peer.Send(event(1)) // queued data is flushed before the 1001
	srv.Close()                    // waits for every peer goroutine
	for i := range clients {
		if err := servers[i].waitClosed(t); !errors.Is(err, ErrServerClosed) {
			t.Errorf("server peer %d: Closed(%v), want ErrServerClosed", i, err)
		}
		wantCloseCode(t, clients[i].waitClosed(t), 1001, true)
	}
	if got := publicationOf(t, clients[0].nextMsg(t)); got != 1 {
		t.Errorf("flushed message %d", got)
	}
	_, err = DialWebSocket(context.Background(), url, WebSocketClientConfig{
		Serializers: []serialize.Serializer{codecJSON}, Logger: quietLogger,
	}, a)
	if !errors.Is(err, ErrHandshake) || !strings.Contains(err.Error(), "503") {
		t.Fatalf("dial after Close: %v, want a 503 ErrHandshake", err)
	}
	srv.Close() // idempotent
	hs.Close()
}
