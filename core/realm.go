package core

import (
	"context"
	"errors"
	"log/slog"
	"time"

	"github.com/switchboard-wamp/switchboard/core/router"
	"github.com/switchboard-wamp/switchboard/core/wamp"
	"github.com/switchboard-wamp/switchboard/scheduler"
	"github.com/switchboard-wamp/switchboard/transport"
)

// outlet is where the realm's executor hands outbound messages for one
// session: a transport.Peer for remote sessions, the local session for the
// application's own procedures. Send must not block.
type outlet interface {
	Send(m wamp.Message) bool
	Close()
}

type inboundKind uint8

const (
	inMessage inboundKind = iota
	inMalformed
	inDetach
	inRefused // the session's transport could not send msg to it
	inHello   // a connection's HELLO chose this realm: the handshake starts
)

// inbound is one event for a realm, queued in its mailbox by a connection's
// reader goroutine. Events of one connection keep their order. (Joins take
// another path: admission, in auth_admit.go.)
type inbound struct {
	kind   inboundKind
	sid    wamp.ID
	msg    wamp.Message
	reason string // inMalformed
	err    error  // inRefused: why; inDetach: the connection's close cause
	from   *conn  // inMessage: for its in-flight count and flow control; inHello: the connection
}

// Realm is one realm of an Application: its routing state, bound to one
// serial executor, plus the application's own procedures in it. Exported
// methods are safe for concurrent use.
type Realm struct {
	app *Application
	uri wamp.URI
	log *slog.Logger
	as  scheduler.AsyncSupport
	ex  scheduler.Executor
	in  scheduler.Mailbox

	sessions sessionTable // joined remote sessions; safe for concurrent use

	// Executor-owned: touched only by tasks running on ex.
	r        *router.Realm
	fx       router.Effects // collects the router's effects
	fxRun    router.Effects // the effects being applied (apply double-buffers)
	applying bool
	outlets  map[wamp.ID]outlet
	hs       map[wamp.ID]*handshake // sessions in their handshake (handshake.go)
	timer    scheduler.Timer
	timerAt  time.Time
	closing  bool
	idle     []chan struct{} // shutdown waiters, released when no session is left
	local    *localSession

	sc     scope      // the realm's own authenticator, hooks, topic routes, dependencies (hooks.go)
	topics topicState // executor-owned: topic handlers' onLeave (topics.go)
}

func newRealm(a *Application, rc RealmConfig) (*Realm, error) {
	as := a.cfg.Backend
	r := &Realm{
		app:     a,
		uri:     rc.URI,
		log:     a.log.With("realm", string(rc.URI)),
		as:      as,
		ex:      as.NewExecutor("realm " + string(rc.URI)),
		r:       router.NewRealm(rc.routerConfig(), a.cfg.IDs),
		outlets: make(map[wamp.ID]outlet),
		hs:      make(map[wamp.ID]*handshake),
	}
	r.in = as.NewMailbox(r.ex, a.cfg.InboundQueueMax, r.receive)
	r.local = newLocalSession(r, a.cfg.IDs.NextID())
	if !r.ex.Post(r.local.join) {
		return nil, scheduler.ErrClosed
	}
	return r, nil
}

// URI returns the realm's name.
func (r *Realm) URI() wamp.URI { return r.uri }

// post queues an inbound event, waiting while the realm's mailbox is full.
// Called on connection reader goroutines.
func (r *Realm) post(ev *inbound) {
	if err := r.in.Put(context.Background(), ev); err != nil {
		r.log.Debug("realm mailbox closed; event dropped with its connection", "session", ev.sid, "err", err)
	}
}

