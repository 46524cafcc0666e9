package tests

import (
	"context"
	"fmt"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/switchboard-wamp/switchboard/adapters/eventloop"
	"github.com/switchboard-wamp/switchboard/adapters/goroutine"
	"github.com/switchboard-wamp/switchboard/adapters/pool"
	"github.com/switchboard-wamp/switchboard/auth"
	"github.com/switchboard-wamp/switchboard/client"
	"github.com/switchboard-wamp/switchboard/client/authenticate"
	"github.com/switchboard-wamp/switchboard/core"
	"github.com/switchboard-wamp/switchboard/core/serialize"
	"github.com/switchboard-wamp/switchboard/core/wamp"
	"github.com/switchboard-wamp/switchboard/scheduler"
	"github.com/switchboard-wamp/switchboard/tests/testrouter"
)

// A flood of HELLOs that never finish authentication holds at most
// MaxHandshakesPerAddress places from its address: the HELLO beyond is
// aborted with switchboard.error.too_many_handshakes, a session joined
// before the flood is still served, a client from elsewhere (a unix
// socket: no source IP, counted in the total only) still joins, and the
// places come back when the flooders go. (That a waiting authenticator
// holds none of a bounded backend's workers is
// TestChallengeFloodHoldsNoWorker.)
func TestHandshakeFlood(t *testing.T) {
	forEachBackend(t, func(t *testing.T, b backend) {
		const perAddr = 2
		r := testrouter.Serve(t, b.New(), core.Config{
			HandshakeTimeout: time.Minute, // the flood must not end by itself
			MaxHandshakes:    perAddr + 2, MaxHandshakesPerAddress: perAddr,
			Realms: []core.RealmConfig{{URI: "realm1"}},
		})
		a, err := auth.New(e2eAuthConfig(t))
		must(t, err)
		r.Realm.SetAuthenticator(a.Authenticate)

		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		as := b.New()
		defer as.Close()
		cfg := client.Config{Realm: "realm1", Backend: as, Serializers: []serialize.Serializer{serialize.JSON}}
		before, err := client.Dial(ctx, r.RawURL, cfg)
		must(t, err)
		defer before.Leave(ctx, "")

		hello := `[1,"realm1",{"roles":{"caller":{}},"authmethods":["ticket"],"authid":"alice"}]`
		flood := make([]*wirePeer, perAddr)
		for i := range flood {
			flood[i] = dialWire(t, r.URL, "wamp.2.json")
			flood[i].send(hello)
			flood[i].want(int(wamp.CHALLENGE), "ticket")
		}
		over := dialWire(t, r.URL, "wamp.2.json")
		over.send(hello)
		over.want(int(wamp.ABORT), nil, string(core.ReasonTooManyHandshakes))
		over.wantClosed()
		if n := r.App.Handshakes(); n != perAddr {
			t.Fatalf("Handshakes() = %d during the flood, want %d", n, perAddr)
		}

		// The session joined before is served.
		res, err := before.Call(ctx, "wamp.session.count", nil, nil, nil)
		if err != nil || len(res.Args) != 1 {
			t.Fatalf("call during the flood: %v %v", res, err)
		}
		// A client from elsewhere joins, authenticating.
		unixCfg := cfg
		authenticate.Ticket("alice", "alice-ticket").Apply(&unixCfg)
		other, err := client.Dial(ctx, r.UnixURL, unixCfg)
		if err != nil {
			t.Fatalf("join over the unix socket during the flood: %v", err)
		}
		defer other.Leave(ctx, "")

		for _, p := range flood {
			must(t, p.conn.WriteClose(1000, nil))
		}
		waitUntil(t, "the flood's handshakes to be released", func() bool { return r.App.Handshakes() == 0 })
		late := dialWire(t, r.URL, "wamp.2.json")
		late.send(hello)
		late.want(int(wamp.CHALLENGE), "ticket")
	})
}

