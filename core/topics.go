package core

import (
	"context"
	"errors"
	"fmt"
	"runtime/debug"
	"time"

	"github.com/switchboard-wamp/switchboard/core/router"
	"github.com/switchboard-wamp/switchboard/core/wamp"
)

// ErrTopicRouted is returned by HandleTopic when the scope already has a
// handler for the same topic pattern and match policy.
var ErrTopicRouted = errors.New("core: topic already has a handler")

// TopicHandler runs when a remote session subscribes to a topic it serves,
// and, through the function it returns, when that session unsubscribes or
// leaves: the Go form of serverwamp's topic routes (the code before the
// single yield runs on subscribe, the code after it on unsubscribe).
//
// The subscribe part runs as a backend task that may block (on the
// eventloop backend off the loop: scheduler.SpawnBlocking) before the
// router answers the SUBSCRIBE: returning an error refuses the subscription with ERROR — an
// *Error gives the URI, args and kwargs (for example
// &core.Error{URI: wamp.ErrNotAuthorized}); any other error answers
// wamp.error.runtime_error and is logged. Returning nil lets the session
// join the subscription; SUBSCRIBED is sent and events reach it from then
// on (not before: events published while the handler runs are not
// delivered to it). ctx carries the session (also in sub.Session) and
// dependencies, and is cancelled when the session ends.
//
// A non-nil onLeave runs exactly once: when the session unsubscribes,
// leaves, is killed or the realm shuts down, or at once if the
// subscription did not happen (refused, or the session left meanwhile).
// Its ctx is like a session hook's onClose ctx. The handler runs once per
// session and subscription: subscribing again to a subscription the
// session already has is answered without it.
type TopicHandler func(ctx context.Context, sub *TopicSubscription) (onLeave func(ctx context.Context), err error)

// TopicSubscription is a SUBSCRIBE a TopicHandler decides on.
type TopicSubscription struct {
	Session *Session
	// Topic is the URI the client subscribed to; for prefix and wildcard
	// subscriptions it is the pattern.
	Topic wamp.URI
	// Match is the subscription's match policy: "exact", "prefix" or
	// "wildcard".
	Match string
	// Options are the SUBSCRIBE options. Read-only.
	Options wamp.Dict
}

// TopicOptions say which topics a TopicHandler serves.
type TopicOptions struct {
	// Match is "exact" (default), "prefix" or "wildcard" (empty URI
	// components match any one component).
	Match string
}

// HandleTopic adds a topic handler to every realm of the application,
// including realms added later. Safe for concurrent use.
//
// A route matches the topic string a client subscribes to, whatever the
// subscription's own match policy (the handler sees it in sub.Match and
// may refuse patterns). When several routes match, the most specific wins:
// exact, then the longest prefix, then the best wildcard; a realm's route
// wins over the application's route of the same pattern and policy.
func (a *Application) HandleTopic(topic wamp.URI, h TopicHandler, opts *TopicOptions) error {
	return a.sc.addTopic(topic, h, opts)
}

// HandleTopic adds a topic handler to this realm only (see
// Application.HandleTopic). Safe for concurrent use.
func (r *Realm) HandleTopic(topic wamp.URI, h TopicHandler, opts *TopicOptions) error {
	return r.sc.addTopic(topic, h, opts)
}

func (sc *scope) addTopic(topic wamp.URI, h TopicHandler, opts *TopicOptions) error {
	if h == nil {
		return errors.New("core: HandleTopic: nil handler")
	}
	match := wamp.MatchExact
	if opts != nil && opts.Match != "" {
		match = opts.Match
	}
	switch match {
	case wamp.MatchExact, wamp.MatchPrefix, wamp.MatchWildcard:
	default:
		return fmt.Errorf("core: HandleTopic: unknown match policy %q", match)
	}
	if !wamp.ValidURI(topic, false, match == wamp.MatchWildcard) {
		return fmt.Errorf("core: HandleTopic: invalid topic URI %q", topic)
	}
	sc.mu.Lock()
	defer sc.mu.Unlock()
	t, err := sc.topics.Load().with(&topicRoute{pattern: topic, match: match, h: h})
	if err != nil {
		return err
	}
	sc.topics.Store(t)
	return nil
}

// topicRoute returns the handler for a subscription to topic in r.
func (r *Realm) topicRoute(topic wamp.URI) (*topicRoute, bool) {
	own, okOwn := r.sc.topics.Load().best(topic)
	app, okApp := r.app.sc.topics.Load().best(topic)
	switch {
	case okOwn && okApp:
		if moreSpecific(app, own) {
			return app, true
		}
		return own, true
	case okOwn:
		return own, true
	}
	return app, okApp
}

