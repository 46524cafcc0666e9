package client

import (
	"context"
	"errors"
	"sync"
	"testing"

	"github.com/switchboard-wamp/switchboard/core/wamp"
)

// subscribe subscribes h to topic and plays SUBSCRIBED with id.
func subscribe(t *testing.T, s *Session, r *fakeRouter, topic wamp.URI, id wamp.ID, h EventHandler, opts *SubscribeOptions) (*Subscription, *wamp.Subscribe) {
	t.Helper()
	type res struct {
		sub *Subscription
		err error
	}
	c := make(chan res, 1)
	go func() {
		sub, err := s.Subscribe(context.Background(), topic, h, opts)
		c <- res{sub, err}
	}()
	m := expect[*wamp.Subscribe](r)
	r.send(&wamp.Subscribed{Request: m.Request, Subscription: id})
	got := wait(t, c)
	must(t, got.err)
	if got.sub.ID() != id || got.sub.Topic() != topic {
		t.Fatalf("subscription %d %s", got.sub.ID(), got.sub.Topic())
	}
	return got.sub, m
}

// collector records the publication IDs its handler sees.
type collector struct {
	mu   sync.Mutex
	got  []wamp.ID
	want int
	done chan struct{}
}

func newCollector(want int) *collector { return &collector{want: want, done: make(chan struct{})} }

func (c *collector) handle(e *Event) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.got = append(c.got, e.Publication)
	if len(c.got) == c.want {
		close(c.done)
	}
}

func (c *collector) ids(t *testing.T) []wamp.ID {
	wait(t, c.done)
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]wamp.ID(nil), c.got...)
}

func event(sub, pub wamp.ID) *wamp.Event {
	return &wamp.Event{Subscription: sub, Publication: pub, Details: wamp.Dict{}, Args: wamp.List{int(pub)}}
}

func TestSubscribeEventsInOrder(t *testing.T) {
	s, r := join(t, testConfig(t))
	const n = 200
	col := newCollector(n)
	_, m := subscribe(t, s, r, "com.topic", 70, col.handle, &SubscribeOptions{Match: "prefix"})
	if m.Topic != "com.topic" || m.Options["match"] != "prefix" {
		t.Fatalf("SUBSCRIBE %+v", m)
	}
	for i := 1; i <= n; i++ {
		r.send(event(70, wamp.ID(i)))
	}
	for i, id := range col.ids(t) {
		if id != wamp.ID(i+1) {
			t.Fatalf("event %d has publication %d: out of order", i, id)
		}
	}
}

func TestEventFields(t *testing.T) {
	s, r := join(t, testConfig(t))
	got := make(chan *Event, 1)
	subscribe(t, s, r, "com.", 70, func(e *Event) { got <- e }, &SubscribeOptions{Match: "prefix"})
	r.send(&wamp.Event{Subscription: 70, Publication: 5, Details: wamp.Dict{"topic": "com.x", "publisher": 3},
		Args: wamp.List{"a"}, Kwargs: wamp.Dict{"k": 1}})
	e := wait(t, got)
	if e.Topic != "com.x" || e.Publication != 5 || e.Args[0] != "a" || e.Kwargs["k"] != 1 || e.Details["publisher"] != 3 {
		t.Fatalf("event %+v", e)
	}
}

func TestSubscribeRefused(t *testing.T) {
	s, r := join(t, testConfig(t))
	errc := make(chan error, 1)
	go func() {
		_, err := s.Subscribe(context.Background(), "t", func(*Event) {}, nil)
		errc <- err
	}()
	m := expect[*wamp.Subscribe](r)
	r.send(&wamp.Error{RequestType: wamp.SUBSCRIBE, Request: m.Request, Details: wamp.Dict{}, Error: wamp.ErrNotAuthorized})
	var we *Error
	if err := wait(t, errc); !errors.As(err, &we) || we.URI != wamp.ErrNotAuthorized {
		t.Fatalf("err = %v", err)
	}
}

// TestTwoLocalSubscriptionsOneRouterSubscription: both handlers get every
// event; only the last Unsubscribe reaches the router.
func TestTwoLocalSubscriptionsOneRouterSubscription(t *testing.T) {
	s, r := join(t, testConfig(t))
	a, b := newCollector(2), newCollector(3)
	subA, _ := subscribe(t, s, r, "t", 70, a.handle, nil)
	subB, _ := subscribe(t, s, r, "t", 70, b.handle, nil)
	r.send(event(70, 1))
	r.send(event(70, 2))
	if got := a.ids(t); len(got) != 2 || got[0] != 1 || got[1] != 2 {
		t.Fatalf("a got %v", got)
	}
	must(t, subA.Unsubscribe(context.Background()))
	r.quiet(s) // no UNSUBSCRIBE yet: b still listens
	r.send(event(70, 3))
	if got := b.ids(t); len(got) != 3 || got[2] != 3 {
		t.Fatalf("b got %v", got)
	}
	a.mu.Lock()
	if len(a.got) != 2 {
		t.Fatalf("a got an event after Unsubscribe: %v", a.got)
	}
	a.mu.Unlock()
	errc := make(chan error, 1)
	go func() { errc <- subB.Unsubscribe(context.Background()) }()
	u := expect[*wamp.Unsubscribe](r)
	if u.Subscription != 70 {
		t.Fatalf("UNSUBSCRIBE %+v", u)
	}
	r.send(&wamp.Unsubscribed{Request: u.Request})
	must(t, wait(t, errc))
	must(t, subB.Unsubscribe(context.Background())) // no-op
}

