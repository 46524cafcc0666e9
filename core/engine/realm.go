package engine

import (
	"context"
	"errors"
	"log/slog"
	"sync"
	"time"

	"github.com/switchboard-wamp/switchboard/core/router"
	"github.com/switchboard-wamp/switchboard/core/serialize/shared"
	"github.com/switchboard-wamp/switchboard/core/wamp"
	"github.com/switchboard-wamp/switchboard/scheduler"
	"github.com/switchboard-wamp/switchboard/transport"
)

// ErrClosed is returned when the realm's executor no longer runs work.
var ErrClosed = scheduler.ErrClosed

// Outlet is where the realm's executor hands outbound messages for one
// session: a transport.Peer for remote sessions, the application's own
// session for its procedures. Send must not block.
type Outlet interface {
	Send(m wamp.Message) bool
	Close()
}

// Host is what the engine asks of the application layer above it (package
// core). Methods marked executor-only are called on the realm's executor;
// the done functions may be called from any goroutine, once.
type Host interface {
	// Authenticates reports whether new sessions must be authenticated
	// (HandshakeAuthenticate) rather than admitted anonymously.
	Authenticates() bool
	// Authenticate runs the application's authenticator for h, off the
	// executor (it may block and use h.Challenge), and reports the
	// identity or the refusal with done. Executor-only.
	Authenticate(h *Handshake, done func(router.SessionInfo, *Refusal))
	// Open builds the application's side of a session admitted as info
	// (its session object, its session-open hooks). When it can decide at
	// once it returns (refusal, true) — a nil refusal welcomes the session
	// — and never calls done; otherwise it returns (nil, false) and calls
	// done once with the outcome. Executor-only.
	Open(h *Handshake, info router.SessionInfo, done func(*Refusal)) (*Refusal, bool)
	// End tells the application that session sid is over (welcomed or
	// not): its close hooks run. Executor-only.
	End(sid wamp.ID)
	// Notices acts on the subscription notices of one round of effects;
	// it may feed the router with Do. Executor-only.
	Notices(fx *router.Effects)
	// Flush lets the application's own session send what the round of
	// effects just delivered to it made it want to send. Executor-only.
	Flush()
	// Authorize runs the realm's dynamic authorizer for a held request,
	// off the executor (it may block), and reports its verdict with done:
	// an error means the authorizer failed. Executor-only.
	Authorize(op router.AuthorizeOp, done func(allow bool, err error))
}

// Refusal is why a handshake ends: the ABORT reason and message.
type Refusal struct {
	URI     wamp.URI
	Message string
}

// RealmConfig configures one realm's engine.
type RealmConfig struct {
	Router          router.RealmConfig
	Backend         scheduler.AsyncSupport
	IDs             IDSource
	InboundQueueMax int
	Log             *slog.Logger
	// Metrics, when set, times the realm's calls (Metrics.CallLatency).
	Metrics *Metrics
	// Claims carries out the router's cluster claims
	// (Router.ClusterClaims; claim.go); nil: every claim is won at once.
	Claims Claimer
}

type inboundKind uint8

const (
	inMessage inboundKind = iota
	inMalformed
	inDetach
	inRefused // the session's transport could not send msg to it
	inHello   // a connection's HELLO chose this realm: the handshake starts
	inFunc    // a change of the realm's configuration (Apply)
)

// inbound is one event for a realm, queued in its mailbox by a
// connection's reader (or writer) goroutine. Events of one connection keep
// their order.
type inbound struct {
	kind   inboundKind
	sid    wamp.ID
	msg    wamp.Message
	reason string         // inMalformed
	err    error          // inRefused: why; inDetach: the connection's close cause
	from   *conn          // inMessage: its in-flight count and flow control; inHello: the connection
	weight int64          // inMessage: its share of the connection's in-flight bound
	held   int64          // inMessage: of which counted in the inbound budget (conn.toRealm)
	fn     func()         // inFunc
	by     transport.Peer // inFunc: the source that caused it (ApplyAs), or nil
}

// inboundPool recycles the inbound events of messages (inMessage), the
// one kind every routed message has: the realm returns each to the pool
// as it takes the message out. Others are rare and left to the collector.
var inboundPool = sync.Pool{New: func() any { return new(inbound) }}