// receive handles one inbound event. Executor-only.
func (r *Realm) receive(v any) {
	ev := v.(*inbound)
	now := r.as.Now()
	var sender transport.Peer
	switch ev.kind {
	case inMessage:
		r.r.Handle(now, ev.sid, ev.msg, &r.fx)
		if c := ev.from; c != nil {
			c.routed()
			sender = c.peer
		}
	case inHello:
		r.hello(ev.sid, ev.from, ev.msg.(*wamp.Hello))
	case inRefused:
		uri := wamp.ErrInvalidArgument
		if errors.Is(ev.err, transport.ErrMessageTooLarge) {
			uri = wamp.ErrPayloadSizeExceeded
		}
		r.r.Undeliverable(now, ev.sid, ev.msg, uri, ev.err.Error(), &r.fx)
	case inMalformed:
		r.r.Malformed(now, ev.sid, ev.reason, &r.fx)
	case inDetach:
		if slowConsumer(ev.err) {
			r.log.Warn("session closed: slow consumer", "session", ev.sid)
		}
		if _, ok := r.outlets[ev.sid]; !ok {
			return // already closed by the router (GOODBYE, ABORT)
		}
		delete(r.outlets, ev.sid)
		r.r.Detach(now, ev.sid, &r.fx)
		r.endSession(ev.sid)
	}
	r.applyFrom(sender)
}

// handleLocal feeds a message from the application's local session (its
// flush). Executor-only.
func (r *Realm) handleLocal(sid wamp.ID, m wamp.Message) {
	r.r.Handle(r.as.Now(), sid, m, &r.fx)
	r.apply()
}

// apply carries out the effects of a step no remote session caused.
// Executor-only.
func (r *Realm) apply() { r.applyFrom(nil) }

// applyFrom carries out the router's effects: handle subscription
// notices, deliver messages in order, close sessions, carry out handshake
// steps; then re-arm the deadline timer and release shutdown waiters.
// sender is the peer whose message caused the step, or nil: a receiver
// left congested by the step throttles it (transport.FlowControl), so a
// burst slows its sender down instead of overflowing its receivers.
//
// Carrying out an effect may feed the router again (a notice approved at
// once, a session with no hooks to run welcomed at once): effects are
// double-buffered, r.fx collecting while r.fxRun is carried out, until
// none are left. A nested call returns at once and leaves its effects to
// the running loop. Executor-only.
func (r *Realm) applyFrom(sender transport.Peer) {
	if r.applying {
		return
	}
	r.applying = true
	for !r.fx.Empty() {
		r.fx, r.fxRun = r.fxRun, r.fx
		fx := &r.fxRun
		r.handleNotices(fx)
		r.deliver(fx, sender)
		for _, c := range fx.Close {
			if c.Reason == wamp.ErrProtocolViolationURI {
				r.log.Warn("session closed: protocol violation", "session", c.Session, "message", abortMessage(fx, c.Session))
			}
			if out, ok := r.outlets[c.Session]; ok {
				delete(r.outlets, c.Session)
				out.Close()
				r.endSession(c.Session)
			}
		}
		for _, op := range fx.Handshake {
			r.handshakeStep(op)
		}
		fx.Reset()
		// The local session only took in what the router sent it: what it
		// wants to send in return (a reply, a request undone, handlers'
		// answers) reaches the router now, for the next round.
		if r.local != nil {
			r.local.flush()
		}
	}
	r.applying = false
	r.rearm()
	if r.closing && len(r.outlets) == 0 {
		for _, ch := range r.idle {
			close(ch)
		}
		r.idle = nil
	}
}

// abortMessage returns Details.message of the last ABORT fx sends to sid,
// for the log line of a session the router closes.
func abortMessage(fx *router.Effects, sid wamp.ID) string {
	for i := len(fx.Out) - 1; i >= 0; i-- {
		if a, ok := fx.Out[i].Msg.(*wamp.Abort); ok && fx.Out[i].To == sid {
			msg, _ := a.Details["message"].(string)
			return msg
		}
	}
	return ""
}

