package tests

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/switchboard-wamp/switchboard/client"
	"github.com/switchboard-wamp/switchboard/core"
	"github.com/switchboard-wamp/switchboard/core/serialize"
	"github.com/switchboard-wamp/switchboard/core/wamp"
	"github.com/switchboard-wamp/switchboard/tests/testrouter"
)

// RPC across nodes (cluster/rpc.go): a registration on one node is
// registered by its node session on every other node, so a call on any
// node reaches it, with progressive results, cancel and timeout intact.

// registrations returns what node r can route to node peer in realm1:
// the registrations ("match procedure") of peer's node session.
func registrations(t *testing.T, r *testrouter.Router, peer string) []string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), guard)
	defer cancel()
	m, err := r.Realm.Cluster().Registrations(ctx)
	must(t, err)
	return m[peer]
}

// waitRegistration waits until node r routes "match procedure" to peer.
func waitRegistration(t *testing.T, r *testrouter.Router, peer, key string) {
	t.Helper()
	waitUntil(t, fmt.Sprintf("node %s to know %q of %s", r.App.Cluster().Name(), key, peer), func() bool {
		return slices.Contains(registrations(t, r, peer), key)
	})
}

// A call on node A reaches a callee on node B: arguments, progressive
// results in order, the final result, and the caller's identity when it
// discloses itself.
func TestClusterRPCCall(t *testing.T) {
	forEachBackend(t, func(t *testing.T, b backend) {
		_, nodes := startCluster(t, b, 3)
		a, bn, c := nodes[0], nodes[1], nodes[2]
		ctx := guardCtx(t)
		callee := dialClient(t, b, bn)
		details := make(chan wamp.Dict, 1)
		_, err := callee.Register(ctx, "com.example.count", func(ctx context.Context, inv *client.Invocation) (*client.Result, error) {
			details <- inv.Details
			n, _ := wamp.ToInt(inv.Args[0])
			for i := range n {
				if inv.ReceiveProgress() {
					if err := inv.Progress(wamp.List{i}, nil); err != nil {
						return nil, err
					}
				}
			}
			return &client.Result{Args: wamp.List{"done"}, Kwargs: wamp.Dict{"n": n}}, nil
		}, nil)
		must(t, err)
		waitRegistration(t, a, "B", "exact com.example.count")
		waitRegistration(t, c, "B", "exact com.example.count")

		caller := dialClient(t, b, a)
		var progress []int64
		res, err := caller.Call(ctx, "com.example.count", wamp.List{20}, nil, &client.CallOptions{DiscloseMe: true,
			Progress: func(r *client.Result) {
				n, _ := wamp.ToInt(r.Args[0])
				progress = append(progress, n)
			}})
		must(t, err)
		if res.Args[0] != "done" || len(progress) != 20 {
			t.Fatalf("result %v, %d progressive results", res.Args, len(progress))
		}
		for i, n := range progress {
			if n != int64(i) {
				t.Fatalf("progressive result %d is %d: out of order", i, n)
			}
		}
		select {
		case d := <-details:
			id, _ := wamp.ToID(d["caller"])
			if id != caller.ID() || d["caller_authrole"] != "anonymous" {
				t.Fatalf("the callee saw caller %v (%v), want %d: %v", d["caller"], d["caller_authrole"], caller.ID(), d)
			}
		case <-ctx.Done():
			t.Fatal("no invocation seen")
		}
		// From node C too, without disclosure: no caller in the details.
		res, err = dialClient(t, b, c).Call(ctx, "com.example.count", wamp.List{0}, nil, nil)
		must(t, err)
		if res.Args[0] != "done" {
			t.Fatalf("result %v", res.Args)
		}
		if d := <-details; d["caller"] != nil {
			t.Fatalf("caller disclosed without disclose_me: %v", d)
		}
		// An error crosses back as it is.
		_, err = callee.Register(ctx, "com.example.fail", func(context.Context, *client.Invocation) (*client.Result, error) {
			return nil, &client.Error{URI: "com.example.oops", Args: wamp.List{"no"}}
		}, nil)
		must(t, err)
		waitRegistration(t, a, "B", "exact com.example.fail")
		_, err = caller.Call(ctx, "com.example.fail", nil, nil, nil)
		wantErrorURI(t, err, "com.example.oops")
	})
}

