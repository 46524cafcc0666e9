package core

import (
	"context"
	"errors"
	"fmt"
)

// AddRoutes adds a route set to every realm of the application, and to
// every realm added later (see Realm.AddRoutes for what adding means). The
// set is checked against the route sets added before (the same exact,
// prefix or wildcard route twice is an error) and then kept, even when a
// realm refuses it (its error is returned, joined with the others'): a
// realm added later registers it when it is created, logging any refusal.
// Safe for concurrent use.
func (a *Application) AddRoutes(ctx context.Context, rs *Routes) error {
	routes, err := rs.snapshot()
	if err != nil {
		return err
	}
	a.mu.Lock()
	if a.closed {
		a.mu.Unlock()
		return ErrClosed
	}
	if err := conflicts(a.routeSets, routes); err != nil {
		a.mu.Unlock()
		return err
	}
	a.routeSets = append(a.routeSets, routes)
	realms := make([]*Realm, 0, len(a.realms))
	for _, r := range a.realms {
		realms = append(realms, r)
	}
	a.mu.Unlock()
	var errs []error
	for _, r := range realms {
		if err := r.addRoutes(ctx, routes); err != nil {
			errs = append(errs, fmt.Errorf("realm %q: %w", r.uri, err))
		}
	}
	return errors.Join(errs...)
}

// conflicts reports a dealer-backed route of routes that a set in sets
// already has.
func conflicts(sets [][]route, routes []route) error {
	for _, set := range sets {
		for _, old := range set {
			for _, rt := range routes {
				if rt.kind != routeRegex && rt.kind == old.kind && rt.uri == old.uri {
					return fmt.Errorf("core: %s is already in an application route set", rt)
				}
			}
		}
	}
	return nil
}

// adoptRoutes registers the application's route sets in a new realm. It
// only posts to the realm's executor (it runs under Application.mu, before
// the realm is visible to connections, so the routes are in place before
// any remote session's first message). A refusal is logged.
func (r *Realm) adoptRoutes(sets [][]route) {
	if len(sets) == 0 {
		return
	}
	r.e.Post(func() {
		for _, routes := range sets {
			if err := r.local.addRoutes(routes); err != nil {
				r.log.Error("application route set refused by a new realm", "err", err)
			}
		}
	})
}
