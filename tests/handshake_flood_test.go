package tests

import (
	"context"
	"testing"
	"time"

	"github.com/switchboard-wamp/switchboard/auth"
	"github.com/switchboard-wamp/switchboard/client"
	"github.com/switchboard-wamp/switchboard/client/authenticate"
	"github.com/switchboard-wamp/switchboard/core"
	"github.com/switchboard-wamp/switchboard/core/serialize"
	"github.com/switchboard-wamp/switchboard/core/wamp"
	"github.com/switchboard-wamp/switchboard/tests/testrouter"
)

// A flood of HELLOs that never finish authentication holds at most
// MaxHandshakesPerAddress places from its address: the HELLO beyond is
// aborted with switchboard.error.too_many_handshakes, a session joined
// before the flood is still served, a client from elsewhere (a unix
// socket: no source IP, counted in the total only) still joins, and the
// places come back when the flooders go.
//
// perAddr stays below the pool backend's 4 workers: there an
// authenticator waiting for AUTHENTICATE holds a worker until the
// handshake ends, so a flood of as many handshakes as workers would stall
// every authentication until HandshakeTimeout (a limit of the pool's
// bounded workers, not of the handshake count).
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