// Cancel in every mode and the call's timeout hold across nodes: the
// callee on B is interrupted (kill, killnowait, timeout) or not (skip),
// and the caller on A gets its answer.
func TestClusterRPCCancelAndTimeout(t *testing.T) {
	forEachBackend(t, func(t *testing.T, b backend) {
		_, nodes := startCluster(t, b, 2)
		a, bn := nodes[0], nodes[1]
		ctx := guardCtx(t)
		callee := dialClient(t, b, bn)
		started := make(chan string, 4)
		interrupted := make(chan string, 4)
		release := make(chan struct{})
		_, err := callee.Register(ctx, "com.example.slow", func(hctx context.Context, inv *client.Invocation) (*client.Result, error) {
			tag, _ := inv.Args[0].(string)
			started <- tag
			select {
			case <-hctx.Done():
				interrupted <- tag
				return nil, hctx.Err()
			case <-release:
				return &client.Result{Args: wamp.List{tag}}, nil
			case <-ctx.Done():
				return nil, ctx.Err()
			}
		}, &client.RegisterOptions{Blocking: true})
		must(t, err)
		waitRegistration(t, a, "B", "exact com.example.slow")
		caller := dialClient(t, b, a)
		recv := func(ch chan string, what string) string {
			t.Helper()
			select {
			case s := <-ch:
				return s
			case <-ctx.Done():
				t.Fatalf("%s: not seen", what)
				return ""
			}
		}
		for _, mode := range []string{"kill", "killnowait"} {
			cctx, cancel := context.WithCancel(ctx)
			errc := make(chan error, 1)
			go func() {
				_, err := caller.Call(cctx, "com.example.slow", wamp.List{mode}, nil, &client.CallOptions{CancelMode: mode})
				errc <- err
			}()
			if got := recv(started, mode+" started"); got != mode {
				t.Fatalf("started %q", got)
			}
			cancel()
			if got := recv(interrupted, mode+" interrupted"); got != mode {
				t.Fatalf("interrupted %q, want %q", got, mode)
			}
			select {
			case err := <-errc:
				if !errors.Is(err, context.Canceled) {
					t.Fatalf("%s: err = %v", mode, err)
				}
			case <-ctx.Done():
				t.Fatalf("%s: the call did not return", mode)
			}
		}
		// Timeout: run by A's router; the callee on B is interrupted.
		_, err = caller.Call(ctx, "com.example.slow", wamp.List{"timeout"}, nil, &client.CallOptions{Timeout: 200 * time.Millisecond})
		wantErrorURI(t, err, wamp.ErrTimeout)
		recv(started, "timeout started")
		if got := recv(interrupted, "timeout interrupted"); got != "timeout" {
			t.Fatalf("interrupted %q", got)
		}
		// skip: the caller is answered at once, the callee runs on.
		cctx, cancel := context.WithCancel(ctx)
		errc := make(chan error, 1)
		go func() {
			_, err := caller.Call(cctx, "com.example.slow", wamp.List{"skip"}, nil, &client.CallOptions{CancelMode: "skip"})
			errc <- err
		}()
		recv(started, "skip started")
		cancel()
		select {
		case err := <-errc:
			if !errors.Is(err, context.Canceled) {
				t.Fatalf("skip: err = %v", err)
			}
		case <-ctx.Done():
			t.Fatal("skip: the call did not return")
		}
		close(release) // the skipped invocation ends normally
		// The node session serves new calls afterwards.
		res, err := caller.Call(ctx, "com.example.slow", wamp.List{"after"}, nil, nil)
		must(t, err)
		recv(started, "after started")
		if res.Args[0] != "after" {
			t.Fatalf("result %v", res.Args)
		}
		select {
		case tag := <-interrupted:
			t.Fatalf("%q interrupted, skip must not interrupt", tag)
		default:
		}
	})
}