// subKey names one session's membership in one subscription.
type subKey struct{ sid, sub wamp.ID }

// leaveHook is the onLeave of a subscription a topic handler let through.
type leaveHook struct {
	sess *Session
	f    func(context.Context)
}

// topicState is a realm's executor-owned bookkeeping of topic handlers.
type topicState struct {
	leave map[subKey]leaveHook
}

// handleNotices acts on the router's subscription notices: SUBSCRIBEs held
// for approval go to their topic handler (or are approved at once when no
// route matches), and ended memberships run their onLeave. Approving
// inline appends to r.fx, which the loop picks up. Called by apply before
// it delivers anything. Executor-only.
func (r *Realm) handleNotices(fx *router.Effects) {
	for _, n := range fx.Notify {
		switch n.Kind {
		case router.NoticeSubscribeRequest:
			r.subscribeRequested(n)
		case router.NoticeUnsubscribed:
			k := subKey{n.Session, n.Subscription}
			if lh, ok := r.topics.leave[k]; ok {
				delete(r.topics.leave, k)
				r.runCleanup("topic onLeave", lh.sess, lh.f)
			}
		}
	}
}

// subscribeRequested starts the topic handler of a held SUBSCRIBE.
// Executor-only.
func (r *Realm) subscribeRequested(n router.Notice) {
	rt, ok := r.topicRoute(n.Topic)
	var s *Session
	if ok {
		s, ok = r.sessions.get(n.Session)
	}
	if !ok {
		// No handler (or the session is closing): subscribe at once.
		r.e.Do(func(now time.Time, rr *router.Realm, fx *router.Effects) {
			rr.ApproveSubscribe(now, n.Session, n.Request, fx)
		})
		return
	}
	sub := &TopicSubscription{Session: s, Topic: n.Topic, Match: n.Match, Options: n.Options}
	sid, req := n.Session, n.Request
	err := r.spawnBlocking(r.handlerContext(s.Context(), s), func(ctx context.Context) {
		onLeave, err := r.runTopicHandler(ctx, rt, sub)
		if !r.e.Post(func() { r.subscribeAnswered(sid, req, s, onLeave, err) }) && onLeave != nil {
			r.runCleanup("topic onLeave", s, onLeave)
		}
	})
	if err != nil {
		r.log.Error("topic handler not run: the backend refused the task", "topic", string(n.Topic), "err", err)
		r.e.Do(func(now time.Time, rr *router.Realm, fx *router.Effects) {
			rr.DenySubscribe(now, sid, req, wamp.ErrRuntimeError, wamp.List{"the router could not run the subscription"}, nil, fx)
		})
	}
}

func (r *Realm) runTopicHandler(ctx context.Context, rt *topicRoute, sub *TopicSubscription) (onLeave func(context.Context), err error) {
	defer func() {
		if v := recover(); v != nil {
			err = panicError(v)
			r.log.Error("topic handler panicked", "topic", string(sub.Topic), "panic", v, "stack", string(debug.Stack()))
		}
	}()
	return rt.h(ctx, sub)
}

// subscribeAnswered lets the held SUBSCRIBE through or refuses it.
// Executor-only.
func (r *Realm) subscribeAnswered(sid, req wamp.ID, s *Session, onLeave func(context.Context), err error) {
	r.e.Do(func(now time.Time, rr *router.Realm, fx *router.Effects) {
		r.answerSubscribe(now, rr, fx, sid, req, s, onLeave, err)
	})
}

// answerSubscribe is subscribeAnswered on the router. Executor-only.
func (r *Realm) answerSubscribe(now time.Time, rr *router.Realm, fx *router.Effects, sid, req wamp.ID, s *Session,
	onLeave func(context.Context), err error) {
	kept := false
	if err != nil {
		uri, args, kwargs := wamp.ErrRuntimeError, wamp.List(nil), wamp.Dict(nil)
		var we *Error
		if errors.As(err, &we) {
			uri, args, kwargs = appErrorURI(we.URI), we.Args, we.Kwargs
		}
		if uri == wamp.ErrRuntimeError {
			r.logSession(sid).Warn("topic handler failed", "err", err)
		}
		rr.DenySubscribe(now, sid, req, uri, args, kwargs, fx)
	} else if id, added := rr.ApproveSubscribe(now, sid, req, fx); added && onLeave != nil {
		if r.topics.leave == nil {
			r.topics.leave = make(map[subKey]leaveHook)
		}
		r.topics.leave[subKey{sid, id}] = leaveHook{sess: s, f: onLeave}
		kept = true
	}
	if onLeave != nil && !kept {
		r.runCleanup("topic onLeave", s, onLeave)
	}
}
