package core

import (
	"context"
	"fmt"

	"github.com/switchboard-wamp/switchboard/core/peer"
	"github.com/switchboard-wamp/switchboard/core/wamp"
)

// Publish publishes an event to the realm's subscribers of topic from the
// application. With opts.Acknowledge it waits for the broker's answer and
// reports a refusal (for example wamp.error.invalid_uri) as an *Error
// (a handler that waits for that must be marked Blocking). Safe for
// concurrent use.
func (r *Realm) Publish(ctx context.Context, topic wamp.URI, args wamp.List, kwargs wamp.Dict, opts *PublishOptions) error {
	ack := opts != nil && opts.Acknowledge
	l := r.local
	rep := newReply()
	o := opts.dict()
	c, err := l.do(ctx, rep, func() {
		l.p.Publish(topic, args, kwargs, o, rep, l.fx)
		l.flush()
		if !ack {
			// Routed; nothing answers an unacknowledged publication. (A
			// refusal by the peer, the session having ended, came first.)
			rep.complete(l, peer.Completion{Kind: wamp.PUBLISH})
		}
	})
	if err == nil {
		err = completionError(c)
	}
	if err != nil {
		return fmt.Errorf("core: publish %q: %w", topic, err)
	}
	return nil
}