// Shared registrations balance across nodes: one callee per node in each
// node's dealer, so roundrobin visits every node in turn; first and last
// keep to one; random reaches every node.
func TestClusterRPCShared(t *testing.T) {
	forEachBackend(t, func(t *testing.T, b backend) {
		_, nodes := startCluster(t, b, 3)
		ctx := guardCtx(t)
		names := []string{"A", "B", "C"}
		for _, policy := range []string{"roundrobin", "random", "first", "last"} {
			proc := wamp.URI("com.example.shared." + policy)
			for i, r := range nodes {
				name := names[i]
				_, err := dialClient(t, b, r).Register(ctx, proc, func(context.Context, *client.Invocation) (*client.Result, error) {
					return &client.Result{Args: wamp.List{name}}, nil
				}, &client.RegisterOptions{Invoke: policy})
				must(t, err)
			}
			for i, r := range nodes {
				for j, peer := range names {
					if i != j {
						waitRegistration(t, r, peer, "exact "+string(proc))
					}
				}
			}
			caller := dialClient(t, b, nodes[0])
			count := map[string]int{}
			calls := 30
			for range calls {
				res, err := caller.Call(ctx, proc, nil, nil, nil)
				must(t, err)
				count[res.Args[0].(string)]++
			}
			switch policy {
			case "roundrobin":
				if count["A"] != 10 || count["B"] != 10 || count["C"] != 10 {
					t.Fatalf("roundrobin: %v", count)
				}
			case "random":
				if len(count) != 3 {
					t.Fatalf("random reached only %v in %d calls", count, calls)
				}
			default:
				if len(count) != 1 {
					t.Fatalf("%s: %v", policy, count)
				}
			}
		}
	})
}

// A node that dies mid-call: the calls in flight to its callees end with
// ERROR wamp.error.canceled on the caller's node, which keeps serving.
func TestClusterRPCNodeDiesMidCall(t *testing.T) {
	forEachBackend(t, func(t *testing.T, b backend) {
		_, nodes := startCluster(t, b, 3)
		a, bn, c := nodes[0], nodes[1], nodes[2]
		ctx := guardCtx(t)
		started := make(chan struct{}, 1)
		_, err := dialClient(t, b, bn).Register(ctx, "com.example.hang", func(hctx context.Context, _ *client.Invocation) (*client.Result, error) {
			started <- struct{}{}
			<-hctx.Done()
			return nil, hctx.Err()
		}, &client.RegisterOptions{Blocking: true})
		must(t, err)
		_, err = dialClient(t, b, c).Register(ctx, "com.example.alive", func(context.Context, *client.Invocation) (*client.Result, error) {
			return &client.Result{Args: wamp.List{"C"}}, nil
		}, nil)
		must(t, err)
		waitRegistration(t, a, "B", "exact com.example.hang")
		waitRegistration(t, a, "C", "exact com.example.alive")
		caller := dialClient(t, b, a)
		errc := make(chan error, 1)
		go func() {
			_, err := caller.Call(ctx, "com.example.hang", nil, nil, nil)
			errc <- err
		}()
		select {
		case <-started:
		case <-ctx.Done():
			t.Fatal("the call did not reach node B")
		}
		bn.App.Cluster().Conn().Close() // B goes silent
		select {
		case err := <-errc:
			wantErrorURI(t, err, wamp.ErrCanceled)
		case <-ctx.Done():
			t.Fatal("the call to the dead node hangs")
		}
		res, err := caller.Call(ctx, "com.example.alive", nil, nil, nil)
		must(t, err)
		if res.Args[0] != "C" {
			t.Fatalf("result %v", res.Args)
		}
		_, err = caller.Call(ctx, "com.example.hang", nil, nil, nil)
		wantErrorURI(t, err, wamp.ErrNoSuchProcedure)
	})
}

