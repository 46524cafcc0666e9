package cluster

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/switchboard-wamp/switchboard/core/router"
	"github.com/switchboard-wamp/switchboard/core/wamp"
)

// Registration claims: procedure_already_exists across the cluster. The
// router holds a REGISTER that would give a procedure its first callee on
// this node (router.RealmConfig.ClusterClaims, turned on for every realm
// of a cluster) until this node has claimed the procedure in a NATS
// JetStream key-value bucket (<prefix>_claims, one key per realm,
// procedure and match policy). The claim is made with an atomic Create:
// when two nodes race, one Create succeeds and the other finds the key —
// one winner. A node may join a claim only when both registrations are
// shared with the same invoke policy (the value lists the nodes holding
// it, updated with compare-and-set). A node gives its claim up when the
// procedure's last callee on it goes; claims of a node declared dead are
// swept by the others, and a node starting sweeps its own (from a
// previous run under the same name). Claims are made off the realm's
// executor by one worker per realm, in the order asked.
//
// ErrClaimUnavailable answers a REGISTER when the claim cannot be made
// (JetStream unreachable or not enabled on the NATS server).
const ErrClaimUnavailable wamp.URI = "switchboard.error.cluster_unavailable"

// claimTimeout bounds one claim's round trips to JetStream.
const claimTimeout = 5 * time.Second

// claimer is a realm's claim worker and its queue. Safe for concurrent use.
type claimer struct {
	mu      sync.Mutex
	queue   []claimJob
	running bool
	kv      jetstream.KeyValue // the worker's
}

// claimJob is a claim, a release, or (sweep set) the removal of a node's
// claims in the realm.
type claimJob struct {
	op    router.ClaimOp
	done  func(wamp.URI, string)
	sweep string
}

// claimValue is a claim's value in the bucket.
type claimValue struct {
	Procedure string   `json:"procedure"`
	Match     string   `json:"match"`
	Invoke    string   `json:"invoke"`
	Nodes     []string `json:"nodes"`
}

// startClaims turns claims on for the realm: its router holds REGISTERs
// for them, this realm carries them out, and this node's claims left from
// a previous run are swept first.
func (r *Realm) startClaims() {
	r.rpc.claims.push(r, claimJob{sweep: r.n.name})
	r.e.Post(func() {
		r.e.SetClaimer(r)
		r.e.Router().SetClusterClaims(true)
	})
}

// Claim implements engine.Claimer. Called on the realm's executor; the
// work happens on the realm's claim worker.
func (r *Realm) Claim(_ wamp.URI, op router.ClaimOp, done func(refusal wamp.URI, msg string)) {
	r.rpc.claims.push(r, claimJob{op: op, done: done})
}

// push queues a job, starting the worker when none runs.
func (c *claimer) push(r *Realm, j claimJob) {
	c.mu.Lock()
	c.queue = append(c.queue, j)
	start := !c.running
	c.running = true
	c.mu.Unlock()
	if start {
		go c.run(r)
	}
}

// run carries out the queued jobs in order, then ends.
func (c *claimer) run(r *Realm) {
	for {
		c.mu.Lock()
		if len(c.queue) == 0 {
			c.running = false
			c.mu.Unlock()
			return
		}
		j := c.queue[0]
		c.queue = slices.Delete(c.queue, 0, 1)
		c.mu.Unlock()
		refusal, msg := c.doBounded(r, j)
		if j.done != nil {
			j.done(refusal, msg)
		}
	}
}

// doBounded carries out one job within claimTimeout, cut short when the
// node closes.
func (c *claimer) doBounded(r *Realm, j claimJob) (wamp.URI, string) {
	select {
	case <-r.n.stop:
		return ErrClaimUnavailable, "the cluster node is closing"
	default:
	}
	ctx, cancel := context.WithTimeout(context.Background(), claimTimeout)
	defer cancel()
	go func() {
		select {
		case <-r.n.stop:
			cancel()
		case <-ctx.Done():
		}
	}()
	return c.do(ctx, r, j)
}

// do carries out one job.
func (c *claimer) do(ctx context.Context, r *Realm, j claimJob) (wamp.URI, string) {
	claiming := j.sweep == "" && !j.op.Release
	kv, err := c.bucket(ctx, r, claiming)
	if kv == nil && err == nil {
		return "", "" // no bucket yet: nothing to release or sweep
	}
	if err != nil && !r.n.stopping() {
		r.n.log.Warn("cluster: registration claims unavailable", "realm", string(r.uri), "err", err)
	}
	if err != nil {
		return ErrClaimUnavailable, "the cluster cannot claim the procedure (NATS JetStream: " + err.Error() + ")"
	}
	switch {
	case j.sweep != "":
		err = sweepClaims(ctx, kv, escapeRealm(r.uri), j.sweep)
	case j.op.Release:
		err = releaseClaim(ctx, kv, claimKey(r.uri, j.op), r.n.name)
	default:
		return claim(ctx, kv, claimKey(r.uri, j.op), j.op, r.n.name)
	}
	if err != nil && !r.n.stopping() {
		r.n.log.Warn("cluster: claims not released", "realm", string(r.uri), "node", j.sweep, "procedure", string(j.op.Procedure), "err", err)
	}
	return "", ""
}