// deliver sends fx.Out in order. Executor-only.
func (r *Realm) deliver(fx *router.Effects, sender transport.Peer) {
	var fan, shared wamp.Message // the message being fanned out, wrapped once (Outbound.Shared)
	ack := ackedPublication(fx.Out)
	var refused error // ack: why an EVENT of the publication was not sent
	for i := range fx.Out {
		o := &fx.Out[i]
		out, ok := r.outlets[o.To]
		if !ok {
			continue // the session left in this step or earlier
		}
		msg := o.Msg
		fc, _ := out.(transport.FlowControl)
		checkEvent := ack != nil && fc != nil && msg.Type() == wamp.EVENT
		if o.Shared || checkEvent {
			// One message to several peers, as the router declared it:
			// each serializer in use encodes it once, and every peer
			// writes the same bytes.
			if msg != fan {
				fan, shared = msg, transport.Shared(msg)
			}
			if out != outlet(r.local) {
				msg = shared
			}
		}
		if checkEvent {
			// An acknowledged publisher learns whether every subscriber
			// could be sent the event before PUBLISHED goes out.
			if err := fc.Check(msg); err != nil {
				refused = err
				continue
			}
		} else if refused != nil && o.Msg == wamp.Message(ack) {
			msg = publishRefused(ack, refused)
		}
		// A refused Send means the peer is closed or overflowed: the
		// transport closes it, counts it (transport.Stats.SlowConsumers),
		// logs it and reports Closed, which detaches the session here.
		out.Send(msg)
		if fc != nil && sender != nil && fc.Congested() {
			fc.Throttle(sender)
		}
	}
}

// endSession ends the Session of a welcomed session that left (the close
// parts of its hooks start; it leaves the registry). A session still in
// its handshake is ended by its handshake (HandshakeEnd). Executor-only.
func (r *Realm) endSession(sid wamp.ID) {
	if _, ok := r.hs[sid]; ok {
		return
	}
	if s, ok := r.sessions.get(sid); ok {
		s.end()
	}
}

// rearm keeps exactly one backend timer armed at the router's next deadline.
// Executor-only.
func (r *Realm) rearm() {
	at, ok := r.r.NextDeadline()
	if ok && r.timer != nil && at.Equal(r.timerAt) {
		return
	}
	if r.timer != nil {
		r.timer.Stop()
		r.timer = nil
	}
	if !ok {
		return
	}
	r.timerAt = at
	r.timer = r.as.AfterFunc(at.Sub(r.as.Now()), func() { r.ex.Post(r.expire) })
}

// expire runs the router's deadline handling. Executor-only.
func (r *Realm) expire() {
	r.timer = nil
	r.r.Expire(r.as.Now(), &r.fx)
	r.apply()
}

// shutdown says GOODBYE to every session of the realm and waits until all
// are gone or ctx is done.
func (r *Realm) shutdown(ctx context.Context, reason wamp.URI) error {
	done := make(chan struct{})
	posted := r.ex.Post(func() {
		r.closing = true
		r.idle = append(r.idle, done)
		r.r.Shutdown(r.as.Now(), reason, &r.fx)
		r.apply()
	})
	if !posted {
		return scheduler.ErrClosed
	}
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// SessionCount returns the number of sessions joined to the realm, including
// the application's own local session.
func (r *Realm) SessionCount(ctx context.Context) (int, error) {
	ch := make(chan int, 1)
	if !r.ex.Post(func() { ch <- r.r.SessionCount() }) {
		return 0, ErrClosed
	}
	select {
	case n := <-ch:
		return n, nil
	case <-ctx.Done():
		return 0, ctx.Err()
	}
}

// ackedPublication returns the PUBLISHED that ends out, if any: the step
// routed an acknowledged PUBLISH (the router emits its EVENTs, then
// PUBLISHED last).
func ackedPublication(out []router.Outbound) *wamp.Published {
	if n := len(out); n > 0 {
		if p, ok := out[n-1].Msg.(*wamp.Published); ok {
			return p
		}
	}
	return nil
}

// publishRefused is the ERROR an acknowledged publisher gets instead of
// PUBLISHED when a subscriber could not be sent the event: the others
// received it.
func publishRefused(p *wamp.Published, err error) *wamp.Error {
	uri := wamp.ErrInvalidArgument
	if errors.Is(err, transport.ErrMessageTooLarge) {
		uri = wamp.ErrPayloadSizeExceeded
	}
	return &wamp.Error{RequestType: wamp.PUBLISH, Request: p.Request, Details: wamp.Dict{}, Error: uri,
		Args: wamp.List{"the event could not be delivered to every subscriber: " + err.Error()}}
}
