package router

import (
	"time"

	"github.com/switchboard-wamp/switchboard/core/wamp"
)

// publish handles PUBLISH: one EVENT value per matching subscription,
// delivered (the same pointer) to each eligible subscriber of it, then
// PUBLISHED when acknowledge=true; those EVENTs and the PUBLISHED are marked
// Outbound.Acked.
//
// Per the basic profile, a PUBLISH the broker cannot fulfil is answered
// with ERROR only when acknowledge=true; otherwise it is discarded without
// reply. Clients may not publish under the reserved "wamp." prefix
// (ERROR wamp.error.invalid_uri); Internal sessions may. A publication the
// realm's Authorization denies is refused with wamp.error.not_authorized
// (or wamp.error.option_disallowed.disclose_me), and so dropped when
// unacknowledged, as the spec says. A list-valued
// option longer than the realm's MaxOptionListLen is refused first
// (ERROR wamp.error.invalid_argument), before any matching or filtering.
func (r *Realm) publish(now time.Time, s *session, m *wamp.Publish, fx *Effects) {
	// Option types were checked by wamp.ValidateOptions.
	ppt := wamp.IsPPT(m.Options)
	if ppt && s.feats&featPublisherPPT == 0 {
		r.violate(s, pptUnannounced("PUBLISH", wamp.RolePublisher), fx)
		return
	}
	ack, _ := wamp.OptBool(m.Options, wamp.OptAcknowledge)
	if msg := r.listOverLimit(s, m); msg != "" {
		if ack {
			fx.send(s.id, errorMsg(wamp.PUBLISH, m.Request, wamp.ErrInvalidArgument, msg))
		}
		return
	}
	b := &r.broker
	b.matches = b.index.appendAll(b.matches[:0], m.Topic)
	defer clear(b.matches)
	// An exact subscription proves the topic valid (it was validated when
	// subscribed, under the same rules), which skips the scan.
	valid := len(b.matches) > 0 && b.matches[0].match == matchExact || validURI(m.Topic, r.cfg.StrictURI, false)
	disclose, _ := wamp.OptBool(m.Options, wamp.OptDiscloseMe)
	uri, msg := wamp.ErrInvalidURI, ""
	switch {
	case !valid:
		msg = "invalid topic URI " + quote(string(m.Topic))
	case reserved(m.Topic) && !s.info.Internal:
		msg = "topic URI " + quote(string(m.Topic)) + " is reserved"
	default:
		var held bool
		if uri, msg, held = r.authorize(now, s, ActionPublish, m.Topic, matchExact, disclose, m, fx); held {
			return
		}
	}
	if msg != "" {
		if ack {
			fx.send(s.id, errorMsg(wamp.PUBLISH, m.Request, uri, msg))
		}
		return
	}
	f := &b.filter
	f.set(s, m.Options, b.matches)
	defer f.reset()
	p := publication{from: s, id: r.newID(), topic: m.Topic, disclose: disclose, args: m.Args, kwargs: m.Kwargs,
		opts: m.Options, nodes: &b.nodes}
	if ppt {
		p.ppt = m.Options
	}
	events := len(fx.Out)
	fanout(&p, b.matches, f, fx)
	if b.histories > 0 && !ppt {
		r.record(now, &p, m.Options, b.matches)
	}
	if r.cfg.RetainedTopics > 0 && !ppt {
		if retain, _ := wamp.OptBool(m.Options, wamp.OptRetain); retain {
			r.retain(&p, m.Options)
		}
	}
	if ack {
		fx.send(s.id, &wamp.Published{Request: m.Request, Publication: p.id})
		for i := range fx.Out[events:] {
			if _, remote := fx.Out[events+i].Msg.(*RemotePublication); !remote {
				fx.Out[events+i].Acked = true
			}
		}
	}
}

// publication is one publication being delivered.
type publication struct {
	from     *session // the publisher; nil for the router's own meta events
	id       wamp.ID
	topic    wamp.URI
	disclose bool // publisher identification (from is not nil)
	args     wamp.List
	kwargs   wamp.Dict
	// ppt holds the PUBLISH options in payload passthru mode (ppt.go):
	// their ppt_* keys go into EVENT.Details, and only subscribers that
	// announced the feature receive it.
	ppt wamp.Dict
	// opts are the PUBLISH options, for node sessions (cluster.go).
	opts wamp.Dict
	// nodes collects the node sessions the publication reaches, each
	// sent one RemotePublication after the local EVENTs (cluster.go); nil:
	// node sessions get nothing (a publication from another node).
	nodes *[]*session
}

// fanout delivers p to the subscribers of matches that f allows: one
// EVENT value per subscription, the same pointer for each of its
// receivers (Outbound.Shared when there are several). Client
// publications, testaments and meta events all take this path. Node
// sessions are not filtered: each gets one RemotePublication, last
// (cluster.go).
func fanout(p *publication, matches []*subscription, f *publishFilter, fx *Effects) {
	var exactDetails, patternDetails wamp.Dict
	for _, sub := range matches {
		var ev *wamp.Event
		first := len(fx.Out)
		for _, n := range sub.nodes {
			p.metNode(n)
		}
		for _, sess := range sub.subscribers {
			if !f.allows(sess) || p.ppt != nil && sess.feats&featSubscriberPPT == 0 {
				continue
			}
			if ev == nil {
				ev = &wamp.Event{Subscription: sub.id, Publication: p.id, Args: p.args, Kwargs: p.kwargs}
				if sub.match == matchExact {
					if exactDetails == nil {
						exactDetails = eventDetails(p.from, p.disclose, "", p.ppt)
					}
					ev.Details = exactDetails
				} else {
					if patternDetails == nil {
						patternDetails = eventDetails(p.from, p.disclose, p.topic, p.ppt)
					}
					ev.Details = patternDetails
				}
			}
			fx.send(sess.id, ev)
		}
		if fan := fx.Out[first:]; len(fan) > 1 {
			for i := range fan {
				fan[i].Shared = true
			}
		}
	}
	if p.nodes != nil && len(*p.nodes) > 0 {
		p.sendToNodes(fx)
	}
}

// eventDetails builds EVENT.Details: "topic" for pattern subscriptions
// (spec, pattern-based subscription) and the publisher's identity when it
// asked for disclose_me (publisher identification), and the ppt_* options
// of a publication in payload passthru mode. One dict serves every
// EVENT of the same kind in a publication.
func eventDetails(pub *session, disclose bool, topic wamp.URI, ppt wamp.Dict) wamp.Dict {
	disclose = disclose && pub != nil
	if !disclose && topic == "" && ppt == nil {
		return emptyDetails
	}
	d := make(wamp.Dict, 4)
	wamp.CopyPPT(d, ppt)
	if topic != "" {
		d[wamp.DetailTopic] = string(topic)
	}
	if disclose {
		d[wamp.DetailPublisher] = int64(pub.id)
		d[wamp.DetailPublisherAuthID] = pub.info.AuthID
		d[wamp.DetailPublisherAuthRole] = pub.info.AuthRole
	}
	return d
}