// Realm is one realm's engine: its router, bound to one serial executor,
// its sessions' outlets, its deadline timer. Methods are safe for
// concurrent use unless marked executor-only.
type Realm struct {
	uri  wamp.URI
	log  *slog.Logger
	as   scheduler.AsyncSupport
	ex   scheduler.Executor
	in   scheduler.Mailbox
	host Host
	// inline: the executor is an event loop's or claimable (the pool's),
	// where the realm's work often runs on the goroutine that read the
	// message, and writing a message to a peer with nothing queued (one
	// non-blocking attempt) costs less than waking its writer
	// (transport.InlineSender; send).
	inline bool

	// Executor-owned: touched only by tasks running on ex.
	r         *router.Realm
	fx        router.Effects // collects the router's effects
	fxRun     router.Effects // the effects being carried out (applyFrom double-buffers)
	applying  bool
	outlets   map[wamp.ID]Outlet
	by        transport.Peer         // the source of the ApplyAs task running, nil otherwise
	local     Outlet                 // the application's own session (Attach): messages pass as values
	nodes     map[wamp.ID]bool       // the cluster's node sessions (AttachNode): messages pass as values
	hs        map[wamp.ID]*Handshake // sessions in their handshake (handshake.go)
	timer     scheduler.Timer
	timerAt   time.Time
	claimer   Claimer    // carries out Effects.Claim (claim.go); nil: claims are won at once
	calls     *callClock // nil unless call latency is measured
	metrics   *Metrics   // nil: nothing counted
	closing   bool
	idle      []chan struct{} // shutdown waiters, released when no session is left
	callsIdle []chan struct{} // WaitCalls waiters, released when no call is pending (drain.go)
}

// NewRealm returns a realm's engine; host is the application's side of it.
func NewRealm(cfg RealmConfig, host Host) *Realm {
	as := cfg.Backend
	r := &Realm{
		uri:     cfg.Router.URI,
		log:     cfg.Log,
		as:      as,
		ex:      as.NewExecutor("realm " + string(cfg.Router.URI)),
		host:    host,
		r:       router.NewRealm(cfg.Router, cfg.IDs),
		outlets: make(map[wamp.ID]Outlet),
		hs:      make(map[wamp.ID]*Handshake),
		calls:   newCallClock(cfg.Metrics, cfg.Router.URI),
		claimer: cfg.Claims,
		metrics: cfg.Metrics,
	}
	r.in = as.NewMailbox(r.ex, cfg.InboundQueueMax, r.receive)
	_, loop := as.(scheduler.Loop)
	_, claimable := r.ex.(scheduler.ExecutorClaimer)
	r.inline = loop || claimable
	return r
}

// URI returns the realm's name.
func (r *Realm) URI() wamp.URI { return r.uri }

// Backend returns the realm's scheduling backend.
func (r *Realm) Backend() scheduler.AsyncSupport { return r.as }

// Post runs f on the realm's executor; false when it no longer runs work.
func (r *Realm) Post(f func()) bool { return r.ex.Post(f) }

// Apply runs f on the realm's executor in the order of the realm's
// mailbox: after every message already received, before every message
// received after Apply returns. A configuration change made with it
// (roles, the authorizer) therefore governs exactly the requests that
// arrive after it. It may wait while the mailbox is full; false when the
// realm is closed.
func (r *Realm) Apply(f func()) bool {
	return r.in.Put(context.Background(), &inbound{kind: inFunc, fn: f}) == nil
}

// ApplyAs is Apply for work a source of messages other than a
// connection caused (a cluster node's inbox): receivers left congested by
// its step throttle sender (a transport.Gate) as they would a
// connection's reader (duty 5).
func (r *Realm) ApplyAs(sender transport.Peer, f func()) bool {
	return r.in.Put(context.Background(), &inbound{kind: inFunc, fn: f, by: sender}) == nil
}

// Do calls the router on the executor's behalf and carries out what it
// produced. Executor-only.
func (r *Realm) Do(f func(now time.Time, rr *router.Realm, fx *router.Effects)) {
	f(r.as.Now(), r.r, &r.fx)
	r.apply()
}

