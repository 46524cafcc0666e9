package transport

import (
	"errors"
	"fmt"
	"log/slog"
	"runtime/debug"
	"sync"

	"github.com/switchboard-wamp/switchboard/core/serialize"
	"github.com/switchboard-wamp/switchboard/core/serialize/shared"
	"github.com/switchboard-wamp/switchboard/core/wamp"
	"github.com/switchboard-wamp/switchboard/scheduler"
)

// ErrNoExecutor is returned by Pipe for an end without an Executor or an
// Acceptor.
var ErrNoExecutor = errors.New("transport: memory pipe end needs an Executor and an Acceptor")

// PipeConfig configures an in-memory connection (Pipe, MemoryServer). The
// zero value is useful: messages are handed over as values, each direction
// holds up to DefaultOutboundQueueMax undelivered messages.
type PipeConfig struct {
	// Serializer, when set, carries every message as a real connection
	// would: encoded (a shared.Message once per format, through its cache)
	// and decoded again just before delivery, so the receiver never shares
	// memory with the sender and an invalid message is caught. Nil: the
	// message value itself is delivered (shared.Message unwrapped).
	Serializer serialize.Serializer
	// QueueMax bounds each direction: messages sent and not yet delivered
	// (0 = DefaultOutboundQueueMax). Send on a full direction closes the
	// sending end as a slow consumer, as the socket transports do.
	QueueMax int
	// Logger receives the slow-consumer and panic reports (nil =
	// slog.Default()).
	Logger *slog.Logger
	// Stats receives counters (nil = private counters nobody reads).
	Stats *Stats
}

func (c PipeConfig) withDefaults() PipeConfig {
	if c.QueueMax <= 0 {
		c.QueueMax = DefaultOutboundQueueMax
	}
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
	if c.Stats == nil {
		c.Stats = new(Stats)
	}
	return c
}

// PipeEnd is one end of an in-memory connection.
type PipeEnd struct {
	// Acceptor is asked for this end's Handler. Required.
	Acceptor Acceptor
	// Executor runs this end's Accept and all its Handler calls, one message
	// per task: they play the part of a socket transport's reader
	// goroutine. On schedtest.Virtual the connection is therefore as
	// deterministic as the rest of the simulation. Required.
	//
	// A Handler that waits (core's realm mailbox when full, a client's
	// inbox when full) must not run on the executor it waits for: on an
	// event loop, where every executor is the loop, keep traffic below
	// those bounds or give this end an executor of another backend.
	Executor scheduler.Executor
	// Info is what this end's Peer.Info reports. Transport defaults to
	// "memory", Serializer to the PipeConfig's serializer name ("none"
	// without one).
	Info Info
}

// Pipe connects two ends through bounded in-memory queues and returns each
// end's Peer. Each end's Acceptor is called first, as a task of its
// Executor, then its Handler receives, on that executor, the messages the
// other end sends, in order, and Closed exactly once, last.
//
// Close semantics follow the socket transports. Close on one end is an
// orderly close: what it sent is still delivered, then the other end's
// Handler gets Closed with a *CloseError{Code: 1000, Remote: true}; its
// own Handler gets Closed(nil) and receives nothing more. Once either end
// has closed, Send on both returns false. A Send that finds the direction
// full (PipeConfig.QueueMax undelivered messages) closes the sending end
// as a slow consumer: it returns false, the undelivered messages are
// discarded, Stats.SlowConsumers is incremented, a Warn line is logged, the
// sender's Handler gets Closed(ErrSlowConsumer) and the receiver's a
// *CloseError{Code: 1008, Reason: "slow consumer", Remote: true}.
//
// Pipe starts no goroutine: all work runs as tasks of the two executors.
// It fails with ErrNoExecutor, or scheduler.ErrClosed when an executor
// refuses the Accept task. Safe for concurrent use.
func Pipe(cfg PipeConfig, a, b PipeEnd) (Peer, Peer, error) {
	if a.Executor == nil || b.Executor == nil || a.Acceptor == nil || b.Acceptor == nil {
		return nil, nil, ErrNoExecutor
	}
	cfg = cfg.withDefaults()
	p := &memPipe{cfg: cfg}
	ea, eb := p.newEnd(a), p.newEnd(b)
	ea.other, eb.other = eb, ea
	// Both Accept tasks are queued before either end can send, so on each
	// executor Accept precedes every delivery.
	if !ea.ex.Post(ea.accept) {
		return nil, nil, fmt.Errorf("transport: memory pipe: %w", scheduler.ErrClosed)
	}
	if !eb.ex.Post(eb.accept) {
		// a's Accept is queued: close a, whose Handler then hears of it.
		ea.abort(closeInternalError, "internal error", scheduler.ErrClosed)
		return nil, nil, fmt.Errorf("transport: memory pipe: %w", scheduler.ErrClosed)
	}
	return ea, eb, nil
}

