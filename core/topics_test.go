package core_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/switchboard-wamp/switchboard/core"
	"github.com/switchboard-wamp/switchboard/core/wamp"
	"github.com/switchboard-wamp/switchboard/transport"
)

// topicLogger returns a topic handler that logs "sub <name> <topic>" and
// "leave <name> <topic>".
func topicLogger(log *hookLog, name string) core.TopicHandler {
	return func(ctx context.Context, sub *core.TopicSubscription) (func(context.Context), error) {
		if s, ok := core.SessionFrom(ctx); !ok || s != sub.Session {
			log.add("SessionFrom(ctx) is not sub.Session")
		}
		log.add("sub " + name + " " + string(sub.Topic) + " " + sub.Match)
		return func(context.Context) { log.add("leave " + name + " " + string(sub.Topic)) }, nil
	}
}

func wantSubscribed(t *testing.T, m wamp.Message, req wamp.ID) wamp.ID {
	t.Helper()
	s, ok := m.(*wamp.Subscribed)
	if !ok || s.Request != req {
		t.Fatalf("got %#v, want SUBSCRIBED %d", m, req)
	}
	return s.Subscription
}

func TestTopicHandlerSubscribeAndLeave(t *testing.T) {
	tests := []struct {
		name  string
		leave func(t *testing.T, p *fakePeer, sub wamp.ID)
	}{
		{"unsubscribe", func(t *testing.T, p *fakePeer, sub wamp.ID) {
			p.send(&wamp.Unsubscribe{Request: 9, Subscription: sub})
			if u, ok := p.recv().(*wamp.Unsubscribed); !ok || u.Request != 9 {
				t.Fatalf("want UNSUBSCRIBED 9, got %#v", u)
			}
		}},
		{"goodbye", func(t *testing.T, p *fakePeer, _ wamp.ID) {
			p.send(&wamp.Goodbye{Details: wamp.Dict{}, Reason: wamp.CloseNormal})
		}},
		{"connection dropped", func(t *testing.T, p *fakePeer, _ wamp.ID) { p.drop() }},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			forEachBackendApp(t, core.Config{}, func(t *testing.T, app *core.Application) {
				log := newHookLog()
				if err := app.HandleTopic("com.chat.room", topicLogger(log, "room"), nil); err != nil {
					t.Fatal(err)
				}
				realm, _ := app.Realm("realm1")
				p := dialPeer(t, app, transport.Info{})
				p.join("realm1", nil)
				sub := wantSubscribed(t, p.subscribe(1, "com.chat.room", nil), 1)
				log.want(t, "sub room com.chat.room exact")
				// Subscribed: the application's events reach it.
				if err := realm.Publish(ctxT(t), "com.chat.room", wamp.List{"hi"}, nil, &core.PublishOptions{Acknowledge: true}); err != nil {
					t.Fatal(err)
				}
				if ev, ok := p.recv().(*wamp.Event); !ok || ev.Subscription != sub || ev.Args[0] != "hi" {
					t.Fatalf("want EVENT hi on %d, got %#v", sub, ev)
				}
				// Subscribing again: same subscription, no second handler run.
				if again := wantSubscribed(t, p.subscribe(2, "com.chat.room", nil), 2); again != sub {
					t.Fatalf("second SUBSCRIBE got subscription %d, want %d", again, sub)
				}
				// A topic without a handler is subscribed as usual.
				wantSubscribed(t, p.subscribe(3, "com.other", nil), 3)
				tc.leave(t, p, sub)
				log.want(t, "leave room com.chat.room")
				if got := log.snapshot(); len(got) != 2 {
					t.Errorf("handler events %v, want exactly sub and leave", got)
				}
			})
		})
	}
}

