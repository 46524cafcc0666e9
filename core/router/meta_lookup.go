package router

import (
	"time"

	"github.com/switchboard-wamp/switchboard/core/wamp"
)

// The registration and subscription meta API's procedures. Registrations
// of the application's own session are listed like any other (they are
// procedures clients call); the fallback callee has none.

// byPolicy renders IDs grouped by match policy:
// {"exact": [...], "prefix": [...], "wildcard": [...]}, each sorted.
func byPolicy[T any](all map[wamp.ID]T, policy func(T) matchPolicy) wamp.Dict {
	var lists [3][]wamp.ID
	for id, v := range all {
		p := policy(v)
		lists[p] = append(lists[p], id)
	}
	return wamp.Dict{"exact": idList(lists[matchExact]), "prefix": idList(lists[matchPrefix]),
		"wildcard": idList(lists[matchWildcard])}
}

// lookupArgs reads [uri, options?] of lookup: the URI and its match
// policy (options.match, default exact).
func lookupArgs(m *wamp.Call) (wamp.URI, matchPolicy, bool) {
	u, ok := oneURI(m, 1)
	opts, okO := argOr[wamp.Dict](m.Args, 1)
	if !ok || !okO {
		return "", 0, false
	}
	if v, present := opts[wamp.OptMatch]; present {
		if _, isString := v.(string); !isString {
			return "", 0, false
		}
	}
	p, okP := parseMatch(opts)
	return u, p, okP
}

// nullable renders a found ID, or null (the spec: null when nothing
// matches, not 0).
func nullable(id wamp.ID, found bool) wamp.List {
	if !found {
		return wamp.List{nil}
	}
	return wamp.List{int64(id)}
}

// sessionIDs renders the IDs of sessions, sorted.
func sessionIDs(ss []*session) wamp.List {
	ids := make([]wamp.ID, len(ss))
	for i, s := range ss {
		ids[i] = s.id
	}
	return idList(ids)
}

// registrationDetails is RegistrationDetails {id, created, uri, match,
// invoke}.
func registrationDetails(reg *registration) wamp.Dict {
	invoke := wamp.InvokeSingle
	for name, p := range invokeNames {
		if p == reg.invoke {
			invoke = name
		}
	}
	return wamp.Dict{"id": int64(reg.id), "created": isoTime(reg.created), "uri": string(reg.procedure),
		"match": reg.match.String(), "invoke": invoke}
}

// subscriptionDetails is SubscriptionDetails {id, created, uri, match}.
func subscriptionDetails(sub *subscription) wamp.Dict {
	return wamp.Dict{"id": int64(sub.id), "created": isoTime(sub.created), "uri": string(sub.topic),
		"match": sub.match.String()}
}

func (r *Realm) registrationList(_ time.Time, _ *session, m *wamp.Call, _ *Effects) (wamp.List, *metaError) {
	if len(m.Args) > 0 {
		return nil, badArgs("wamp.registration.list takes no arguments")
	}
	return wamp.List{byPolicy(r.dealer.byID, func(reg *registration) matchPolicy { return reg.match })}, nil
}

// registrationLookup is wamp.registration.lookup [procedure, options?]
// → [registration|null]: the registration of exactly that URI and policy.
func (r *Realm) registrationLookup(_ time.Time, _ *session, m *wamp.Call, _ *Effects) (wamp.List, *metaError) {
	u, p, ok := lookupArgs(m)
	if !ok {
		return nil, badArgs(`wamp.registration.lookup takes [procedure|uri, options|dict] with options {match: "exact"|"prefix"|"wildcard"}`)
	}
	reg, found := r.dealer.index.get(u, p)
	var id wamp.ID
	if found {
		id = reg.id
	}
	return nullable(id, found), nil
}

// registrationMatch is wamp.registration.match [procedure] →
// [registration|null]: the registration a CALL to procedure would reach.
func (r *Realm) registrationMatch(_ time.Time, _ *session, m *wamp.Call, _ *Effects) (wamp.List, *metaError) {
	u, ok := oneURI(m, 0)
	if !ok {
		return nil, badArgs("wamp.registration.match takes [procedure|uri]")
	}
	reg, _, found := r.dealer.index.best(u, !reserved(u))
	var id wamp.ID
	if found {
		id = reg.id
	}
	return nullable(id, found), nil
}

