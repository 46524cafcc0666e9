package tests

import (
	"fmt"
	"testing"

	"github.com/switchboard-wamp/switchboard/client"
	"github.com/switchboard-wamp/switchboard/core/wamp"
)

// The session meta API covers every node (cluster/sessions.go):
// wamp.session.count, list and get on node A answer for the sessions of B
// and C too; a session that leaves, or the sessions of a node that dies,
// go. (kill of a remote session: core/router/testdata/cluster_sessions.txt.)
func TestClusterSessionMeta(t *testing.T) {
	forEachBackend(t, func(t *testing.T, b backend) {
		_, nodes := startCluster(t, b, 3)
		a, bn, c := nodes[0], nodes[1], nodes[2]
		ctx := guardCtx(t)
		caller := dialClient(t, b, a)
		b1, b2 := dialClient(t, b, bn), dialClient(t, b, bn)
		c1 := dialClient(t, b, c)
		count := func(s *client.Session) int64 {
			res, err := s.Call(ctx, "wamp.session.count", nil, nil, nil)
			must(t, err)
			n, _ := wamp.ToInt(res.Args[0])
			return n
		}
		waitCount := func(s *client.Session, want int64) {
			t.Helper()
			waitUntil(t, fmt.Sprintf("wamp.session.count = %d", want), func() bool { return count(s) == want })
		}
		waitCount(caller, 4)
		waitCount(c1, 4)
		res, err := caller.Call(ctx, "wamp.session.list", nil, nil, nil)
		must(t, err)
		list, _ := res.Args[0].([]any)
		seen := map[wamp.ID]bool{}
		for _, v := range list {
			id, _ := wamp.ToID(v)
			seen[id] = true
		}
		for _, s := range []*client.Session{caller, b1, b2, c1} {
			if !seen[s.ID()] {
				t.Fatalf("wamp.session.list %v misses session %d", list, s.ID())
			}
		}
		res, err = caller.Call(ctx, "wamp.session.get", wamp.List{int64(b1.ID())}, nil, nil)
		must(t, err)
		d, _ := res.Args[0].(wamp.Dict)
		if id, _ := wamp.ToID(d["session"]); id != b1.ID() || d["node"] != "B" || d["authrole"] != "anonymous" {
			t.Fatalf("wamp.session.get of B's session: %v", d)
		}
		must(t, b2.Leave(ctx, ""))
		waitCount(caller, 3)
		c.App.Cluster().Conn().Close() // C goes silent: its sessions go
		waitCount(caller, 2)
	})
}
