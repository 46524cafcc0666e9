package core

import (
	"context"
	"log/slog"
	"sync/atomic"

	"github.com/switchboard-wamp/switchboard/cluster"
	"github.com/switchboard-wamp/switchboard/core/engine"
	"github.com/switchboard-wamp/switchboard/core/wamp"
	"github.com/switchboard-wamp/switchboard/scheduler"
)

// Realm is one realm of an Application: the engine that routes it (its
// router on one serial executor, package core/engine) plus what the
// application adds to it — its own procedures and session, authenticator,
// session hooks, topic handlers, dependencies. Exported methods are safe
// for concurrent use.
type Realm struct {
	app *Application
	uri wamp.URI
	log *slog.Logger
	as  scheduler.AsyncSupport
	e   *engine.Realm
	// cluster is the realm's part in the cluster, nil when standalone.
	cluster atomic.Pointer[cluster.Realm]

	sessions sessionTable // admitted remote sessions; safe for concurrent use

	// Executor-owned: touched only by tasks running on the engine's executor.
	local  *localSession
	topics topicState // topic handlers' onLeave (topics.go)

	sc scope // the realm's own authenticator, hooks, topic routes, dependencies (hooks.go)

	// roles and authorizer are the realm's authorization (authz.go).
	roles      atomic.Pointer[[]Role]
	authorizer atomic.Pointer[Authorizer]
}

func newRealm(a *Application, rc RealmConfig) (*Realm, error) {
	r := &Realm{
		app: a,
		uri: rc.URI,
		log: a.log.With("realm", string(rc.URI)),
		as:  a.cfg.Backend,
	}
	r.e = engine.NewRealm(engine.RealmConfig{
		Router:          rc.routerConfig(),
		Backend:         a.cfg.Backend,
		IDs:             a.cfg.IDs,
		InboundQueueMax: a.cfg.InboundQueueMax,
		Log:             r.log,
		Metrics:         a.cfg.Metrics,
	}, (*host)(r))
	if rc.Roles != nil {
		roles := cloneRoles(rc.Roles)
		r.roles.Store(&roles)
	}
	if rc.Authorizer != nil {
		r.authorizer.Store(&rc.Authorizer)
	}
	// The application's session exists before the cluster can feed the
	// realm (the executor reads it after every step).
	r.local = newLocalSession(r, a.cfg.IDs.NextID())
	if a.node != nil {
		cr, err := a.node.AddRealm(r.e)
		if err != nil {
			return nil, err
		}
		r.cluster.Store(cr)
	}
	if !r.e.Post(r.local.join) {
		return nil, scheduler.ErrClosed
	}
	return r, nil
}

// URI returns the realm's name.
func (r *Realm) URI() wamp.URI { return r.uri }

// Cluster returns the realm's part in the application's cluster, nil when
// the application is standalone (Config.Cluster).
func (r *Realm) Cluster() *cluster.Realm { return r.cluster.Load() }

// shutdown says GOODBYE to every session of the realm and waits until all
// are gone or ctx is done.
func (r *Realm) shutdown(ctx context.Context, reason wamp.URI) error {
	return r.e.Shutdown(ctx, reason)
}

// SessionCount returns the number of sessions joined to the realm, including
// the application's own local session.
func (r *Realm) SessionCount(ctx context.Context) (int, error) {
	n, err := r.e.SessionCount(ctx)
	if err == engine.ErrClosed {
		return 0, ErrClosed
	}
	return n, err
}