// registration reads the [registration|id] argument and finds it.
func (r *Realm) registration(name string, m *wamp.Call) (*registration, *metaError) {
	id, ok := oneID(m)
	if !ok {
		return nil, badArgs(name + " takes [registration|id]")
	}
	reg := r.dealer.byID[id]
	if reg == nil {
		return nil, &metaError{uri: wamp.ErrNoSuchRegistration, msg: "no registration with ID " + idString(id) + " in this realm"}
	}
	return reg, nil
}

func (r *Realm) registrationGet(_ time.Time, _ *session, m *wamp.Call, _ *Effects) (wamp.List, *metaError) {
	reg, err := r.registration("wamp.registration.get", m)
	if err != nil {
		return nil, err
	}
	return wamp.List{registrationDetails(reg)}, nil
}

func (r *Realm) registrationListCallees(_ time.Time, _ *session, m *wamp.Call, _ *Effects) (wamp.List, *metaError) {
	reg, err := r.registration("wamp.registration.list_callees", m)
	if err != nil {
		return nil, err
	}
	return wamp.List{sessionIDs(reg.callees)}, nil
}

func (r *Realm) registrationCountCallees(_ time.Time, _ *session, m *wamp.Call, _ *Effects) (wamp.List, *metaError) {
	reg, err := r.registration("wamp.registration.count_callees", m)
	if err != nil {
		return nil, err
	}
	return wamp.List{int64(len(reg.callees))}, nil
}

func (r *Realm) subscriptionList(_ time.Time, _ *session, m *wamp.Call, _ *Effects) (wamp.List, *metaError) {
	if len(m.Args) > 0 {
		return nil, badArgs("wamp.subscription.list takes no arguments")
	}
	return wamp.List{byPolicy(r.broker.byID, func(sub *subscription) matchPolicy { return sub.match })}, nil
}

// subscriptionLookup is wamp.subscription.lookup [topic, options?] →
// [subscription|null]: the subscription of exactly that URI and policy.
func (r *Realm) subscriptionLookup(_ time.Time, _ *session, m *wamp.Call, _ *Effects) (wamp.List, *metaError) {
	u, p, ok := lookupArgs(m)
	if !ok {
		return nil, badArgs(`wamp.subscription.lookup takes [topic|uri, options|dict] with options {match: "exact"|"prefix"|"wildcard"}`)
	}
	sub, found := r.broker.index.get(u, p)
	var id wamp.ID
	if found {
		id = sub.id
	}
	return nullable(id, found), nil
}

// subscriptionMatch is wamp.subscription.match [topic] →
// [subscription_ids|null]: every subscription a publication to topic
// would reach.
func (r *Realm) subscriptionMatch(_ time.Time, _ *session, m *wamp.Call, _ *Effects) (wamp.List, *metaError) {
	u, ok := oneURI(m, 0)
	if !ok {
		return nil, badArgs("wamp.subscription.match takes [topic|uri]")
	}
	var ids []wamp.ID
	for _, sub := range r.broker.index.appendAll(nil, u) {
		ids = append(ids, sub.id)
	}
	if len(ids) == 0 {
		return wamp.List{nil}, nil
	}
	return wamp.List{idList(ids)}, nil
}

// subscription reads the [subscription|id] argument and finds it.
func (r *Realm) subscription(name string, m *wamp.Call) (*subscription, *metaError) {
	id, ok := oneID(m)
	if !ok {
		return nil, badArgs(name + " takes [subscription|id]")
	}
	sub := r.broker.byID[id]
	if sub == nil {
		return nil, &metaError{uri: wamp.ErrNoSuchSubscription, msg: "no subscription with ID " + idString(id) + " in this realm"}
	}
	return sub, nil
}

func (r *Realm) subscriptionGet(_ time.Time, _ *session, m *wamp.Call, _ *Effects) (wamp.List, *metaError) {
	sub, err := r.subscription("wamp.subscription.get", m)
	if err != nil {
		return nil, err
	}
	return wamp.List{subscriptionDetails(sub)}, nil
}

func (r *Realm) subscriptionListSubscribers(_ time.Time, _ *session, m *wamp.Call, _ *Effects) (wamp.List, *metaError) {
	sub, err := r.subscription("wamp.subscription.list_subscribers", m)
	if err != nil {
		return nil, err
	}
	return wamp.List{sessionIDs(sub.subscribers)}, nil
}

func (r *Realm) subscriptionCountSubscribers(_ time.Time, _ *session, m *wamp.Call, _ *Effects) (wamp.List, *metaError) {
	sub, err := r.subscription("wamp.subscription.count_subscribers", m)
	if err != nil {
		return nil, err
	}
	return wamp.List{int64(len(sub.subscribers))}, nil
}
