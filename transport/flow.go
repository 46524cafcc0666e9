package transport

import (
	"io"
	"sync"
	"sync/atomic"
	"time"

	"github.com/switchboard-wamp/switchboard/core/wamp"
)

// Flow control: how a burst from one peer slows that peer down instead of
// getting its receivers disconnected.
//
// Every socket peer has soft limits on its outbound queue (an eighth of
// OutboundQueueMax messages, at least 1, and an eighth of its
// OutboundQueueBytes). Above either the peer is congested. The router
// then calls Throttle(sender) with the peer whose message it was routing:
// the sender's reader stops between two messages (so TCP backpressure
// reaches whoever is flooding) until every receiver that throttled it has
// drained to half its soft limits, or has closed. A receiver that truly
// stops reading is still closed, by StallTimeout or WriteTimeout (its
// writer stalls) or by the hard OutboundQueueMax or OutboundQueueBytes; a
// receiver that reads is never closed for a burst somebody else sent. A
// subscriber holds its publisher (ThrottleEvent) only while its socket
// takes bytes: after EventStallTimeout without, the publisher reads again.

// FlowControl is implemented by the peers of the socket transports
// (WebSocket and RawSocket, both sides). Peers that do not implement it
// (the in-memory transport) have no flow control beyond their queue bound.
// All methods are safe for concurrent use.
type FlowControl interface {
	// Congested reports whether the outbound queue is above its soft limit.
	// One atomic load.
	Congested() bool
	// Throttle holds sender's reader (if sender implements FlowControl)
	// until this peer's outbound queue has drained to half its soft limit,
	// or this peer closed. It does nothing when this peer is not congested.
	// A sender held by several peers reads again once all released it.
	Throttle(sender Peer)
	// ThrottleEvent is Throttle for a message a subscriber does not
	// answer (an EVENT): a peer whose socket takes no bytes for
	// EventStallTimeout lets such senders go and holds none again until
	// it takes bytes, so a subscriber that stopped reading costs its
	// publisher (and the publisher's other subscribers) at most that
	// long; its queue bounds then close it as a slow consumer.
	ThrottleEvent(sender Peer)
	// Pause stops this peer's reader before its next message until Resume
	// has been called as many times (or the peer closes). The engine uses
	// it to bound the messages one peer has in flight inside the router.
	Pause()
	// Resume undoes one Pause.
	Resume()
	// HoldInbound counts n bytes in the InboundBudget of this peer's
	// server, whether they fit or not, until ReleaseInbound gives them
	// back: memory that a message read from this peer still holds after
	// the transport let it go. The engine holds the part of a decoded
	// message past its session's in-flight bound until it is routed, so
	// that this part, one message per session, is bounded router-wide.
	HoldInbound(n int64)
	// ReleaseInbound gives back n bytes counted by HoldInbound.
	ReleaseInbound(n int64)
	// Check encodes m for this peer now and reports whether the writer
	// would send it: an error wrapping ErrMessageTooLarge or ErrEncode if
	// not. For a shared.Message the encoding is cached, so the writer does
	// not encode it again.
	Check(m wamp.Message) error
}

// Refuser is implemented by Handlers that want to know about outbound
// messages their peer could not send (too large for the other end's limit,
// or a value its serializer cannot carry). The peer stays connected: such a
// message is dropped, counted in Stats.EncodeErrors, and reported here.
// Refused is called on the peer's writer goroutine, never concurrently
// with itself; it must not block for long.
type Refuser interface {
	Refused(m wamp.Message, err error)
}

// peerGate holds a peer's reader between messages. held counts Pause
// calls not yet resumed (it may dip below zero transiently when a Resume
// races ahead of its Pause); the reader waits while it is positive and the
// gate is not stopped. mu is a leaf lock: it may be taken with peerCore.mu
// held, never the other way round.
type peerGate struct {
	shut    atomic.Bool // open != nil: the reader's one atomic load per message
	mu      sync.Mutex
	held    int
	open    chan struct{} // closed when the reader may go on; nil while not held
	stopped bool          // the peer left the open state: never hold again
}

func (g *peerGate) pause() {
	g.mu.Lock()
	g.held++
	if g.held > 0 && g.open == nil && !g.stopped {
		g.open = make(chan struct{})
		g.shut.Store(true)
	}
	g.mu.Unlock()
}

func (g *peerGate) resume() {
	g.mu.Lock()
	g.held--
	if g.held <= 0 && g.open != nil {
		close(g.open)
		g.open = nil
		g.shut.Store(false)
	}
	g.mu.Unlock()
}

// stop opens the gate for good: the peer is closing, and its reader must
// reach the end of the connection.
func (g *peerGate) stop() {
	g.mu.Lock()
	g.stopped = true
	if g.open != nil {
		close(g.open)
		g.open = nil
		g.shut.Store(false)
	}
	g.mu.Unlock()
}

// wait blocks while the gate is held and reports whether it waited.
// Reader goroutine.
func (g *peerGate) wait() bool {
	if !g.shut.Load() {
		return false
	}
	waited := false
	for {
		g.mu.Lock()
		ch := g.open
		g.mu.Unlock()
		if ch == nil {
			return waited
		}
		waited = true
		<-ch
	}
}