// Over the total MaxHandshakes, a new HELLO takes the place of the oldest
// handshake in flight, whose connection is closed: a flood of HELLOs that
// never finish, from as many addresses as it takes, cannot keep out a
// client that answers its CHALLENGE. (Each flooder here is within the
// per-address limit; a unix socket has no address at all.)
func TestHandshakeFloodEvictsTheOldest(t *testing.T) {
	forEachBackend(t, func(t *testing.T, b backend) {
		const places = 2
		r := testrouter.Serve(t, b.New(), core.Config{
			HandshakeTimeout: time.Minute, // the flood must not end by itself
			MaxHandshakes:    places, MaxHandshakesPerAddress: -1,
			Realms: []core.RealmConfig{{URI: "realm1"}},
		})
		a, err := auth.New(e2eAuthConfig(t))
		must(t, err)
		r.Realm.SetAuthenticator(a.Authenticate)

		hello := `[1,"realm1",{"roles":{"caller":{}},"authmethods":["ticket"],"authid":"alice"}]`
		flood := make([]*wirePeer, places)
		for i := range flood {
			flood[i] = dialWire(t, r.URL, "wamp.2.json")
			flood[i].send(hello)
			flood[i].want(int(wamp.CHALLENGE), "ticket")
		}

		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		as := b.New()
		defer as.Close()
		cfg := client.Config{Realm: "realm1", Backend: as, Serializers: []serialize.Serializer{serialize.JSON}}
		authenticate.Ticket("alice", "alice-ticket").Apply(&cfg)
		s, err := client.Dial(ctx, r.UnixURL, cfg)
		if err != nil {
			t.Fatalf("join during a flood that fills every place: %v", err)
		}
		defer s.Leave(ctx, "")
		flood[0].wantClosed() // the oldest handshake made room
		if _, err := s.Call(ctx, "wamp.session.count", nil, nil, nil); err != nil {
			t.Fatalf("call after joining: %v", err)
		}
		// The newer flooder still holds its place, and only it.
		waitUntil(t, "one handshake left in flight", func() bool { return r.App.Handshakes() == 1 })
		must(t, flood[1].conn.WriteClose(1000, nil))
		waitUntil(t, "every place given back", func() bool { return r.App.Handshakes() == 0 })
	})
}

// More unanswered CHALLENGEs than the backend has places for blocking
// work (the pool's 2 workers, the event loop's 2 offload helpers): an
// authenticator waiting for AUTHENTICATE holds none of them, so another
// client still authenticates, joins and calls a Go procedure (a handler
// on the same workers) — long before the flood's handshakes could time
// out and free anything.
func TestChallengeFloodHoldsNoWorker(t *testing.T) {
	for _, bk := range []backend{
		{Name: "pool", New: func() scheduler.AsyncSupport { return pool.New(pool.Config{Workers: 2}) }},
		{Name: "eventloop", New: func() scheduler.AsyncSupport { return eventloop.New(eventloop.Config{OffloadMax: 2}) }},
	} {
		t.Run(bk.Name, func(t *testing.T) {
			ignore := goleak.IgnoreCurrent()
			t.Cleanup(func() { goleak.VerifyNone(t, ignore) })
			const flood = 6
			r := testrouter.Serve(t, bk.New(), core.Config{
				HandshakeTimeout: 10 * time.Minute, // the flood must not end by itself
				Realms:           []core.RealmConfig{{URI: "realm1"}},
			})
			a, err := auth.New(e2eAuthConfig(t))
			must(t, err)
			r.Realm.SetAuthenticator(a.Authenticate)
			ctx, cancel := context.WithTimeout(context.Background(), guard)
			defer cancel()
			_, err = r.Realm.Register(ctx, "com.example.ping", func(context.Context, *core.Invocation) (*core.Result, error) {
				return &core.Result{Args: wamp.List{"pong"}}, nil
			}, nil)
			must(t, err)

			hello := `[1,"realm1",{"roles":{"caller":{}},"authmethods":["ticket"],"authid":"alice"}]`
			for range flood {
				p := dialWire(t, r.URL, "wamp.2.json")
				p.send(hello)
				p.want(int(wamp.CHALLENGE), "ticket")
			}
			if n := r.App.Handshakes(); n != flood {
				t.Fatalf("Handshakes() = %d during the flood, want %d", n, flood)
			}
			as := goroutine.New(goroutine.Config{})
			defer as.Close()
			cfg := client.Config{Realm: "realm1", Backend: as, Serializers: []serialize.Serializer{serialize.JSON}}
			authenticate.Ticket("alice", "alice-ticket").Apply(&cfg)
			s, err := client.Dial(ctx, r.URL, cfg)
			if err != nil {
				t.Fatalf("join during a flood of %d unanswered challenges: %v", flood, err)
			}
			defer s.Leave(ctx, "")
			res, err := s.Call(ctx, "com.example.ping", nil, nil, nil)
			if err != nil || len(res.Args) != 1 || res.Args[0] != "pong" {
				t.Fatalf("call during the flood: %v %v", res, err)
			}
		})
	}
}

