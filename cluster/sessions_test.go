package cluster

import (
	"testing"

	"github.com/switchboard-wamp/switchboard/core/wamp"
)

type listIDs struct{ ids []wamp.ID }

func (l *listIDs) NextID() wamp.ID {
	id := l.ids[0]
	l.ids = l.ids[1:]
	return id
}

// SessionIDs draws again an ID that is a known session of another node.
func TestSessionIDsSkipRemoteSessions(t *testing.T) {
	var n Node
	n.remoteSessions.add(7)
	n.remoteSessions.add(8)
	n.remoteSessions.add(8) // in two realms
	n.remoteSessions.remove(8)
	ids := n.SessionIDs(&listIDs{ids: []wamp.ID{7, 8, 9, 10}})
	if got := ids.NextID(); got != 9 {
		t.Fatalf("first ID %d, want 9 (7 and 8 are remote sessions)", got)
	}
	n.remoteSessions.remove(8)
	n.remoteSessions.remove(7)
	ids = n.SessionIDs(&listIDs{ids: []wamp.ID{7}})
	if got := ids.NextID(); got != 7 {
		t.Fatalf("ID %d, want 7 once its session left", got)
	}
}