// memPipe is the shared state of one in-memory connection. One mutex
// guards both ends' queues and states: it is a test transport, and one
// lock makes the cross-end transitions (close, abort) trivially atomic.
type memPipe struct {
	cfg PipeConfig
	mu  sync.Mutex
}

// memEnd is one end of a memPipe. It implements Peer.
type memEnd struct {
	pipe     *memPipe
	ex       scheduler.Executor
	acceptor Acceptor
	info     Info
	other    *memEnd
	drainFn  func()

	// Executor-only.
	h       Handler
	scratch []byte // encode buffer

	// Guarded by pipe.mu.
	open      bool           // Send accepted
	inq       []wamp.Message // sent by the other end, not yet delivered here
	scheduled bool           // a drain task is posted or running
	causeSet  bool           // Closed is due once inq is delivered (or discarded)
	cause     error          // what Closed receives
	discard   bool           // deliver nothing more: Closed next
	done      bool           // Closed was delivered (or is being delivered)
	onDone    func()         // called after Closed (MemoryServer bookkeeping)
}

var _ Peer = (*memEnd)(nil)

func (p *memPipe) newEnd(pe PipeEnd) *memEnd {
	info := pe.Info
	if info.Transport == "" {
		info.Transport = "memory"
	}
	if info.Serializer == "" {
		info.Serializer = "none"
		if p.cfg.Serializer != nil {
			info.Serializer = p.cfg.Serializer.Name()
		}
	}
	e := &memEnd{pipe: p, ex: pe.Executor, acceptor: pe.Acceptor, info: info, open: true, scheduled: true}
	e.drainFn = e.drain
	return e
}

// Send queues m for the other end without blocking. It returns false once
// either end has closed, and closes this end as a slow consumer when the
// direction is full (see Pipe). m must not be modified after Send. Safe for
// concurrent use.
func (e *memEnd) Send(m wamp.Message) bool {
	p := e.pipe
	p.mu.Lock()
	if !e.open {
		p.mu.Unlock()
		return false
	}
	r := e.other
	if len(r.inq) >= p.cfg.QueueMax {
		pe, pr := e.abortLocked(ErrSlowConsumer, &CloseError{Code: closePolicyViolation, Reason: "slow consumer", Remote: true})
		p.mu.Unlock()
		e.postIf(pe)
		r.postIf(pr)
		p.cfg.Stats.SlowConsumers.Add(1)
		p.cfg.Logger.Warn("transport: closing slow consumer: outbound queue full",
			"transport", e.info.Transport, "peer", e.info.PeerAddr, "queue_max", p.cfg.QueueMax)
		return false
	}
	r.inq = append(r.inq, m)
	post := r.scheduleLocked()
	p.mu.Unlock()
	if post {
		r.post()
	}
	return true
}

// Close closes this end in order (see Pipe). Idempotent; safe for
// concurrent use.
func (e *memEnd) Close() {
	p := e.pipe
	p.mu.Lock()
	if !e.open && e.causeSet {
		p.mu.Unlock()
		return
	}
	e.closeLocked(nil, &CloseError{Code: closeNormal, Remote: true})
	pe, po := e.scheduleLocked(), e.other.scheduleLocked()
	p.mu.Unlock()
	e.postIf(pe)
	e.other.postIf(po)
}

// closeGoingAway is Close with a different code for the other end and
// cause for this one: server shutdown.
func (e *memEnd) closeGoingAway(cause error) {
	p := e.pipe
	p.mu.Lock()
	if !e.open && e.causeSet {
		p.mu.Unlock()
		return
	}
	e.closeLocked(cause, &CloseError{Code: closeGoingAway, Remote: true})
	pe, po := e.scheduleLocked(), e.other.scheduleLocked()
	p.mu.Unlock()
	e.postIf(pe)
	e.other.postIf(po)
}

// closeLocked stops both directions: this end delivers nothing more, the
// other end delivers what it has, then both get Closed. pipe.mu held.
func (e *memEnd) closeLocked(local, remote error) {
	r := e.other
	e.open, r.open = false, false
	e.setCauseLocked(local)
	e.discard = true
	r.setCauseLocked(remote)
}

// abort closes this end without delivering what is queued either way.
// Safe for concurrent use.
func (e *memEnd) abort(code uint16, reason string, cause error) {
	p := e.pipe
	p.mu.Lock()
	pe, po := e.abortLocked(cause, &CloseError{Code: int(code), Reason: reason, Remote: true})
	p.mu.Unlock()
	e.postIf(pe)
	e.other.postIf(po)
}

// abortLocked discards both directions and schedules both Closed calls; it
// reports which ends' drain tasks the caller must post once pipe.mu is
// released. pipe.mu held.
func (e *memEnd) abortLocked(local, remote error) (postE, postR bool) {
	r := e.other
	e.open, r.open = false, false
	e.setCauseLocked(local)
	r.setCauseLocked(remote)
	e.discard, r.discard = true, true
	clear(e.inq)
	clear(r.inq)
	e.inq, r.inq = nil, nil
	return e.scheduleLocked(), r.scheduleLocked()
}