// softLimit is the queue length above which a peer is congested.
func (pc *peerConfig) softLimit() int { return max(1, pc.queueMax/8) }

// softBytes is the queued byte count above which a peer is congested.
func (pc *peerConfig) softBytes() int { return max(1, pc.queueBytes/8) }

// Congested implements FlowControl.
func (q *peerCore) Congested() bool { return q.congested.Load() }

// Throttle implements FlowControl.
func (q *peerCore) Throttle(sender Peer) { q.throttle(sender, false) }

// ThrottleEvent implements FlowControl.
func (q *peerCore) ThrottleEvent(sender Peer) { q.throttle(sender, true) }

// throttle holds sender's reader while q is congested; event marks a hold
// for an EVENT, which the stall watch lets go after EventStallTimeout
// without progress (a sender held for anything else stays held until q
// drains, closes, or is closed after StallTimeout).
func (q *peerCore) throttle(sender Peer, event bool) {
	if !q.congested.Load() {
		return
	}
	g := gateOf(sender)
	if g == nil {
		return
	}
	q.mu.Lock()
	if q.state == stateOpen && q.congested.Load() && !(event && q.eventStalledLocked()) {
		eventOnly, dup := q.holding[g]
		switch {
		case !dup:
			if q.holding == nil {
				q.holding = make(map[*peerGate]bool)
			}
			if len(q.holding) == 0 {
				q.watchStallLocked()
			}
			q.holding[g] = event
			g.pause()
			q.cfg.stats.Throttled.Add(1)
		case eventOnly && !event:
			q.holding[g] = false // held for more than events now
		}
	}
	q.mu.Unlock()
}

// eventStalledLocked reports whether q let its publishers go for taking no
// bytes for EventStallTimeout and has taken none since: it holds no
// publisher again until it does. Called with q.mu held.
func (q *peerCore) eventStalledLocked() bool {
	if !q.eventStalled {
		return false
	}
	if q.wroteBytes.Load() != q.stallMark {
		q.eventStalled = false
	}
	return q.eventStalled
}

// watchStallLocked starts watching a peer that begins to hold senders: if
// its socket then takes no bytes (progress is counted per chunk of
// progressChunk bytes, so a large message being written slowly is
// progress) for EventStallTimeout, the senders it holds for EVENTs read
// again (a subscriber that stopped reading must not stall a publisher
// and its other subscribers), and for a whole StallTimeout, the peer has
// stopped reading: holding the others until WriteTimeout would stall them
// for nothing, so it is closed. Called with q.mu held.
func (q *peerCore) watchStallLocked() {
	q.eventStalledLocked() // progress since an event stall ends it
	q.stallMark, q.stallSince = q.wroteBytes.Load(), time.Now()
	d := min(q.cfg.eventStall, q.cfg.stall)
	if q.stallTimer == nil {
		q.stallTimer = time.AfterFunc(d, q.checkStall)
		return
	}
	q.stallTimer.Reset(d)
}

// checkStall runs while a peer holds senders (timer goroutine): progress
// since the last look starts the watch again; otherwise the event holds
// are let go after EventStallTimeout, and the peer is closed as a slow
// consumer after StallTimeout.
func (q *peerCore) checkStall() {
	q.mu.Lock()
	if q.closeWatch {
		q.checkCloseUnlock()
		return
	}
	if q.state != stateOpen || len(q.holding) == 0 {
		q.mu.Unlock()
		return
	}
	now := time.Now()
	if w := q.wroteBytes.Load(); w != q.stallMark {
		q.stallMark, q.stallSince, q.eventStalled = w, now, false
		q.stallTimer.Reset(min(q.cfg.eventStall, q.cfg.stall))
		q.mu.Unlock()
		return
	}
	idle := now.Sub(q.stallSince)
	if idle < q.cfg.stall {
		next := q.cfg.stall - idle
		if !q.eventStalled {
			if idle >= q.cfg.eventStall {
				q.releaseEventsLocked()
			} else {
				next = min(next, q.cfg.eventStall-idle)
			}
		}
		if len(q.holding) > 0 {
			q.stallTimer.Reset(next)
		}
		q.mu.Unlock()
		return
	}
	q.slowConsumerUnlock("nothing written while it held its senders", "grace", q.cfg.stall)
	// The writer is stuck in a write the peer does not take: no close
	// frame could reach it. Closing the socket ends that write and the
	// reader now; the cause stays ErrSlowConsumer.
	_ = q.nc.Close()
}

// watchCloseLocked starts watching a peer just closed as a slow consumer:
// its queue is gone, but its writer may be stuck in a write the peer does
// not take, and would keep the connection (and its session, and the bytes
// in its socket buffer) until WriteTimeout. If its socket then takes no
// bytes for EventStallTimeout, the socket is closed, which ends that write
// and the reader; a peer that still reads gets its close frame. Called
// with q.mu held.
func (q *peerCore) watchCloseLocked() {
	q.closeWatch = true
	q.stallMark = q.wroteBytes.Load()
	if q.stallTimer == nil {
		q.stallTimer = time.AfterFunc(q.cfg.eventStall, q.checkStall)
		return
	}
	q.stallTimer.Reset(q.cfg.eventStall)
}