// Throttled logins from more addresses than the backend has places for
// blocking work (the pool's 2 workers, the event loop's 2 offload
// helpers): each address failed once, so its next attempt waits its
// penalty (auth.Throttle, here far longer than the test), and that wait
// (core.AuthRequest.Delay) holds none of them, so another client still
// authenticates, joins and calls a Go procedure (a handler on the same
// workers). The addresses are given by the authenticator's caller, as the
// test has only 127.0.0.1.
func TestThrottledLoginsHoldNoWorker(t *testing.T) {
	for _, bk := range []backend{
		{Name: "pool", New: func() scheduler.AsyncSupport { return pool.New(pool.Config{Workers: 2}) }},
		{Name: "eventloop", New: func() scheduler.AsyncSupport { return eventloop.New(eventloop.Config{OffloadMax: 2}) }},
	} {
		t.Run(bk.Name, func(t *testing.T) {
			ignore := goleak.IgnoreCurrent()
			t.Cleanup(func() { goleak.VerifyNone(t, ignore) })
			const flood = 6
			r := testrouter.Serve(t, bk.New(), core.Config{
				HandshakeTimeout: 10 * time.Minute, // the waits must not end by themselves
				Realms:           []core.RealmConfig{{URI: "realm1"}},
			})
			cfg := e2eAuthConfig(t)
			cfg.Throttle = auth.Throttle{Delay: 10 * time.Minute, MaxDelay: 10 * time.Minute}
			a, err := auth.New(cfg)
			must(t, err)
			var delayed atomic.Int64 // second attempts of the flood that reached the authenticator
			r.Realm.SetAuthenticator(func(ctx context.Context, req *core.AuthRequest) (*core.Identity, error) {
				if n, ok := strings.CutPrefix(req.AuthID, "mallory-"); ok {
					req.Transport.PeerAddr = "10.9.0." + n + ":4000" // one address per flooder
					if req.AuthExtra["attempt"] == "second" {
						delayed.Add(1)
					}
				}
				return a.Authenticate(ctx, req)
			})
			ctx, cancel := context.WithTimeout(context.Background(), guard)
			defer cancel()
			_, err = r.Realm.Register(ctx, "com.example.ping", func(context.Context, *core.Invocation) (*core.Result, error) {
				return &core.Result{Args: wamp.List{"pong"}}, nil
			}, nil)
			must(t, err)

			hello := func(i int, attempt string) string {
				return fmt.Sprintf(`[1,"realm1",{"roles":{"caller":{}},"authmethods":["ticket"],"authid":"mallory-%d","authextra":{"attempt":%q}}]`, i, attempt)
			}
			for i := range flood { // one failure per address
				p := dialWire(t, r.URL, "wamp.2.json")
				p.send(hello(i, "first"))
				p.want(int(wamp.CHALLENGE), "ticket")
				p.send(`[5,"wrong",{}]`)
				p.want(int(wamp.ABORT), nil, "wamp.error.authentication_denied")
			}
			for i := range flood { // the next attempt from each waits its penalty
				dialWire(t, r.URL, "wamp.2.json").send(hello(i, "second"))
			}
			waitUntil(t, "every second attempt in the authenticator", func() bool { return delayed.Load() == flood })

			as := goroutine.New(goroutine.Config{})
			defer as.Close()
			ccfg := client.Config{Realm: "realm1", Backend: as, Serializers: []serialize.Serializer{serialize.JSON}}
			authenticate.Ticket("alice", "alice-ticket").Apply(&ccfg)
			s, err := client.Dial(ctx, r.URL, ccfg)
			if err != nil {
				t.Fatalf("join while %d throttled logins wait: %v", flood, err)
			}
			defer s.Leave(ctx, "")
			res, err := s.Call(ctx, "com.example.ping", nil, nil, nil)
			if err != nil || len(res.Args) != 1 || res.Args[0] != "pong" {
				t.Fatalf("call while throttled logins wait: %v %v", res, err)
			}
			if n := r.App.Handshakes(); n != flood {
				t.Errorf("Handshakes() = %d, want the %d throttled ones still waiting", n, flood)
			}
		})
	}
}