func TestTopicHandlerRefuses(t *testing.T) {
	tests := []struct {
		name string
		err  error
		uri  wamp.URI
		args wamp.List
	}{
		{"wamp error", &core.Error{URI: wamp.ErrNotAuthorized, Args: wamp.List{"members only"}}, wamp.ErrNotAuthorized, wamp.List{"members only"}},
		{"plain error", errors.New("secret detail"), wamp.ErrRuntimeError, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			forEachBackendApp(t, core.Config{}, func(t *testing.T, app *core.Application) {
				left := make(chan string, 1)
				realm, _ := app.Realm("realm1")
				err := realm.HandleTopic("com.private", func(context.Context, *core.TopicSubscription) (func(context.Context), error) {
					return func(context.Context) { left <- "cleanup" }, tc.err
				}, &core.TopicOptions{Match: wamp.MatchPrefix})
				if err != nil {
					t.Fatal(err)
				}
				p := dialPeer(t, app, transport.Info{})
				p.join("realm1", nil)
				m := p.subscribe(4, "com.private.x", nil)
				e, ok := m.(*wamp.Error)
				if !ok || e.RequestType != wamp.SUBSCRIBE || e.Request != 4 || e.Error != tc.uri || len(e.Args) != len(tc.args) {
					t.Fatalf("got %#v, want ERROR SUBSCRIBE 4 %s %v", m, tc.uri, tc.args)
				}
				if waitFor(t, left, "the refused handler's cleanup") != "cleanup" {
					t.Fatal("cleanup")
				}
				// Not subscribed: an event to the topic does not reach it.
				if err := realm.Publish(ctxT(t), "com.private.x", wamp.List{"x"}, nil, &core.PublishOptions{Acknowledge: true}); err != nil {
					t.Fatal(err)
				}
				p.quiet(50 * time.Millisecond)
			})
		})
	}
}

// TestTopicRoutePrecedence: the most specific route wins, a realm's route
// over the application's of the same pattern.
func TestTopicRoutePrecedence(t *testing.T) {
	forEachBackendApp(t, core.Config{}, func(t *testing.T, app *core.Application) {
		log := newHookLog()
		realm, _ := app.Realm("realm1")
		routes := []struct {
			scope string
			topic wamp.URI
			match string
		}{
			{"app", "com.a", wamp.MatchPrefix},
			{"app", "com.a.b", wamp.MatchPrefix},
			{"app", "com.a.b.c", wamp.MatchExact},
			{"app", "com..x", wamp.MatchWildcard},
			{"app", "com.a.", wamp.MatchWildcard},
			{"realm", "com.a.b.c", wamp.MatchExact},
			{"realm", "com.z", wamp.MatchPrefix},
		}
		for _, rt := range routes {
			var err error
			name := rt.scope + ":" + rt.match + ":" + string(rt.topic)
			h := func(_ context.Context, sub *core.TopicSubscription) (func(context.Context), error) {
				log.add(name + " <- " + string(sub.Topic))
				return nil, nil
			}
			if rt.scope == "app" {
				err = app.HandleTopic(rt.topic, h, &core.TopicOptions{Match: rt.match})
			} else {
				err = realm.HandleTopic(rt.topic, h, &core.TopicOptions{Match: rt.match})
			}
			if err != nil {
				t.Fatalf("%s: %v", name, err)
			}
		}
		p := dialPeer(t, app, transport.Info{})
		p.join("realm1", nil)
		tests := []struct {
			topic wamp.URI
			want  string // "" = no handler
		}{
			{"com.a.b.c", "realm:exact:com.a.b.c"},
			{"com.a.b.d", "app:prefix:com.a.b"},
			{"com.a.q", "app:prefix:com.a"}, // a prefix beats the wildcard com.a.
			{"com.q.x", "app:wildcard:com..x"},
			{"com.z.1", "realm:prefix:com.z"},
			{"org.a", ""},
		}
		for i, tc := range tests {
			wantSubscribed(t, p.subscribe(wamp.ID(i+1), tc.topic, nil), wamp.ID(i+1))
			if tc.want == "" {
				continue
			}
			if got := waitFor(t, log.ch, "a handler"); got != tc.want+" <- "+string(tc.topic) {
				t.Errorf("%s: handled by %q, want %s", tc.topic, got, tc.want)
			}
		}
		if got := log.snapshot(); len(got) != 5 {
			t.Errorf("handler runs %v, want 5", got)
		}
	})
}