// checkCloseUnlock is checkStall for a peer closed as a slow consumer: it
// closes the socket unless it took bytes since the last look (the reader
// stops the watch when it sees the connection end). Called with q.mu
// held; returns with it released.
func (q *peerCore) checkCloseUnlock() {
	if w := q.wroteBytes.Load(); w != q.stallMark {
		q.stallMark = w
		q.stallTimer.Reset(q.cfg.eventStall)
		q.mu.Unlock()
		return
	}
	q.mu.Unlock()
	_ = q.nc.Close()
}

// releaseEventsLocked lets go of the senders q holds for EVENTs only, and
// marks q event-stalled until its socket takes bytes again. Called with
// q.mu held.
func (q *peerCore) releaseEventsLocked() {
	q.eventStalled = true
	for g, eventOnly := range q.holding {
		if eventOnly {
			g.resume()
			delete(q.holding, g)
			q.cfg.stats.StallReleases.Add(1)
		}
	}
}

// Pause implements FlowControl.
func (q *peerCore) Pause() { q.gate.pause() }

// Resume implements FlowControl.
func (q *peerCore) Resume() { q.gate.resume() }

// HoldInbound implements FlowControl.
func (q *peerCore) HoldInbound(n int64) { q.cfg.inbound.force(n) }

// ReleaseInbound implements FlowControl.
func (q *peerCore) ReleaseInbound(n int64) { q.cfg.inbound.give(n) }

// Check implements FlowControl.
func (q *peerCore) Check(m wamp.Message) error {
	bp := encodeBufPool.Get().(*[]byte)
	defer func() {
		if cap(*bp) <= maxPooledBuf {
			*bp = (*bp)[:0]
			encodeBufPool.Put(bp)
		}
	}()
	_, err := q.encodeFor(bp, m)
	return err
}

// gateOf returns the gate of a peer of this package, or nil.
func gateOf(p Peer) *peerGate {
	if g, ok := p.(interface{ readerGate() *peerGate }); ok {
		return g.readerGate()
	}
	return nil
}

func (q *peerCore) readerGate() *peerGate { return &q.gate }

// noteQueuedLocked marks the peer congested when its queue passed the soft
// limit. Called with q.mu held after the queue grew.
func (q *peerCore) noteQueuedLocked() {
	if (q.pending >= q.cfg.softLimit() || q.pendingBytes >= q.cfg.softBytes()) && !q.congested.Load() {
		q.congested.Store(true)
	}
}

// noteDrainedLocked releases the senders this peer holds once its queue is
// back to half the soft limit. Called with q.mu held after the queue shrank.
func (q *peerCore) noteDrainedLocked() {
	if q.congested.Load() && q.pending <= q.cfg.softLimit()/2 && q.pendingBytes <= q.cfg.softBytes()/2 {
		q.congested.Store(false)
		q.releaseLocked()
	}
}

// releaseLocked lets every sender this peer holds read again.
func (q *peerCore) releaseLocked() {
	for g := range q.holding {
		g.resume()
	}
	clear(q.holding)
}

// leaveOpenLocked is called whenever the state leaves stateOpen: the
// senders this peer held read again, and this peer's own reader is never
// held from now on (it must reach the end of the connection).
func (q *peerCore) leaveOpenLocked() {
	q.congested.Store(false)
	q.releaseLocked()
	q.gate.stop()
	q.wakeParkedReader(true) // to see the socket close, which a poller does not report
}

// waitReader holds the reader while the gate is held; when it waited and
// keepalive is on, the read deadline is pushed out again, since the reader
// was not reading by choice, not because the peer was silent. Reader
// goroutine, between two messages.
func (q *peerCore) waitReader() {
	if !q.gate.wait() || !q.cfg.keepalive() {
		return
	}
	q.stale.Store(true)
	q.heard()
}

// progressChunk is the largest single socket write of a peer, so that the
// stall watch sees a slow reader's progress within a large message.
const progressChunk = 64 << 10

// writeCounting writes b to w in chunks of at most progressChunk bytes,
// adding what each chunk wrote to progress (when not nil), and pushing the write deadline
// dl (when not nil) out after each chunk that moved bytes.
func writeCounting(w io.Writer, b []byte, progress *atomic.Uint64, dl *writeDeadline) (int, error) {
	if dl != nil && dl.sw != nil {
		return dl.sw.write(b) // progress counted per write(2), the deadline pushed out with it
	}
	n := 0
	for len(b) > 0 {
		k := min(len(b), progressChunk)
		m, err := w.Write(b[:k])
		n += m
		if progress != nil {
			progress.Add(uint64(m))
		}
		if m > 0 && dl != nil {
			dl.refresh()
		}
		if err != nil {
			return n, err
		}
		b = b[k:]
	}
	return n, nil
}
