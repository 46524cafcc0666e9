package client

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"sync/atomic"

	"github.com/switchboard-wamp/switchboard/core/peer"
	"github.com/switchboard-wamp/switchboard/core/wamp"
	"github.com/switchboard-wamp/switchboard/scheduler"
)

// EventHandler receives the events of one subscription, one at a time and
// in the order the router sent them, as tasks of the session's backend.
// The *Event is shared with the other local subscriptions to the same
// topic: do not modify it.
type EventHandler func(*Event)

// Event is one publication received on a subscription.
type Event struct {
	// Topic is the publication's topic: details.topic for pattern-based
	// subscriptions, else the subscribed topic.
	Topic       wamp.URI
	Publication wamp.ID
	Args        wamp.List
	Kwargs      wamp.Dict
	// Details are the EVENT details (publisher, topic, ...).
	Details wamp.Dict
}

// SubscribeOptions are the optional settings of a subscription.
type SubscribeOptions struct {
	// Match is the pattern match policy: "" (exact), "prefix" or "wildcard".
	Match string
	// Extra options are sent as they are; Match wins on conflict.
	Extra wamp.Dict
	// Blocking declares that the handler may block. Its events are then
	// handled, still one at a time and in order, off the event loop (on
	// its bounded offload helpers); elsewhere it changes nothing.
	Blocking bool
}

func (o *SubscribeOptions) dict() wamp.Dict {
	d := wamp.Dict{}
	if o == nil {
		return d
	}
	maps.Copy(d, o.Extra)
	if o.Match != "" {
		d["match"] = o.Match
	}
	return d
}

// Subscription is one local subscription. Several local subscriptions to
// the same topic (and match) share one router subscription, and so one ID.
// Its methods are safe for concurrent use.
type Subscription struct {
	s     *Session
	topic wamp.URI
	h     EventHandler
	w     *waiter
	id    wamp.ID // set on the executor before Subscribe returns

	// ex runs the handler, one event at a time, in order.
	ex      scheduler.Executor
	queued  atomic.Int64 // events posted to ex and not yet handled
	stopped atomic.Bool  // Unsubscribe was called: skip queued events

	// Executor-only.
	active    bool
	abandoned bool
}

// ID returns the router's subscription ID.
func (sub *Subscription) ID() wamp.ID { return sub.id }

// Topic returns the subscribed topic (a pattern for Match prefix/wildcard).
func (sub *Subscription) Topic() wamp.URI { return sub.topic }

// complete handles the SUBSCRIBE reply. Executor-only.
func (sub *Subscription) complete(s *Session, c peer.Completion) {
	if m, ok := c.Reply.(*wamp.Subscribed); ok {
		sub.id = m.Subscription
		sub.active = true
		if sub.abandoned {
			sub.active = false
			sub.stopped.Store(true)
			s.p.Unsubscribe(sub.id, sub, nil, &s.fx)
		}
	}
	sub.w.complete(s, c)
}

// Subscribe subscribes h to topic and waits for the router's answer; a
// refusal is returned as *Error. If ctx ends first, an error wrapping
// ctx.Err() is returned and a subscription made meanwhile is undone. Safe
// for concurrent use.
func (s *Session) Subscribe(ctx context.Context, topic wamp.URI, h EventHandler, opts *SubscribeOptions) (*Subscription, error) {
	if h == nil {
		return nil, errors.New("client: subscribe: nil EventHandler")
	}
	if err := s.mayWait("subscribe " + string(topic)); err != nil {
		return nil, err
	}
	sub := &Subscription{s: s, topic: topic, h: h, w: newWaiter()}
	if opts != nil && opts.Blocking {
		sub.ex = &blockingStrand{as: s.as, ctx: s.ctx}
	} else {
		sub.ex = s.as.NewExecutor("client event " + string(topic))
	}
	o := opts.dict()
	if !s.post(func() {
		s.p.Subscribe(topic, o, sub, &s.fx)
		s.flush()
	}) {
		return nil, s.closedError("subscribe")
	}
	c, err := sub.w.next(ctx)
	if err != nil {
		s.post(func() {
			sub.abandoned = true
			sub.stopped.Store(true)
			if sub.active {
				sub.active = false
				s.p.Unsubscribe(sub.id, sub, nil, &s.fx)
				s.flush()
			}
		})
		return nil, fmt.Errorf("client: subscribe %s: %w", topic, err)
	}
	if err := replyError(c); err != nil {
		return nil, opError("subscribe "+string(topic), err)
	}
	return sub, nil
}

// Unsubscribe removes the subscription: no handler call starts after it
// returns (one already running finishes). When it was the last local
// subscription to its router subscription, Unsubscribe waits for the
// router's answer. Unsubscribing twice is a no-op that returns nil. Safe
// for concurrent use, including from the subscription's own handler.
func (sub *Subscription) Unsubscribe(ctx context.Context) error {
	s := sub.s
	if err := s.mayWait("unsubscribe " + string(sub.topic)); err != nil {
		return err
	}
	sub.stopped.Store(true)
	w := newWaiter()
	if !s.post(func() {
		if !sub.active {
			w.complete(s, peer.Completion{Kind: wamp.UNSUBSCRIBE})
			return
		}
		sub.active = false
		s.p.Unsubscribe(sub.id, sub, w, &s.fx)
		s.flush()
	}) {
		return s.closedError("unsubscribe")
	}
	c, err := w.next(ctx)
	if err == nil {
		err = replyError(c)
	}
	if err != nil {
		return opError("unsubscribe "+string(sub.topic), err)
	}
	return nil
}

// deliver queues an EVENT for every local subscription on it. Executor-only.
func (s *Session) deliver(ev peer.EventDelivery) {
	m := ev.Msg
	var e *Event
	for _, h := range ev.Handles {
		sub, ok := h.(*Subscription)
		if !ok || sub.stopped.Load() {
			continue
		}
		if e == nil {
			e = &Event{Topic: sub.topic, Publication: m.Publication, Args: m.Args, Kwargs: m.Kwargs, Details: m.Details}
			if t, ok := m.Details["topic"].(string); ok && t != "" {
				e.Topic = wamp.URI(t)
			}
		}
		if sub.queued.Add(1) > int64(s.cfg.EventQueueMax) {
			sub.queued.Add(-1)
			s.log.Error("client: event handler too slow; aborting session",
				"topic", string(sub.topic), "queued", s.cfg.EventQueueMax)
			s.p.Abort(wamp.CloseSlowConsumer, fmt.Errorf("%w: subscription to %s", ErrEventOverflow, sub.topic), &s.fx)
			return
		}
		if !sub.ex.Post(func() { s.runEvent(sub, e) }) {
			sub.queued.Add(-1)
			s.log.Error("client: event not delivered: backend closed", "topic", string(sub.topic))
		}
	}
}

// runEvent calls an event handler on the subscription's executor.
func (s *Session) runEvent(sub *Subscription, e *Event) {
	defer sub.queued.Add(-1)
	if sub.stopped.Load() {
		return
	}
	defer func() {
		if v := recover(); v != nil {
			s.log.Error("client: event handler panicked", "topic", string(sub.topic), "panic", v)
		}
	}()
	sub.h(e)
}

// revoke handles a subscription or registration the router removed.
// Executor-only.
func (s *Session) revoke(r peer.Revocation) {
	s.log.Warn("client: revoked by the router", "kind", r.Kind.String(), "id", uint64(r.ID), "reason", r.Reason)
	for _, t := range r.Tokens {
		switch t := t.(type) {
		case *Subscription:
			t.active = false
			t.stopped.Store(true)
		case *Registration:
			t.active = false
		}
	}
}
