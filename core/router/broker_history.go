package router

import (
	"slices"
	"time"

	"github.com/switchboard-wamp/switchboard/core/wamp"
)

// Event history (spec, advanced profile, "Event History"): the realm keeps
// the events published to the subscriptions RealmConfig.History names, for
// wamp.subscription.get_events. Each configured (topic, match) is a
// subscription of its own from the realm's first session on, kept even
// without subscribers (the spec's "dummy" subscription), so its history
// starts before anyone subscribes and its ID is found with
// wamp.subscription.lookup. A history holds at most Limit events of at
// most MaxBytes together (approximate payload size); the oldest go first.
// As the spec asks, publications with session-ID lists (exclude,
// eligible) are not kept, and get_events applies the authid and authrole
// lists of the others to the caller.

// HistoryConfig keeps the event history of one subscription: Topic with
// Match ("exact" when empty, "prefix", "wildcard"). (Added by
// core/router; additive.)
type HistoryConfig struct {
	Topic wamp.URI
	Match string
	// Limit is the most events kept; 0 = DefaultHistoryLimit.
	Limit int
	// MaxBytes bounds their approximate size together; 0 =
	// DefaultHistoryMaxBytes.
	MaxBytes int
}

// Defaults of HistoryConfig.Limit and MaxBytes.
const (
	DefaultHistoryLimit    = 100
	DefaultHistoryMaxBytes = 256 << 10
)

// eventHistory is one subscription's kept events, oldest first.
type eventHistory struct {
	limit, maxBytes int
	bytes           int
	events          []historyEvent
}

// historyEvent is one kept publication.
type historyEvent struct {
	at      time.Time
	pub     wamp.ID
	topic   wamp.URI
	details wamp.Dict
	args    wamp.List
	kwargs  wamp.Dict
	lists   wamp.Dict // the publication's options when it had authid/authrole lists
	size    int
}

// startHistories creates the subscriptions of RealmConfig.History, once,
// when the realm's first session arrives (now is their creation time).
// Entries with an invalid topic or match are skipped (package core
// validates them).
func (r *Realm) startHistories(now time.Time) {
	if r.historiesStarted {
		return
	}
	r.historiesStarted = true
	b := &r.broker
	for _, hc := range r.cfg.History {
		policy, ok := parseMatch(wamp.Dict{wamp.OptMatch: hc.Match})
		if !ok || !validURI(hc.Topic, r.cfg.StrictURI, policy == matchWildcard) {
			continue
		}
		if _, dup := b.index.get(hc.Topic, policy); dup {
			continue
		}
		h := &eventHistory{limit: hc.Limit, maxBytes: hc.MaxBytes}
		if h.limit <= 0 {
			h.limit = DefaultHistoryLimit
		}
		if h.maxBytes <= 0 {
			h.maxBytes = DefaultHistoryMaxBytes
		}
		sub := &subscription{id: r.newID(), topic: hc.Topic, match: policy, created: now, history: h}
		b.index.add(hc.Topic, policy, sub)
		b.byID[sub.id] = sub
		b.histories++
	}
}

// record keeps publication p (options opts) in the histories of the
// subscriptions it matched.
func (r *Realm) record(now time.Time, p *publication, opts wamp.Dict, matches []*subscription) {
	if opts[wamp.OptExclude] != nil || opts[wamp.OptEligible] != nil {
		return
	}
	var lists wamp.Dict
	for _, k := range []string{wamp.OptExcludeAuthID, wamp.OptEligibleAuthID, wamp.OptExcludeAuthRole, wamp.OptEligibleAuthRole} {
		if opts[k] != nil {
			lists = opts
		}
	}
	for _, sub := range matches {
		h := sub.history
		if h == nil {
			continue
		}
		topic := wamp.URI("")
		if sub.match != matchExact {
			topic = p.topic
		}
		size := len(p.topic) + valueSize(p.args, h.maxBytes) + valueSize(p.kwargs, h.maxBytes) + valueSize(lists, h.maxBytes)
		if size > h.maxBytes {
			continue
		}
		h.events = append(h.events, historyEvent{at: now, pub: p.id, topic: p.topic, details: eventDetails(p.from, p.disclose, topic, nil),
			args: p.args, kwargs: p.kwargs, lists: lists, size: size})
		h.bytes += size
		drop := 0
		for len(h.events)-drop > h.limit || h.bytes > h.maxBytes {
			h.bytes -= h.events[drop].size
			drop++
		}
		if drop > 0 {
			clear(h.events[:drop])
			h.events = slices.Delete(h.events, 0, drop)
		}
	}
}

// historyQuery is get_events' kwargs.
type historyQuery struct {
	reverse                        bool
	limit                          int64
	topic                          wamp.URI
	fromT, afterT, beforeT, untilT time.Time
	fromP, afterP, beforeP, untilP wamp.ID
}