// Router returns the realm's router, for calls that configure it or
// return a value (SetFallback); calls that produce effects go through Do.
// Executor-only.
func (r *Realm) Router() *router.Realm { return r.r }

// Attach makes o the outlet of the application's own session sid, which
// joins with router.Realm.Join; it gets messages as values, never wrapped
// for shared encoding. Executor-only.
func (r *Realm) Attach(sid wamp.ID, o Outlet) {
	r.outlets[sid] = o
	r.local = o
}

// Refused reports that m, handed to the outlet of session sid, could not
// be sent (err wrapping transport.ErrMessageTooLarge: too large for the
// way it goes); the router answers whoever caused m, as for a
// connection's transport.Refuser. For outlets that are not connections
// (a cluster node session). Safe from any goroutine, the executor
// included: the report is queued, not handled during the delivery.
func (r *Realm) Refused(sid wamp.ID, m wamp.Message, err error) {
	r.post(&inbound{kind: inRefused, sid: sid, msg: m, err: err})
}

// AttachNode makes o the outlet of session sid, a node session of a
// cluster (another node's presence in this realm), and joins it to the
// router with hello and info. Like the application's own session it gets
// messages as values, never wrapped for shared encoding: the cluster
// encodes what crosses to the other node itself. Executor-only.
func (r *Realm) AttachNode(sid wamp.ID, o Outlet, hello *wamp.Hello, info router.SessionInfo) {
	if r.nodes == nil {
		r.nodes = make(map[wamp.ID]bool)
	}
	r.nodes[sid] = true
	r.outlets[sid] = o
	r.Do(func(now time.Time, rr *router.Realm, fx *router.Effects) { rr.Join(now, sid, hello, info, fx) })
}

// DetachNode removes node session sid from the router, as when a
// connection drops: its subscriptions and registrations go, calls in
// flight to it end. Its outlet is not closed (the cluster detached it).
// Executor-only.
func (r *Realm) DetachNode(sid wamp.ID) {
	delete(r.nodes, sid)
	if _, ok := r.outlets[sid]; !ok {
		return // already closed by the router
	}
	delete(r.outlets, sid)
	r.calls.left(sid)
	r.Do(func(now time.Time, rr *router.Realm, fx *router.Effects) { rr.Detach(now, sid, fx) })
}

// HandleLocal feeds a message from the application's own session.
// Executor-only.
func (r *Realm) HandleLocal(sid wamp.ID, m wamp.Message) {
	r.r.Handle(r.as.Now(), sid, m, &r.fx)
	r.apply()
}

// post queues an inbound event, waiting while the realm's mailbox is full.
// Called on connection goroutines.
func (r *Realm) post(ev *inbound) { r.dropped(ev, r.in.Put(context.Background(), ev)) }

// postHere is post for a connection's reader, which holds nothing the
// realm needs: on a backend whose executors it may claim
// (scheduler.ExecutorClaimer), an idle realm handles the event on the
// reader's goroutine instead of waking one of its own.
func (r *Realm) postHere(ev *inbound) {
	r.dropped(ev, scheduler.PutInline(r.in, context.Background(), ev))
}

// RunOrPost runs f on the realm's executor: on the calling goroutine when
// the executor is idle and the backend allows it
// (scheduler.RunOrPost), else posted. For a task about to end (a
// procedure's handler, done) whose outcome the realm takes in.
func (r *Realm) RunOrPost(f func()) bool { return scheduler.RunOrPost(r.ex, f) }

// dropped logs an event the realm's mailbox refused.
func (r *Realm) dropped(ev *inbound, err error) {
	if err != nil {
		peer := ""
		if ev.from != nil {
			peer = ev.from.peer.Info().PeerAddr
		}
		r.log.Debug("realm mailbox closed; event dropped with its connection", "session", ev.sid, "peer", peer, "err", err)
		if ev.kind == inMessage && ev.from != nil {
			ev.from.routed(ev.weight, ev.held) // what it counted is given back
		}
	}
}