func TestHandleTopicRejectsBadRoutes(t *testing.T) {
	forEachBackendApp(t, core.Config{}, func(t *testing.T, app *core.Application) {
		h := func(context.Context, *core.TopicSubscription) (func(context.Context), error) { return nil, nil }
		if err := app.HandleTopic("com.a", h, nil); err != nil {
			t.Fatal(err)
		}
		tests := []struct {
			topic wamp.URI
			h     core.TopicHandler
			opts  *core.TopicOptions
			is    error
		}{
			{"com.a", h, nil, core.ErrTopicRouted},
			{"com.a", h, &core.TopicOptions{Match: wamp.MatchPrefix}, nil},
			{"com..a", h, nil, errors.New("invalid")},
			{"com..a", h, &core.TopicOptions{Match: wamp.MatchWildcard}, nil},
			{"com.b", h, &core.TopicOptions{Match: "regex"}, errors.New("match")},
			{"com.c", nil, nil, errors.New("nil")},
		}
		for _, tc := range tests {
			err := app.HandleTopic(tc.topic, tc.h, tc.opts)
			switch {
			case tc.is == nil && err != nil:
				t.Errorf("%s %+v: %v", tc.topic, tc.opts, err)
			case tc.is != nil && err == nil:
				t.Errorf("%s %+v: accepted", tc.topic, tc.opts)
			case tc.is == core.ErrTopicRouted && !errors.Is(err, core.ErrTopicRouted):
				t.Errorf("%s: err %v, want ErrTopicRouted", tc.topic, err)
			}
		}
	})
}

// TestSendEventAndEligible: the application publishes to one chosen
// session (Session.SendEvent, PublishOptions.Eligible) or to all but some
// (Exclude).
func TestSendEventAndEligible(t *testing.T) {
	forEachBackendApp(t, core.Config{}, func(t *testing.T, app *core.Application) {
		realm, _ := app.Realm("realm1")
		var peers [3]*fakePeer
		var sids [3]wamp.ID
		for i := range peers {
			peers[i] = dialPeer(t, app, transport.Info{})
			sids[i] = peers[i].join("realm1", nil).Session
			wantSubscribed(t, peers[i].subscribe(1, "com.news", nil), 1)
		}
		// peers[2] also has a prefix subscription, which SendEvent reaches too.
		wantSubscribed(t, peers[2].subscribe(2, "com", wamp.Dict{"match": "prefix"}), 2)
		want := func(i int, n int, arg string) {
			t.Helper()
			for range n {
				if ev, ok := peers[i].recv().(*wamp.Event); !ok || ev.Args[0] != arg {
					t.Fatalf("peer %d: got %#v, want EVENT %s", i, ev, arg)
				}
			}
		}
		s1, _ := realm.Session(sids[1])
		if err := s1.SendEvent(ctxT(t), "com.news", wamp.List{"just you"}, nil); err != nil {
			t.Fatal(err)
		}
		want(1, 1, "just you")
		s2, _ := realm.Session(sids[2])
		if err := s2.SendEvent(ctxT(t), "com.news", wamp.List{"both subs"}, nil); err != nil {
			t.Fatal(err)
		}
		want(2, 2, "both subs")
		// Not subscribed to that topic: nothing, and no error.
		if err := s1.SendEvent(ctxT(t), "com.unheard", wamp.List{"x"}, nil); err != nil {
			t.Fatal(err)
		}
		var we *core.Error
		if err := s1.SendEvent(ctxT(t), "bad..uri", nil, nil); !errors.As(err, &we) || we.URI != wamp.ErrInvalidURI {
			t.Fatalf("SendEvent to a bad URI: %v, want %s", err, wamp.ErrInvalidURI)
		}
		err := realm.Publish(ctxT(t), "com.news", wamp.List{"not 1"}, nil, &core.PublishOptions{Acknowledge: true, Exclude: []wamp.ID{sids[1]}})
		if err != nil {
			t.Fatal(err)
		}
		want(0, 1, "not 1")
		want(2, 2, "not 1")
		err = realm.Publish(ctxT(t), "com.news", wamp.List{"0 and 1"}, nil, &core.PublishOptions{Acknowledge: true, Eligible: []wamp.ID{sids[0], sids[1]}})
		if err != nil {
			t.Fatal(err)
		}
		want(0, 1, "0 and 1")
		want(1, 1, "0 and 1")
		for i := range peers {
			peers[i].quiet(20 * time.Millisecond)
		}
	})
}