// parseHistoryQuery reads get_events' kwargs; ok is false for a wrong one.
func parseHistoryQuery(kw wamp.Dict) (q historyQuery, ok bool) {
	var okR, okL, okT bool
	q.reverse, okR = kwargOr[bool](kw, "reverse")
	if v, present := kw["limit"]; present && v != nil {
		if q.limit, okL = wamp.ToInt(v); !okL || q.limit < 1 {
			return q, false
		}
	}
	topic, okT := kwargOr[string](kw, "topic")
	q.topic = wamp.URI(topic)
	if !okR || !okT {
		return q, false
	}
	for key, dst := range map[string]*time.Time{"from_time": &q.fromT, "after_time": &q.afterT, "before_time": &q.beforeT, "until_time": &q.untilT} {
		s, isString := kwargOr[string](kw, key)
		if !isString {
			return q, false
		}
		if s == "" {
			continue
		}
		t, err := time.Parse(time.RFC3339Nano, s)
		if err != nil {
			return q, false
		}
		*dst = t
	}
	for key, dst := range map[string]*wamp.ID{"from_publication": &q.fromP, "after_publication": &q.afterP,
		"before_publication": &q.beforeP, "until_publication": &q.untilP} {
		if v, present := kw[key]; present && v != nil {
			id, isID := wamp.ToID(v)
			if !isID {
				return q, false
			}
			*dst = id
		}
	}
	return q, true
}

// selects reports whether q keeps the event at position i of events
// (publication bounds are positions in the history: IDs are not ordered).
func (q *historyQuery) selects(events []historyEvent, i int) bool {
	e := &events[i]
	switch {
	case q.topic != "" && e.topic != q.topic,
		!q.fromT.IsZero() && e.at.Before(q.fromT),
		!q.afterT.IsZero() && !e.at.After(q.afterT),
		!q.beforeT.IsZero() && !e.at.Before(q.beforeT),
		!q.untilT.IsZero() && e.at.After(q.untilT):
		return false
	}
	pos := func(id wamp.ID) int {
		return slices.IndexFunc(events, func(x historyEvent) bool { return x.pub == id })
	}
	// A bound naming a publication the history does not hold selects
	// nothing.
	bound := func(id wamp.ID, ok func(at int) bool) bool {
		if id == 0 {
			return true
		}
		at := pos(id)
		return at >= 0 && ok(at)
	}
	return bound(q.fromP, func(at int) bool { return i >= at }) &&
		bound(q.afterP, func(at int) bool { return i > at }) &&
		bound(q.beforeP, func(at int) bool { return i < at }) &&
		bound(q.untilP, func(at int) bool { return i <= at })
}

// subscriptionGetEvents is wamp.subscription.get_events [subscription]
// {reverse, limit, topic, from_time, after_time, before_time, until_time,
// from_publication, after_publication, before_publication,
// until_publication} → [events], each {timestamp, subscription,
// publication, details, args, kwargs}, oldest first unless reverse.
func (r *Realm) subscriptionGetEvents(_ time.Time, caller *session, m *wamp.Call, _ *Effects) (wamp.List, *metaError) {
	sub, err := r.subscription("wamp.subscription.get_events", m)
	if err != nil {
		return nil, err
	}
	q, ok := parseHistoryQuery(m.Kwargs)
	if !ok {
		return nil, badArgs("wamp.subscription.get_events takes [subscription|id] and kwargs {reverse|bool, limit|int > 0, topic|uri, " +
			"from_time, after_time, before_time, until_time (RFC 3339), from_publication, after_publication, before_publication, until_publication (IDs)}")
	}
	if sub.history == nil {
		return nil, &metaError{uri: wamp.ErrInvalidArgument, msg: "no event history is kept for subscription " + idString(sub.id)}
	}
	events := sub.history.events
	out := wamp.List{}
	for k := range events {
		i := k
		if q.reverse {
			i = len(events) - 1 - k
		}
		if !q.selects(events, i) || !mayRead(caller, &events[i]) {
			continue
		}
		out = append(out, historyEntry(sub, &events[i]))
		if q.limit > 0 && int64(len(out)) >= q.limit {
			break
		}
	}
	return wamp.List{out}, nil
}

// mayRead applies a kept publication's authid and authrole lists to the
// caller.
func mayRead(s *session, e *historyEvent) bool {
	if e.lists == nil {
		return true
	}
	var f publishFilter
	f.set(nil, e.lists, nil)
	return f.allows(s)
}

// historyEntry renders one kept event.
func historyEntry(sub *subscription, e *historyEvent) wamp.Dict {
	d := wamp.Dict{"timestamp": isoTime(e.at), "subscription": int64(sub.id), "publication": int64(e.pub), "details": e.details}
	if e.args != nil {
		d["args"] = e.args
	}
	if e.kwargs != nil {
		d["kwargs"] = e.kwargs
	}
	return d
}