// receive handles one inbound event. Executor-only.
func (r *Realm) receive(v any) {
	ev := v.(*inbound)
	now := r.as.Now()
	var sender transport.Peer
	switch ev.kind {
	case inMessage:
		sid, msg, c, w, held := ev.sid, ev.msg, ev.from, ev.weight, ev.held
		*ev = inbound{}
		inboundPool.Put(ev)
		r.calls.called(now, sid, msg)
		r.r.Handle(now, sid, msg, &r.fx)
		if c != nil {
			c.routed(w, held)
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
	case inFunc:
		r.by = ev.by
		ev.fn()
		r.by = nil
		sender = ev.by
	case inDetach:
		if _, ok := r.outlets[ev.sid]; !ok {
			return // already closed by the router (GOODBYE, ABORT), and logged
		}
		reason := "connection closed"
		if ev.err != nil {
			reason = ev.err.Error()
		}
		r.logClosed(ev.sid, transportClose(ev.err), reason, "", true)
		delete(r.outlets, ev.sid)
		r.calls.left(ev.sid)
		r.r.Detach(now, ev.sid, &r.fx)
		r.endSession(ev.sid)
	}
	r.applyFrom(sender)
}

// apply carries out the effects of a step no remote session caused (or
// the source of the ApplyAs task running). Executor-only.
func (r *Realm) apply() { r.applyFrom(r.by) }

// applyFrom carries out the router's effects (duty 3): handle subscription
// notices, deliver messages in order, close sessions, carry out handshake
// steps; then re-arm the deadline timer and release shutdown waiters.
// sender is the peer whose message caused the step, or nil: a receiver
// left congested by the step throttles it (duty 5), so a burst slows its
// sender down instead of overflowing its receivers.
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
		if len(fx.Notify) > 0 {
			r.host.Notices(fx)
		}
		r.deliver(fx, sender)
		for _, c := range fx.Close {
			if out, ok := r.outlets[c.Session]; ok {
				msg := closeMessage(fx, c.Session)
				_, handshaking := r.hs[c.Session]
				what, abnormal := routerClose(c.Reason, msg, handshaking)
				r.logClosed(c.Session, what, string(c.Reason), msg, abnormal)
				delete(r.outlets, c.Session)
				delete(r.nodes, c.Session)
				r.calls.left(c.Session)
				r.closeOutlet(out)
				r.endSession(c.Session)
			}
		}
		for _, op := range fx.Handshake {
			r.handshakeStep(op)
		}
		for _, op := range fx.Authorize {
			r.authorize(op)
		}
		for _, op := range fx.Claim {
			r.claim(op)
		}
		fx.Reset()
		// The application's own session only took in what the router
		// sent it: what it wants to send in return reaches the router
		// now, for the next round.
		r.host.Flush()
	}
	r.applying = false
	r.rearm()
	r.releaseCallWaiters()
	if r.closing && len(r.outlets) == 0 {
		for _, ch := range r.idle {
			close(ch)
		}
		r.idle = nil
	}
}

// authorize has the host run the authorizer for one held request; the
// verdict re-enters the router on the executor (duty 8).
func (r *Realm) authorize(op router.AuthorizeOp) {
	r.host.Authorize(op, func(allow bool, err error) {
		r.ex.Post(func() {
			r.Do(func(now time.Time, rr *router.Realm, fx *router.Effects) {
				rr.Authorized(now, op.Session, op.Ticket, allow && err == nil, err != nil, fx)
			})
		})
	})
}