// procedure_already_exists holds cluster-wide: two clients on two nodes
// registering the same procedure at once, one wins; the other can
// register once the winner has unregistered; shared registrations with the
// same policy coexist.
func TestClusterRegistrationRace(t *testing.T) {
	forEachBackend(t, func(t *testing.T, b backend) {
		_, nodes := startCluster(t, b, 3)
		ctx := guardCtx(t)
		handler := func(context.Context, *client.Invocation) (*client.Result, error) { return &client.Result{}, nil }
		for round := range 3 {
			proc := wamp.URI(fmt.Sprintf("com.example.race%d", round))
			sessions := []*client.Session{dialClient(t, b, nodes[0]), dialClient(t, b, nodes[1]), dialClient(t, b, nodes[2])}
			var wg sync.WaitGroup
			regs := make([]*client.Registration, 3)
			errs := make([]error, 3)
			for i, s := range sessions {
				wg.Add(1)
				go func() {
					defer wg.Done()
					regs[i], errs[i] = s.Register(ctx, proc, handler, nil)
				}()
			}
			wg.Wait()
			winner := -1
			for i, err := range errs {
				if err == nil {
					if winner >= 0 {
						t.Fatalf("%s: registered on node %d and node %d", proc, winner, i)
					}
					winner = i
					continue
				}
				wantErrorURI(t, err, wamp.ErrProcedureAlreadyExists)
			}
			if winner < 0 {
				t.Fatalf("%s: nobody won: %v", proc, errs)
			}
			// The claim goes with the registration: another node may take it.
			must(t, regs[winner].Unregister(ctx))
			next := sessions[(winner+1)%3]
			waitUntil(t, "the released claim to be taken", func() bool {
				reg, err := next.Register(ctx, proc, handler, nil)
				if err == nil {
					must(t, reg.Unregister(ctx))
				}
				return err == nil
			})
		}
		// Shared with the same policy on every node: all succeed.
		for _, r := range nodes {
			_, err := dialClient(t, b, r).Register(ctx, "com.example.shared", handler, &client.RegisterOptions{Invoke: "roundrobin"})
			must(t, err)
		}
		_, err := dialClient(t, b, nodes[1]).Register(ctx, "com.example.shared", handler, &client.RegisterOptions{Invoke: "random"})
		wantErrorURI(t, err, wamp.ErrProcedureAlreadyExists)
	})
}

// The application's own procedures are not claimed (every node may serve
// the same ones): a node serves its own — registered after another node's
// was known, it takes the procedure over — and a node without one reaches
// one of the others. A node session's registration refused because its
// procedure is taken here is tried again once it is free.
func TestClusterRPCRegistrationRetried(t *testing.T) {
	forEachBackend(t, func(t *testing.T, b backend) {
		_, nodes := startCluster(t, b, 3)
		a, bn, c := nodes[0], nodes[1], nodes[2]
		ctx := guardCtx(t)
		serve := func(r *testrouter.Router, name string) *core.Registration {
			reg, err := r.Realm.Register(ctx, "com.example.app", func(context.Context, *core.Invocation) (*core.Result, error) {
				return &core.Result{Args: wamp.List{name}}, nil
			}, nil)
			must(t, err)
			return reg
		}
		regA := serve(a, "A")
		// B knows A's procedure before registering its own: B's own takes
		// it over there (A's node session's registration is revoked).
		waitRegistration(t, bn, "A", "exact com.example.app")
		serve(bn, "B")
		callOn := func(r *testrouter.Router) string {
			res, err := dialClient(t, b, r).Call(ctx, "com.example.app", nil, nil, nil)
			must(t, err)
			return res.Args[0].(string)
		}
		waitUntil(t, "C to route com.example.app to A or B", func() bool {
			return len(registrations(t, c, "A"))+len(registrations(t, c, "B")) == 1
		})
		if got := callOn(a); got != "A" {
			t.Fatalf("a call on A reached %s, want A's own procedure", got)
		}
		if got := callOn(bn); got != "B" {
			t.Fatalf("a call on B reached %s, want B's own procedure", got)
		}
		if got := callOn(c); got != "A" && got != "B" {
			t.Fatalf("a call on C reached %q", got)
		}
		must(t, regA.Unregister(ctx))
		waitRegistration(t, a, "B", "exact com.example.app") // retried on A once A's own went
		waitRegistration(t, c, "B", "exact com.example.app")
		if got := callOn(a); got != "B" {
			t.Fatalf("a call on A reached %s, want B", got)
		}
		if got := callOn(c); got != "B" {
			t.Fatalf("a call on C reached %s, want B", got)
		}
	})
}

