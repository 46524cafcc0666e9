package main

import (
	"context"
	"errors"
	"fmt"
	"sync/atomic"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/switchboard-wamp/switchboard/client"
	"github.com/switchboard-wamp/switchboard/core/wamp"
)

// clusterCalls measures calls from node a to the callees of
// remoteNodes: p50 with one caller, calls/s and CPU per call with
// clusterCallers. With two remote nodes the procedure is a shared
// (roundrobin) registration with a callee on each, so the calls alternate
// between them.
func (e *loadEnv) clusterCalls(bc *benchCluster, key string, m metrics) error {
	var sessions []*client.Session
	defer func() { leaveAll(sessions) }()
	want := map[string]bool{}
	for _, i := range remoteNodes(len(bc.nodes)) {
		callee, err := e.dialURL(bc.nodes[i].addrs.WS)
		if err != nil {
			return err
		}
		sessions = append(sessions, callee)
		name := nodeName(i)
		want[name] = true
		_, err = callee.Register(e.ctx, procClusterEcho, func(_ context.Context, inv *client.Invocation) (*client.Result, error) {
			return &client.Result{Args: inv.Args, Kwargs: wamp.Dict{"node": name}}, nil
		}, &client.RegisterOptions{Invoke: "roundrobin"})
		if err != nil {
			return fmt.Errorf("register on node %s: %w", name, err)
		}
	}
	callers := make([]*client.Session, clusterCallers)
	for i := range callers {
		var err error
		if callers[i], err = e.dialURL(bc.nodes[0].addrs.WS); err != nil {
			return err
		}
		sessions = append(sessions, callers[i])
	}
	if err := e.waitCallees(callers[0], want); err != nil {
		return err
	}
	samples, _, _, err := sequentialOps(e.ctx, e.cfg.Phase, bc.nodes[0].pid(), func() error { return e.call(callers[0], procClusterEcho) })
	if err != nil {
		return err
	}
	m[key+"rpc.p50_us"], _ = percentiles(samples)
	var calls atomic.Int64
	return e.underLoad(clusterCallers, func(_ context.Context, i int) error {
		if err := e.call(callers[i], procClusterEcho); err != nil {
			return err
		}
		calls.Add(1)
		return nil
	}, func(ctx context.Context) error {
		f, err := e.measureWindow(ctx, bc, calls.Load)
		m[key+"rpc.per_s"], m[key+"rpc.cpu_us"], m[key+"rpc.nats_cpu_us"], m[key+"rpc.nats_msgs"] = f.perSec, f.nodeCPU, f.natsCPU, f.natsMsgs
		return err
	})
}

// waitCallees calls until every node of want has answered: node a then
// knows every callee's registration.
func (e *loadEnv) waitCallees(caller *client.Session, want map[string]bool) error {
	seen := map[string]bool{}
	deadline := time.Now().Add(clusterReadyLimit)
	for len(seen) < len(want) {
		res, err := caller.Call(e.ctx, procClusterEcho, wamp.List{e.payload}, nil, nil)
		var werr *client.Error
		switch {
		case err == nil:
			if node, ok := res.Kwargs["node"].(string); ok {
				seen[node] = true
			}
			continue
		case !errors.As(err, &werr) || werr.URI != wamp.ErrNoSuchProcedure:
			return err
		case time.Now().After(deadline):
			return fmt.Errorf("node a knows the callees of %v only after %v", seen, clusterReadyLimit)
		}
		if !sleepCtx(e.ctx, 10*time.Millisecond) {
			return e.ctx.Err()
		}
	}
	return nil
}

// clusterEvents measures events published on node a and delivered to
// clusterSubscribers on the remote nodes: delivered/s and CPU per
// delivered event, with at most clusterWindow publications in flight.
func (e *loadEnv) clusterEvents(bc *benchCluster, key string, m metrics) error {
	var sessions []*client.Session
	defer func() { leaveAll(sessions) }()
	var delivered atomic.Int64
	var seen [clusterSubscribers]atomic.Bool
	tick := make(chan struct{}, 1)
	remote := remoteNodes(len(bc.nodes))
	for i := range clusterSubscribers {
		sub, err := e.dialURL(bc.nodes[remote[i%len(remote)]].addrs.WS)
		if err != nil {
			return err
		}
		sessions = append(sessions, sub)
		_, err = sub.Subscribe(e.ctx, topicCluster, func(*client.Event) {
			seen[i].Store(true)
			delivered.Add(1)
			select {
			case tick <- struct{}{}:
			default:
			}
		}, nil)
		if err != nil {
			return err
		}
	}
	pub, err := e.dialURL(bc.nodes[0].addrs.WS)
	if err != nil {
		return err
	}
	sessions = append(sessions, pub)
	args := wamp.List{e.payload}
	if err := e.waitSubscribers(pub, args, seen[:]); err != nil {
		return err
	}
	base, published := delivered.Load(), int64(0)
	return e.underLoad(1, func(ctx context.Context, _ int) error {
		// Wait until fewer than clusterWindow publications' worth of
		// events are undelivered.
		for published*clusterSubscribers-(delivered.Load()-base) >= clusterWindow*clusterSubscribers {
			select {
			case <-tick:
			case <-ctx.Done():
				return nil
			case <-time.After(oneOpLimit):
				return fmt.Errorf("%d of %d events not delivered after %v: lost across nodes",
					published*clusterSubscribers-(delivered.Load()-base), published*clusterSubscribers, oneOpLimit)
			}
		}
		published++
		return pub.Publish(e.ctx, topicCluster, args, nil, nil)
	}, func(ctx context.Context) error {
		f, err := e.measureWindow(ctx, bc, delivered.Load)
		m[key+"events.per_s"], m[key+"events.cpu_us"], m[key+"events.nats_cpu_us"] = f.perSec, f.nodeCPU, f.natsCPU
		m[key+"events.nats_msgs"] = f.natsMsgs * clusterSubscribers // per publication
		return err
	})
}

// waitSubscribers publishes until every subscriber has had an event: node
// a then knows every remote node's subscription.
func (e *loadEnv) waitSubscribers(pub *client.Session, args wamp.List, seen []atomic.Bool) error {
	deadline := time.Now().Add(clusterReadyLimit)
	for {
		all := true
		for i := range seen {
			all = all && seen[i].Load()
		}
		if all {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("subscribers still without an event from node a after %v", clusterReadyLimit)
		}
		if err := pub.Publish(e.ctx, topicCluster, args, nil, nil); err != nil {
			return err
		}
		if !sleepCtx(e.ctx, 10*time.Millisecond) {
			return e.ctx.Err()
		}
	}
}

// underLoad runs op(ctx, i) in a loop on workers goroutines while measure
// runs; the first failing op ends both. ops see ctx end when measure is
// done.
func (e *loadEnv) underLoad(workers int, op func(ctx context.Context, i int) error, measure func(ctx context.Context) error) error {
	run, stop := context.WithCancel(e.ctx)
	defer stop()
	g, gctx := errgroup.WithContext(run)
	for i := range workers {
		g.Go(func() error {
			for gctx.Err() == nil {
				if err := op(gctx, i); err != nil {
					return err
				}
			}
			return nil
		})
	}
	merr := measure(gctx)
	stop()
	if err := g.Wait(); err != nil {
		return err
	}
	return merr
}
