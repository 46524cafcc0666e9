package router

import (
	"slices"
	"strings"

	"github.com/switchboard-wamp/switchboard/core/wamp"
)

// Event retention (spec, advanced profile): a PUBLISH with
// options.retain=true leaves its event as the topic's retained event, and a
// SUBSCRIBE with options.get_retained=true is sent, after SUBSCRIBED, the
// retained event of every topic its subscription matches (one for an exact
// subscription, any number for a pattern) that it would have received had
// it been subscribed when the event was published: publisher exclusion and
// the black- and white-lists of the publication apply. Such an EVENT has
// Details.retained=true. Retention is off unless RealmConfig.RetainedTopics
// is set: at most that many topics keep an event, and an event larger than
// RetainedEventMaxBytes (approximately) is not kept — a topic beyond
// either bound is not retained (a later publication that fits is), as the
// spec lets a broker decline; the topic's previous retained event, now
// stale, is dropped.

// DefaultRetainedEventMaxBytes is RealmConfig.RetainedEventMaxBytes's
// zero-value meaning.
const DefaultRetainedEventMaxBytes = 16 << 10

// retainedEvent is a topic's retained publication.
type retainedEvent struct {
	pub       wamp.ID
	publisher SessionID // for exclude_me
	excludeMe bool
	// identity is the publisher's details when it asked for disclose_me,
	// else nil.
	identity wamp.Dict
	opts     wamp.Dict // the publication's options (black- and white-lists)
	args     wamp.List
	kwargs   wamp.Dict
}

// retain keeps p as topic's retained event, if the realm retains events
// and p fits its bounds.
func (r *Realm) retain(p *publication, opts wamp.Dict) {
	b := &r.broker
	_, known := b.retained[p.topic]
	size := len(p.topic) + valueSize(p.args, r.cfg.RetainedEventMaxBytes) + valueSize(p.kwargs, r.cfg.RetainedEventMaxBytes) +
		valueSize(opts, r.cfg.RetainedEventMaxBytes)
	if size > r.cfg.RetainedEventMaxBytes || !known && len(b.retained) >= r.cfg.RetainedTopics {
		delete(b.retained, p.topic)
		return
	}
	if b.retained == nil {
		b.retained = map[wamp.URI]*retainedEvent{}
	}
	exMe, present := wamp.OptBool(opts, wamp.OptExcludeMe)
	ev := &retainedEvent{pub: p.id, publisher: p.from.id, excludeMe: exMe || !present, opts: opts, args: p.args, kwargs: p.kwargs}
	if p.disclose {
		ev.identity = eventDetails(p.from, true, "", nil)
	}
	b.retained[p.topic] = ev
}

// sendRetained sends s the retained events sub matches (get_retained), in
// topic order.
func (r *Realm) sendRetained(s *session, sub *subscription, fx *Effects) {
	b := &r.broker
	if len(b.retained) == 0 {
		return
	}
	var topics []wamp.URI
	if sub.match == matchExact {
		if _, ok := b.retained[sub.topic]; ok {
			topics = append(topics, sub.topic)
		}
	} else {
		comps := strings.Split(string(sub.topic), ".")
		for topic := range b.retained {
			if sub.match == matchPrefix && strings.HasPrefix(string(topic), string(sub.topic)) ||
				sub.match == matchWildcard && wildMatch(comps, string(topic)) {
				topics = append(topics, topic)
			}
		}
		slices.Sort(topics)
	}
	for _, topic := range topics {
		ev := b.retained[topic]
		if ev.excludeMe && ev.publisher == s.id {
			continue
		}
		var f publishFilter
		f.set(nil, ev.opts, nil)
		if !f.allows(s) {
			continue
		}
		details := make(wamp.Dict, 5)
		details[wamp.DetailRetained] = true
		for k, v := range ev.identity {
			details[k] = v
		}
		if sub.match != matchExact {
			details[wamp.DetailTopic] = string(topic)
		}
		fx.send(s.id, &wamp.Event{Subscription: sub.id, Publication: ev.pub, Details: details, Args: ev.args, Kwargs: ev.kwargs})
	}
}