// The caller's node dying mid-call: the callee's node forgets the call
// and interrupts its callee (INTERRUPT killnowait), which is not left
// running for nobody.
func TestClusterRPCCallerNodeDies(t *testing.T) {
	forEachBackend(t, func(t *testing.T, b backend) {
		_, nodes := startCluster(t, b, 2)
		a, bn := nodes[0], nodes[1]
		ctx := guardCtx(t)
		started, interrupted := make(chan struct{}, 1), make(chan struct{}, 1)
		_, err := dialClient(t, b, bn).Register(ctx, "com.example.hang", func(hctx context.Context, _ *client.Invocation) (*client.Result, error) {
			started <- struct{}{}
			select {
			case <-hctx.Done():
				interrupted <- struct{}{}
			case <-ctx.Done():
			}
			return nil, hctx.Err()
		}, &client.RegisterOptions{Blocking: true})
		must(t, err)
		waitRegistration(t, a, "B", "exact com.example.hang")
		caller := dialClient(t, b, a)
		go func() { _, _ = caller.Call(ctx, "com.example.hang", nil, nil, nil) }()
		select {
		case <-started:
		case <-ctx.Done():
			t.Fatal("the call did not reach node B")
		}
		a.App.Cluster().Conn().Close() // A goes silent
		select {
		case <-interrupted:
		case <-ctx.Done():
			t.Fatal("the callee on B was not interrupted when the caller's node died")
		}
	})
}

// A CALL from another node that this node's router would take for a
// protocol violation (an option of the wrong type) is answered with ERROR
// to that node, and the node session lives on: later calls cross as
// before.
func TestClusterRPCBadCallFromNode(t *testing.T) {
	forEachBackend(t, func(t *testing.T, b backend) {
		ns, nodes := startCluster(t, b, 2)
		a, bn := nodes[0], nodes[1]
		ctx := guardCtx(t)
		_, err := dialClient(t, b, bn).Register(ctx, "com.example.echo", func(_ context.Context, inv *client.Invocation) (*client.Result, error) {
			return &client.Result{Args: inv.Args}, nil
		}, nil)
		must(t, err)
		waitRegistration(t, a, "B", "exact com.example.echo")
		caller := dialClient(t, b, a)
		_, err = caller.Call(ctx, "com.example.echo", wamp.List{1}, nil, nil) // B's node session for A exists
		must(t, err)

		raw, err := nats.Connect(ns.url())
		must(t, err)
		defer raw.Close()
		replies, err := raw.SubscribeSync("switchboard.m.realm1.A.B") // what B sends A
		must(t, err)
		must(t, raw.Flush())
		bad, err := serialize.MsgPack.Append(nil, &wamp.Call{Request: 1 << 40, Options: wamp.Dict{"receive_progress": "yes"},
			Procedure: "com.example.echo"})
		must(t, err)
		must(t, raw.Publish("switchboard.m.realm1.B.A", bad)) // as if from A
		for {
			msg, err := replies.NextMsg(guard)
			must(t, err)
			m, err := serialize.MsgPack.Decode(msg.Data)
			must(t, err)
			if e, ok := m.(*wamp.Error); ok && e.Request == 1<<40 {
				if e.Error != wamp.ErrInvalidArgument {
					t.Fatalf("answer %v", e)
				}
				break
			}
		}
		res, err := caller.Call(ctx, "com.example.echo", wamp.List{2}, nil, nil)
		must(t, err)
		if n, _ := wamp.ToInt(res.Args[0]); n != 2 {
			t.Fatalf("result %v", res.Args)
		}
	})
}

// A call whose INVOCATION is larger than NATS carries (1 MiB by default)
// fails at once with wamp.error.payload_size_exceeded, without waiting for
// a timeout (it has none here), and the callee's node serves the next call.
func TestClusterRPCTooLargeForNATS(t *testing.T) {
	forEachBackend(t, func(t *testing.T, b backend) {
		_, nodes := startCluster(t, b, 2)
		a, bn := nodes[0], nodes[1]
		ctx := guardCtx(t)
		callee := dialClient(t, b, bn)
		_, err := callee.Register(ctx, "com.example.size", func(_ context.Context, inv *client.Invocation) (*client.Result, error) {
			s, _ := inv.Args[0].(string)
			return &client.Result{Args: wamp.List{len(s)}}, nil
		}, nil)
		must(t, err)
		waitRegistration(t, a, "B", "exact com.example.size")
		caller := dialClient(t, b, a)
		_, err = caller.Call(ctx, "com.example.size", wamp.List{strings.Repeat("x", 2<<20)}, nil, nil)
		wantErrorURI(t, err, wamp.ErrPayloadSizeExceeded)
		res, err := caller.Call(ctx, "com.example.size", wamp.List{"small"}, nil, nil)
		must(t, err)
		if n, _ := wamp.ToInt(res.Args[0]); n != 5 {
			t.Fatalf("the next call: %v", res.Args)
		}
	})
}