// bucket opens the claims bucket; create: creating it if needed (a
// claim), else nil, nil when there is none yet (a release or a sweep has
// nothing to do: no node has claimed anything).
func (c *claimer) bucket(ctx context.Context, r *Realm, create bool) (jetstream.KeyValue, error) {
	if c.kv != nil {
		return c.kv, nil
	}
	js, err := jetstream.New(r.n.nc)
	if err != nil {
		return nil, err
	}
	name := strings.ReplaceAll(r.n.cfg.SubjectPrefix, ".", "_") + "_claims"
	var kv jetstream.KeyValue
	if create {
		kv, err = js.CreateOrUpdateKeyValue(ctx, jetstream.KeyValueConfig{Bucket: name, History: 1,
			Description: "switchboard registration claims"})
	} else if kv, err = js.KeyValue(ctx, name); errors.Is(err, jetstream.ErrBucketNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	c.kv = kv
	return kv, nil
}

// claimKey is op's key: the realm's subject token, then a digest of the
// match policy and procedure (a URI may hold characters a key may not).
func claimKey(realm wamp.URI, op router.ClaimOp) string {
	sum := sha256.Sum256([]byte(op.Match + " " + string(op.Procedure)))
	return escapeRealm(realm) + "." + hex.EncodeToString(sum[:20])
}

// maxClaimRounds bounds the compare-and-set retries of one claim.
const maxClaimRounds = 16

// claim claims key for node me: won ("") or refused.
func claim(ctx context.Context, kv jetstream.KeyValue, key string, op router.ClaimOp, me string) (wamp.URI, string) {
	mine := claimValue{Procedure: string(op.Procedure), Match: op.Match, Invoke: op.Invoke, Nodes: []string{me}}
	for range maxClaimRounds {
		e, err := kv.Get(ctx, key)
		if errors.Is(err, jetstream.ErrKeyNotFound) {
			_, err = kv.Create(ctx, key, encodeClaim(mine))
			if errors.Is(err, jetstream.ErrKeyExists) {
				continue // another node was faster: look again
			}
			if err != nil {
				return ErrClaimUnavailable, "the cluster cannot claim the procedure: " + err.Error()
			}
			return "", ""
		}
		if err != nil {
			return ErrClaimUnavailable, "the cluster cannot claim the procedure: " + err.Error()
		}
		var v claimValue
		if json.Unmarshal(e.Value(), &v) != nil || len(v.Nodes) == 0 {
			v = claimValue{} // unreadable or empty: take it over
		}
		holds := slices.Contains(v.Nodes, me)
		switch {
		case holds && v.Invoke == op.Invoke:
			return "", ""
		case holds && len(v.Nodes) == 1, len(v.Nodes) == 0:
			v = mine
		case !holds && v.Invoke == op.Invoke && op.Invoke != wamp.InvokeSingle:
			v.Nodes = append(v.Nodes, me)
		default:
			return wamp.ErrProcedureAlreadyExists, "procedure " + string(op.Procedure) + " is already registered on cluster node(s) " +
				strings.Join(v.Nodes, ", ")
		}
		_, err = kv.Update(ctx, key, encodeClaim(v), e.Revision())
		if err == nil {
			return "", ""
		}
		if !errors.Is(err, jetstream.ErrKeyExists) && !errors.Is(err, jetstream.ErrKeyRevisionMismatch) {
			return ErrClaimUnavailable, "the cluster cannot claim the procedure: " + err.Error()
		}
	}
	return ErrClaimUnavailable, "the cluster cannot claim the procedure: too much contention"
}

// releaseClaim removes node from key's claim (the key goes with its last
// node).
func releaseClaim(ctx context.Context, kv jetstream.KeyValue, key, node string) error {
	for range maxClaimRounds {
		e, err := kv.Get(ctx, key)
		if errors.Is(err, jetstream.ErrKeyNotFound) {
			return nil
		}
		if err != nil {
			return err
		}
		var v claimValue
		_ = json.Unmarshal(e.Value(), &v)
		i := slices.Index(v.Nodes, node)
		if i < 0 {
			return nil
		}
		v.Nodes = slices.Delete(v.Nodes, i, i+1)
		if len(v.Nodes) == 0 {
			err = kv.Delete(ctx, key, jetstream.LastRevision(e.Revision()))
		} else {
			_, err = kv.Update(ctx, key, encodeClaim(v), e.Revision())
		}
		if err == nil {
			return nil
		}
		if !errors.Is(err, jetstream.ErrKeyExists) && !errors.Is(err, jetstream.ErrKeyRevisionMismatch) {
			return err
		}
	}
	return errors.New("too much contention")
}

// sweepClaims removes node from every claim of the realm whose keys start
// with realmToken.
func sweepClaims(ctx context.Context, kv jetstream.KeyValue, realmToken, node string) error {
	lister, err := kv.ListKeysFiltered(ctx, realmToken+".>")
	if err != nil {
		return err
	}
	var keys []string
	for k := range lister.Keys() { // closed when every key was listed, or ctx ended
		keys = append(keys, k)
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	for _, k := range keys {
		if err := releaseClaim(ctx, kv, k, node); err != nil {
			return err
		}
	}
	return nil
}

func encodeClaim(v claimValue) []byte {
	b, _ := json.Marshal(v)
	return b
}

// stopping reports whether the node is closing: what it has not released
// by then, the other nodes sweep when they learn it left.
func (n *Node) stopping() bool {
	select {
	case <-n.stop:
		return true
	default:
		return false
	}
}