// deliver sends fx.Out in order. Executor-only.
func (r *Realm) deliver(fx *router.Effects, sender transport.Peer) {
	var fan, wrapped wamp.Message // the message being fanned out, wrapped once (Outbound.Shared)
	var refused error             // why an EVENT of the acknowledged publication was not sent
	var now time.Time
	if r.calls != nil {
		now = r.as.Now()
	}
	for i := range fx.Out {
		o := &fx.Out[i]
		out, ok := r.outlets[o.To]
		if !ok {
			continue // the session left in this step or earlier
		}
		msg := o.Msg
		r.calls.answered(now, o.To, msg)
		fc, _ := out.(transport.FlowControl)
		checkEvent := o.Acked && fc != nil && msg.Type() == wamp.EVENT
		if (o.Shared || checkEvent) && out != r.local && !r.nodes[o.To] {
			// One message to several peers, as the router declared it:
			// each serializer in use encodes it once, and every peer
			// writes the same bytes.
			if msg != fan {
				fan, wrapped = msg, shared.Wrap(msg)
			}
			msg = wrapped
		}
		if checkEvent {
			// An acknowledged publisher learns whether every subscriber
			// could be sent the event before PUBLISHED goes out.
			if err := fc.Check(msg); err != nil {
				refused = err
				continue
			}
		} else if p, ok := msg.(*wamp.Published); ok && o.Acked {
			if refused != nil {
				msg = publishRefused(p, refused)
			}
			refused = nil // the publication's group ends with its PUBLISHED
		}
		// A refused Send means the peer is closed or overflowed: the
		// transport closes it, counts it (transport.Stats.SlowConsumers),
		// logs it and reports Closed, which detaches the session here.
		r.send(out, msg, msg != o.Msg, closesNow(fx, o.To))
		if fc != nil && sender != nil && fc.Congested() {
			if msg.Type() == wamp.EVENT {
				fc.ThrottleEvent(sender) // let go if the subscriber stalls
			} else {
				fc.Throttle(sender)
			}
		}
	}
}

// send hands msg to out. On an event loop or the pool, a message for one
// peer (not a fan-out, whose writes the writers share out) is written
// inline when the peer has nothing queued: no writer goroutine to wake, no
// handoff. (On the goroutine backend, side by side, it saved less and not
// in every run: there the writers stay.) A message to a session this step
// closes (closing: the GOODBYE answering the session's own) is held for the
// inline close (closeOutlet), which writes it with the WebSocket close
// frame in one write. Executor-only.
func (r *Realm) send(out Outlet, msg wamp.Message, fanned, closing bool) {
	if r.inline && !fanned {
		if is, ok := out.(transport.InlineSender); ok {
			if closing {
				is.SendHeld(msg)
			} else {
				is.SendInline(msg)
			}
			return
		}
	}
	out.Send(msg)
}

// closesNow reports whether this step closes session sid (fx.Close,
// carried out right after fx.Out).
func closesNow(fx *router.Effects, sid wamp.ID) bool {
	for _, c := range fx.Close {
		if c.Session == sid {
			return true
		}
	}
	return false
}

// closeOutlet closes a session's outlet; on an event loop, inline (what
// send held and the close go out in one write, without a writer
// goroutine). Executor-only.
func (r *Realm) closeOutlet(out Outlet) {
	if r.inline {
		if is, ok := out.(transport.InlineSender); ok {
			is.CloseInline()
			return
		}
	}
	out.Close()
}

// endSession tells the host a welcomed session left. A session still in
// its handshake is ended by its handshake (HandshakeEnd). Executor-only.
func (r *Realm) endSession(sid wamp.ID) {
	if _, ok := r.hs[sid]; ok {
		return
	}
	r.host.End(sid)
}

// rearm keeps exactly one backend timer armed at the router's next
// deadline (duty 4). Executor-only.
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

// Shutdown says GOODBYE (reason) to every session of the realm, ABORT to
// those in their handshake, and waits until all are gone or ctx is done.
func (r *Realm) Shutdown(ctx context.Context, reason wamp.URI) error {
	done := make(chan struct{})
	posted := r.ex.Post(func() {
		r.closing = true
		r.idle = append(r.idle, done)
		r.r.Shutdown(r.as.Now(), reason, &r.fx)
		r.apply()
	})
	if !posted {
		return ErrClosed
	}
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// SessionCount returns the number of sessions joined to the realm,
// including the application's own session.
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

// Kill ends session sid from the router (GOODBYE reason). It does not
// wait.
func (r *Realm) Kill(sid wamp.ID, reason wamp.URI) error {
	if !r.ex.Post(func() {
		r.Do(func(now time.Time, rr *router.Realm, fx *router.Effects) { rr.Kill(now, sid, reason, fx) })
	}) {
		return ErrClosed
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

// sessionLog is the realm's logger (which names the realm) with the
// session's ID and peer address: every session-scoped line carries all
// three. Executor-only.
func (r *Realm) sessionLog(sid wamp.ID) *slog.Logger {
	peer := ""
	if p, ok := r.outlets[sid].(transport.Peer); ok {
		peer = p.Info().PeerAddr
	}
	return r.log.With("session", sid, "peer", peer)
}