func TestUnsubscribeFromHandler(t *testing.T) {
	s, r := join(t, testConfig(t))
	var sub *Subscription
	ready := make(chan struct{})
	errc := make(chan error, 1)
	sub, _ = subscribe(t, s, r, "t", 70, func(*Event) {
		<-ready
		errc <- sub.Unsubscribe(context.Background())
	}, nil)
	close(ready)
	r.send(event(70, 1))
	u := expect[*wamp.Unsubscribe](r)
	r.send(&wamp.Unsubscribed{Request: u.Request})
	must(t, wait(t, errc))
}

func TestEventHandlerPanic(t *testing.T) {
	s, r := join(t, testConfig(t))
	col := newCollector(1)
	subscribe(t, s, r, "t", 70, func(e *Event) {
		if e.Publication == 1 {
			panic("handler bug")
		}
		col.handle(e)
	}, nil)
	r.send(event(70, 1))
	r.send(event(70, 2))
	if got := col.ids(t); got[0] != 2 {
		t.Fatalf("got %v", got)
	}
}

func TestEventOverflowAbortsSession(t *testing.T) {
	cfg := testConfig(t)
	cfg.EventQueueMax = 2
	s, r := join(t, cfg)
	release := make(chan struct{})
	defer close(release)
	subscribe(t, s, r, "t", 70, func(*Event) { <-release }, nil)
	for i := 1; i <= 3; i++ {
		r.send(event(70, wamp.ID(i)))
	}
	a := expect[*wamp.Abort](r)
	if a.Reason != wamp.CloseSlowConsumer {
		t.Fatalf("ABORT %+v", a)
	}
	wait(t, s.Done())
	if !errors.Is(s.Err(), ErrEventOverflow) {
		t.Fatalf("Err = %v", s.Err())
	}
}

func TestPublish(t *testing.T) {
	s, r := join(t, testConfig(t))
	no := false
	must(t, s.Publish(context.Background(), "t", wamp.List{1}, wamp.Dict{"k": "v"}, &PublishOptions{
		ExcludeMe: &no, Exclude: []wamp.ID{5}, Eligible: []wamp.ID{6, 7}, DiscloseMe: true,
		ExcludeAuthID: []string{"mallory"}, EligibleAuthID: []string{"alice", "bob"},
		ExcludeAuthRole: []string{"guest"}, EligibleAuthRole: []string{"user"},
	}))
	p := expect[*wamp.Publish](r)
	if p.Topic != "t" || p.Args[0] != 1 || p.Kwargs["k"] != "v" {
		t.Fatalf("PUBLISH %+v", p)
	}
	want := "map[disclose_me:true eligible:[6 7] eligible_authid:[alice bob] eligible_authrole:[user] " +
		"exclude:[5] exclude_authid:[mallory] exclude_authrole:[guest] exclude_me:false]"
	if got := fmtDict(p.Options); got != want {
		t.Fatalf("options %s, want %s", got, want)
	}
}

func TestPublishAcknowledge(t *testing.T) {
	s, r := join(t, testConfig(t))
	errc := make(chan error, 1)
	publish := func() {
		go func() { errc <- s.Publish(context.Background(), "t", nil, nil, &PublishOptions{Acknowledge: true}) }()
	}
	publish()
	p := expect[*wamp.Publish](r)
	if p.Options["acknowledge"] != true {
		t.Fatalf("options %v", p.Options)
	}
	r.send(&wamp.Published{Request: p.Request, Publication: 1234})
	must(t, wait(t, errc))

	publish()
	p = expect[*wamp.Publish](r)
	r.send(&wamp.Error{RequestType: wamp.PUBLISH, Request: p.Request, Details: wamp.Dict{}, Error: wamp.ErrNotAuthorized})
	var we *Error
	if err := wait(t, errc); !errors.As(err, &we) || we.URI != wamp.ErrNotAuthorized {
		t.Fatalf("err = %v", err)
	}
}

// TestSubscribeAbandoned: the caller gives up before SUBSCRIBED; the late
// subscription is undone and its events are not delivered.
func TestSubscribeAbandoned(t *testing.T) {
	s, r := join(t, testConfig(t))
	ctx, cancel := context.WithCancel(context.Background())
	errc := make(chan error, 1)
	go func() {
		_, err := s.Subscribe(ctx, "t", func(*Event) { t.Error("event delivered to an abandoned subscription") }, nil)
		errc <- err
	}()
	m := expect[*wamp.Subscribe](r)
	cancel()
	if err := wait(t, errc); !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v", err)
	}
	r.send(&wamp.Subscribed{Request: m.Request, Subscription: 71})
	u := expect[*wamp.Unsubscribe](r)
	r.send(event(71, 1))
	r.send(&wamp.Unsubscribed{Request: u.Request})
	r.quiet(s)
}
