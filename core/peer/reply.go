package peer

import (
	"maps"
	"slices"

	"github.com/switchboard-wamp/switchboard/core/wamp"
)

// onError routes an ERROR to the pending request it answers, matched by
// (RequestType, Request).
func (p *Peer) onError(m *wamp.Error, out *Effects) error {
	r, ok := p.pending[m.Request]
	if !ok || r.kind != m.RequestType {
		if m.RequestType == wamp.PUBLISH && !ok {
			// An ERROR for a publication sent without acknowledge: some
			// routers send it anyway, and nobody is waiting for it.
			return nil
		}
		return violation("ERROR for unknown %s request %d", m.RequestType, m.Request)
	}
	delete(p.pending, m.Request)
	switch r.kind {
	case wamp.SUBSCRIBE:
		defer p.subscribeSettled(r.key, out)
	case wamp.UNSUBSCRIBE:
		// The router refused; whatever it means, no local handle is left.
		p.dropSubscription(r.id)
	case wamp.UNREGISTER:
		if m.Error == wamp.ErrNoSuchRegistration {
			delete(p.regs, r.id)
		} else if reg := p.regs[r.id]; reg != nil {
			reg.unregistering = false // still registered at the router
		}
	}
	if !r.internal {
		out.Completions = append(out.Completions, Completion{Token: r.token, Kind: r.kind, Request: m.Request, Reply: m})
	}
	return nil
}

// optBool reads a boolean option; absent or non-boolean is false.
func optBool(d wamp.Dict, key string) bool {
	b, _ := wamp.OptBool(d, key)
	return b
}

func sortedIDs[V any](m map[wamp.ID]V) []wamp.ID {
	return slices.Sorted(maps.Keys(m))
}
