package router

import (
	"slices"

	"github.com/switchboard-wamp/switchboard/core/wamp"
)

// publish handles PUBLISH: one EVENT value per matching subscription,
// delivered (the same pointer) to each eligible subscriber of it, then
// PUBLISHED when acknowledge=true.
//
// Per the basic profile, a PUBLISH the broker cannot fulfil is answered
// with ERROR only when acknowledge=true; otherwise it is discarded without
// reply. Clients may not publish under the reserved "wamp." prefix
// (ERROR wamp.error.invalid_uri); Internal sessions may.
func (r *Realm) publish(s *session, m *wamp.Publish, fx *Effects) {
	// Option types were checked by wamp.ValidateOptions.
	ack, _ := wamp.OptBool(m.Options, wamp.OptAcknowledge)
	b := &r.broker
	b.matches = b.index.appendAll(b.matches[:0], m.Topic)
	defer clear(b.matches)
	// An exact subscription proves the topic valid (it was validated when
	// subscribed, under the same rules), which skips the scan.
	valid := len(b.matches) > 0 && b.matches[0].match == matchExact || validURI(m.Topic, r.cfg.StrictURI, false)
	var msg string
	switch {
	case !valid:
		msg = "invalid topic URI " + quote(string(m.Topic))
	case reserved(m.Topic) && !s.info.Internal:
		msg = "topic URI " + quote(string(m.Topic)) + " is reserved"
	}
	if msg != "" {
		if ack {
			fx.send(s.id, errorMsg(wamp.PUBLISH, m.Request, wamp.ErrInvalidURI, msg))
		}
		return
	}
	pub := r.newID()
	f := &b.filter
	f.set(s, m.Options)
	defer f.reset()
	disclose, _ := wamp.OptBool(m.Options, wamp.OptDiscloseMe)
	var exactDetails, patternDetails wamp.Dict
	for _, sub := range b.matches {
		var ev *wamp.Event
		for _, sess := range sub.subscribers {
			if !f.allows(sess) {
				continue
			}
			if ev == nil {
				ev = &wamp.Event{Subscription: sub.id, Publication: pub, Args: m.Args, Kwargs: m.Kwargs}
				if sub.match == matchExact {
					if exactDetails == nil {
						exactDetails = eventDetails(s, disclose, "")
					}
					ev.Details = exactDetails
				} else {
					if patternDetails == nil {
						patternDetails = eventDetails(s, disclose, m.Topic)
					}
					ev.Details = patternDetails
				}
			}
			fx.send(sess.id, ev)
		}
	}
	if ack {
		fx.send(s.id, &wamp.Published{Request: m.Request, Publication: pub})
	}
}

// eventDetails builds EVENT.Details: "topic" for pattern subscriptions
// (spec, pattern-based subscription) and the publisher's identity when it
// asked for disclose_me (publisher identification). One dict serves every
// EVENT of the same kind in a publication.
func eventDetails(pub *session, disclose bool, topic wamp.URI) wamp.Dict {
	if !disclose && topic == "" {
		return emptyDetails
	}
	d := make(wamp.Dict, 4)
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

// publishFilter decides which subscribers receive one publication:
// publisher exclusion (exclude_me, default true) and subscriber black- and
// white-listing (exclude/eligible by session ID, authid and authrole; spec:
// a subscriber receives the event iff it is in every eligible list present
// and in no exclude list present). The lists are kept as the option values
// (a List, or a []ID/[]string set by an in-process peer; their element types
// were checked by wamp.ValidateOptions), so filtering allocates nothing.
type publishFilter struct {
	publisher *session
	excludeMe bool
	lists     bool // any black/white list present
	// nil = option absent.
	exclude, eligible, exAuthID, elAuthID, exRole, elRole any
}

// set reads the publication options.
func (f *publishFilter) set(pub *session, opts wamp.Dict) {
	f.publisher = pub
	exMe, present := wamp.OptBool(opts, wamp.OptExcludeMe)
	f.excludeMe = exMe || !present
	if len(opts) == 0 {
		return
	}
	f.exclude, f.eligible = opts[wamp.OptExclude], opts[wamp.OptEligible]
	f.exAuthID, f.elAuthID = opts[wamp.OptExcludeAuthID], opts[wamp.OptEligibleAuthID]
	f.exRole, f.elRole = opts[wamp.OptExcludeAuthRole], opts[wamp.OptEligibleAuthRole]
	f.lists = f.exclude != nil || f.eligible != nil || f.exAuthID != nil || f.elAuthID != nil ||
		f.exRole != nil || f.elRole != nil
}

// allows reports whether s receives the publication.
func (f *publishFilter) allows(s *session) bool {
	if s == f.publisher && f.excludeMe {
		return false
	}
	if !f.lists {
		return true
	}
	switch {
	case f.eligible != nil && !idIn(f.eligible, s.id),
		f.elAuthID != nil && !stringIn(f.elAuthID, s.info.AuthID),
		f.elRole != nil && !stringIn(f.elRole, s.info.AuthRole),
		f.exclude != nil && idIn(f.exclude, s.id),
		f.exAuthID != nil && stringIn(f.exAuthID, s.info.AuthID),
		f.exRole != nil && stringIn(f.exRole, s.info.AuthRole):
		return false
	}
	return true
}

// reset drops references after a publication.
func (f *publishFilter) reset() { *f = publishFilter{} }

// idIn reports whether list (a List of IDs or a []ID) holds id.
func idIn(list any, id wamp.ID) bool {
	switch l := list.(type) {
	case []wamp.ID:
		return slices.Contains(l, id)
	case wamp.List:
		for _, v := range l {
			if x, ok := wamp.ToID(v); ok && x == id {
				return true
			}
		}
	}
	return false
}

// stringIn reports whether list (a List of strings or a []string) holds s.
func stringIn(list any, s string) bool {
	switch l := list.(type) {
	case []string:
		return slices.Contains(l, s)
	case wamp.List:
		for _, v := range l {
			if x, ok := v.(string); ok && x == s {
				return true
			}
		}
	}
	return false
}
