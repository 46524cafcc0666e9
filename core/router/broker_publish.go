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
	ack, _, ok := optBool(m.Options, "acknowledge")
	if !ok {
		fx.send(s.id, errorMsg(wamp.PUBLISH, m.Request, wamp.ErrInvalidArgument, "option acknowledge must be a bool"))
		return
	}
	b := &r.broker
	b.matches = b.index.appendAll(b.matches[:0], m.Topic)
	defer clear(b.matches)
	// An exact subscription proves the topic valid (it was validated when
	// subscribed, under the same rules), which skips the scan.
	valid := len(b.matches) > 0 && b.matches[0].match == matchExact || validURI(m.Topic, r.cfg.StrictURI, false)
	var errURI wamp.URI
	var msg string
	switch {
	case !valid:
		errURI, msg = wamp.ErrInvalidURI, "invalid topic URI "+quote(string(m.Topic))
	case reserved(m.Topic) && !s.info.Internal:
		errURI, msg = wamp.ErrInvalidURI, "topic URI "+quote(string(m.Topic))+" is reserved"
	default:
		msg = b.filter.parse(s, m.Options)
		errURI = wamp.ErrInvalidArgument
	}
	if msg != "" {
		if ack {
			fx.send(s.id, errorMsg(wamp.PUBLISH, m.Request, errURI, msg))
		}
		return
	}
	pub := r.newID()
	disclose, _, _ := optBool(m.Options, "disclose_me")
	var exactDetails, patternDetails wamp.Dict
	for _, sub := range b.matches {
		var ev *wamp.Event
		for _, sess := range sub.subscribers {
			if !b.filter.allows(sess) {
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
	b.filter.reset()
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
		d["topic"] = string(topic)
	}
	if disclose {
		d["publisher"] = uint64(pub.id)
		d["publisher_authid"] = pub.info.AuthID
		d["publisher_authrole"] = pub.info.AuthRole
	}
	return d
}

// publishFilter decides which subscribers receive one publication:
// publisher exclusion (exclude_me, default true) and subscriber black- and
// white-listing (exclude/eligible by session ID, authid and authrole; spec:
// a subscriber receives the event iff it is in every eligible list present
// and in no exclude list present). Its buffers are reused.
type publishFilter struct {
	publisher *session
	excludeMe bool
	lists     bool // any black/white list present
	exclude   []wamp.ID
	eligible  []wamp.ID
	hasElig   bool
	// authid/authrole lists, validated to hold only strings.
	exAuthID, elAuthID, exRole, elRole wamp.List
	hasElAuthID, hasElRole             bool
}

// parse reads the publication options; it returns a message explaining a
// malformed option, or "".
func (f *publishFilter) parse(pub *session, opts wamp.Dict) string {
	f.publisher = pub
	exMe, present, ok := optBool(opts, "exclude_me")
	if !ok {
		return "option exclude_me must be a bool"
	}
	f.excludeMe = exMe || !present
	if len(opts) == 0 {
		return ""
	}
	var msg string
	if f.exclude, _, msg = idListOpt(f.exclude[:0], opts, "exclude"); msg != "" {
		return msg
	}
	if f.eligible, f.hasElig, msg = idListOpt(f.eligible[:0], opts, "eligible"); msg != "" {
		return msg
	}
	for _, o := range []struct {
		key  string
		dst  *wamp.List
		has  *bool
		elig bool
	}{
		{"exclude_authid", &f.exAuthID, nil, false},
		{"eligible_authid", &f.elAuthID, &f.hasElAuthID, true},
		{"exclude_authrole", &f.exRole, nil, false},
		{"eligible_authrole", &f.elRole, &f.hasElRole, true},
	} {
		l, present, ok := optList(opts, o.key)
		if !ok || !allStrings(l) {
			return "option " + o.key + " must be a list of strings"
		}
		*o.dst = l
		if o.has != nil {
			*o.has = present
		}
	}
	f.lists = len(f.exclude) > 0 || f.hasElig || len(f.exAuthID) > 0 || f.hasElAuthID ||
		len(f.exRole) > 0 || f.hasElRole
	return ""
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
	case f.hasElig && !slices.Contains(f.eligible, s.id),
		f.hasElAuthID && !containsString(f.elAuthID, s.info.AuthID),
		f.hasElRole && !containsString(f.elRole, s.info.AuthRole),
		slices.Contains(f.exclude, s.id),
		containsString(f.exAuthID, s.info.AuthID),
		containsString(f.exRole, s.info.AuthRole):
		return false
	}
	return true
}

// reset drops references after a publication, keeping buffer capacity.
func (f *publishFilter) reset() {
	*f = publishFilter{exclude: f.exclude[:0], eligible: f.eligible[:0]}
}

// idListOpt reads a list of session IDs into dst.
func idListOpt(dst []wamp.ID, opts wamp.Dict, key string) ([]wamp.ID, bool, string) {
	l, present, ok := optList(opts, key)
	if !ok {
		return dst, present, "option " + key + " must be a list of session IDs"
	}
	for _, v := range l {
		id, ok := toID(v)
		if !ok {
			return dst, present, "option " + key + " must be a list of session IDs"
		}
		dst = append(dst, id)
	}
	return dst, present, ""
}

func allStrings(l wamp.List) bool {
	for _, v := range l {
		if _, ok := v.(string); !ok {
			return false
		}
	}
	return true
}

func containsString(l wamp.List, s string) bool {
	for _, v := range l {
		if v.(string) == s {
			return true
		}
	}
	return false
}