func (e *memEnd) setCauseLocked(cause error) {
	if !e.causeSet {
		e.cause, e.causeSet = cause, true
	}
}

// scheduleLocked marks a drain task as due and reports whether the caller
// must post it (none is posted or running). pipe.mu held.
func (e *memEnd) scheduleLocked() bool {
	if e.scheduled || e.done {
		return false
	}
	e.scheduled = true
	return true
}

func (e *memEnd) postIf(post bool) {
	if post {
		e.post()
	}
}

// post queues a drain task. An executor that refuses it (its backend is
// closed) can never run this end's Handler again: the end is marked done.
func (e *memEnd) post() {
	if e.ex.Post(e.drainFn) {
		return
	}
	p := e.pipe
	p.mu.Lock()
	e.done, e.scheduled = true, false
	e.inq = nil
	p.mu.Unlock()
	p.cfg.Logger.Debug("transport: memory pipe: executor closed; handler abandoned", "peer", e.info.PeerAddr)
}

// Info describes this end. Safe for concurrent use.
func (e *memEnd) Info() Info { return e.info }

// accept is the first task on the end's executor: it asks the Acceptor for
// the Handler, then delivers whatever was sent meanwhile.
func (e *memEnd) accept() {
	func() {
		defer e.recoverHandler("Accept")
		e.h = e.acceptor.Accept(e)
	}()
	if e.h == nil {
		e.pipe.cfg.Logger.Error("transport: Acceptor returned a nil Handler; closing connection",
			"transport", e.info.Transport, "peer", e.info.PeerAddr)
		e.abort(closeInternalError, "internal error", errors.New("transport: Acceptor returned a nil Handler"))
	} else {
		e.pipe.cfg.Stats.Accepted.Add(1)
	}
	e.drain()
}

// drain delivers one queued message (or Closed) and re-posts itself while
// there is more, so deliveries interleave with the executor's other work.
// Executor-only.
func (e *memEnd) drain() {
	p := e.pipe
	p.mu.Lock()
	if e.done {
		e.scheduled = false
		p.mu.Unlock()
		return
	}
	if (e.discard || len(e.inq) == 0) && e.causeSet {
		e.done, e.scheduled = true, false
		clear(e.inq)
		e.inq = nil
		cause, onDone := e.cause, e.onDone
		p.mu.Unlock()
		e.closed(cause)
		if onDone != nil {
			onDone()
		}
		return
	}
	if len(e.inq) == 0 {
		e.scheduled = false
		p.mu.Unlock()
		return
	}
	m := e.inq[0]
	e.inq[0] = nil
	e.inq = e.inq[1:]
	p.mu.Unlock()
	e.deliver(m)
	e.post() // scheduled stays true: the next round decides
}

// deliver hands one message to the Handler, through the serializer when
// one is configured. Executor-only.
func (e *memEnd) deliver(m wamp.Message) {
	if e.h == nil {
		return
	}
	defer e.recoverHandler("Message")
	ser := e.pipe.cfg.Serializer
	if ser == nil {
		e.h.Message(shared.Unwrap(m))
		return
	}
	var b []byte
	var err error
	if sm, ok := m.(*shared.Message); ok {
		b, err = sm.Encoded(ser, &e.scratch)
	} else {
		b, err = shared.Encode(ser, e.scratch[:0], m)
		e.scratch = b
	}
	if err != nil {
		// The sender's writer would have failed: its connection ends.
		e.pipe.cfg.Stats.EncodeErrors.Add(1)
		e.pipe.cfg.Logger.Error("transport: cannot encode message; closing connection", "peer", e.other.info.PeerAddr, "err", err)
		e.other.abort(closeInternalError, "internal error", err)
		return
	}
	dec, err := ser.Decode(b)
	if err != nil {
		e.pipe.cfg.Stats.MalformedFrames.Add(1)
		e.h.Malformed(err)
		return
	}
	e.h.Message(dec)
}

// closed delivers Handler.Closed, recovering (and logging) a panic.
// Executor-only.
func (e *memEnd) closed(cause error) {
	e.pipe.cfg.Stats.Closed.Add(1)
	if e.h == nil {
		return
	}
	defer func() {
		if r := recover(); r != nil {
			e.pipe.cfg.Logger.Error("transport: panic in Handler.Closed", "transport", e.info.Transport,
				"peer", e.info.PeerAddr, "panic", r, "stack", string(debug.Stack()))
		}
	}()
	e.h.Closed(cause)
}

// recoverHandler turns a panic in the Acceptor or Handler into a logged
// error and an abort of this end.
func (e *memEnd) recoverHandler(where string) {
	r := recover()
	if r == nil {
		return
	}
	e.pipe.cfg.Logger.Error("transport: panic in handler; closing connection", "transport", e.info.Transport,
		"peer", e.info.PeerAddr, "in", where, "panic", r, "stack", string(debug.Stack()))
	e.abort(closeInternalError, "internal error", fmt.Errorf("%w in %s: %v", ErrHandlerPanic, where, r))
}
