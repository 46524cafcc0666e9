package engine

import (
	"sync"
	"testing"
	"time"

	"github.com/switchboard-wamp/switchboard/adapters/goroutine"
	"github.com/switchboard-wamp/switchboard/core/router"
	"github.com/switchboard-wamp/switchboard/core/wamp"
	"github.com/switchboard-wamp/switchboard/internal/testwait"
)

// guard bounds every wait of this package's tests.
const guard = 10 * time.Second

// waitUntil polls cond until it holds, failing after guard: the one wait
// helper of this package.
func waitUntil(t *testing.T, what string, cond func() bool) {
	t.Helper()
	testwait.Until(t, what, guard, cond)
}

// stubHost is a Host with nothing to do: no authentication, no hooks.
type stubHost struct{}

func (stubHost) Authenticates() bool                                         { return false }
func (stubHost) Authenticate(*Handshake, func(router.SessionInfo, *Refusal)) {}
func (stubHost) Open(*Handshake, router.SessionInfo, func(*Refusal)) (*Refusal, bool) {
	return nil, true
}
func (stubHost) End(wamp.ID)                                               {}
func (stubHost) Notices(*router.Effects)                                   {}
func (stubHost) Flush()                                                    {}
func (stubHost) Authorize(router.AuthorizeOp, func(allow bool, err error)) {}

// recorder is an Outlet that keeps what it is sent.
type recorder struct {
	mu  sync.Mutex
	got []wamp.Message
}

func (o *recorder) Send(m wamp.Message) bool {
	o.mu.Lock()
	o.got = append(o.got, m)
	o.mu.Unlock()
	return true
}
func (o *recorder) Close() {}
func (o *recorder) last() wamp.Message {
	o.mu.Lock()
	defer o.mu.Unlock()
	if len(o.got) == 0 {
		return nil
	}
	return o.got[len(o.got)-1]
}

type counterIDs struct {
	mu sync.Mutex
	n  wamp.ID
}

func (c *counterIDs) NextID() wamp.ID { c.mu.Lock(); defer c.mu.Unlock(); c.n++; return c.n }

// refuser is a Claimer that refuses every claim and counts releases.
type refuser struct {
	mu       sync.Mutex
	releases int
}

func (f *refuser) Claim(_ wamp.URI, op router.ClaimOp, done func(wamp.URI, string)) {
	if op.Release {
		f.mu.Lock()
		f.releases++
		f.mu.Unlock()
		return
	}
	go done(wamp.ErrProcedureAlreadyExists, "taken")
}

// Effects.Claim: without a Claimer every claim is won at once; with one,
// its answer (from another goroutine) reaches the router on the executor.
func TestClaims(t *testing.T) {
	as := goroutine.New(goroutine.Config{})
	defer as.Close()
	cfg := router.RealmConfig{URI: "realm1", ClusterClaims: true}
	r := NewRealm(RealmConfig{Router: cfg, Backend: as, IDs: &counterIDs{}}, stubHost{})
	out := &recorder{}
	hello := &wamp.Hello{Realm: "realm1", Details: wamp.Dict{"roles": wamp.Dict{"callee": wamp.Dict{}}}}
	register := func(req wamp.ID, proc wamp.URI) {
		r.Post(func() { r.HandleLocal(1, &wamp.Register{Request: req, Options: wamp.Dict{}, Procedure: proc}) })
	}
	r.Post(func() {
		r.Attach(1, out)
		r.Do(func(now time.Time, rr *router.Realm, fx *router.Effects) {
			rr.Join(now, 1, hello, router.SessionInfo{AuthID: "c", AuthRole: "user"}, fx)
		})
	})
	register(1, "com.example.free")
	waitUntil(t, "REGISTERED without a claimer", func() bool {
		_, ok := out.last().(*wamp.Registered)
		return ok
	})
	claimer := &refuser{}
	r.Post(func() { r.SetClaimer(claimer) })
	register(2, "com.example.taken")
	waitUntil(t, "the claimer's refusal", func() bool {
		e, ok := out.last().(*wamp.Error)
		return ok && e.Request == 2 && e.Error == wamp.ErrProcedureAlreadyExists
	})
	// The session leaving gives up the claim of its registration.
	r.Post(func() { r.Do(func(now time.Time, rr *router.Realm, fx *router.Effects) { rr.Detach(now, 1, fx) }) })
	waitUntil(t, "the release", func() bool {
		claimer.mu.Lock()
		defer claimer.mu.Unlock()
		return claimer.releases == 1
	})
}
