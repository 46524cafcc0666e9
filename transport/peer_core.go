package transport

import (
	"net"
	"sync"
	"sync/atomic"
	"time"

	"github.com/switchboard-wamp/switchboard/core/serialize"
	"github.com/switchboard-wamp/switchboard/core/wamp"
)

// Close codes. They are WebSocket close codes (RFC 6455 §7.4.1) and go on
// the wire as such; RawSocket has no close frame and only distinguishes an
// orderly close (closeNormal, closeGoingAway: flush, then half-close) from
// an abort (anything else: close the socket).
const (
	closeNormal          = 1000
	closeGoingAway       = 1001
	closePolicyViolation = 1008
	closeInternalError   = 1011
)

// peerState is the lifecycle of an peerCore. Transitions (under peerCore.mu):
// open -> flushing (Close, server shutdown), open|flushing -> aborting
// (slow consumer, encode error, handler panic), any -> closed (close
// written, write error, or the reader saw the connection end).
type peerState uint8

const (
	stateOpen     peerState = iota // Send accepted
	stateFlushing                  // write what is queued, then close
	stateAborting                  // queue discarded; close next
	stateClosed                    // nothing more will be written
)

// maxIdleQueueCap is the largest queue capacity an idle peer keeps, so a
// burst does not pin a large slice on a connection that went quiet.
const maxIdleQueueCap = 64

// wire is the framing a transport gives the shared outbound queue. Its
// methods are called on the writer goroutine only, one at a time, under
// the write deadline the queue manages.
type wire interface {
	// writePing sends a keepalive ping.
	writePing() error
	// writePong answers a ping, echoing its payload.
	writePong(payload []byte) error
	// writeMessage writes one encoded message, or buffers it until flush.
	// b is valid only during the call.
	writeMessage(b []byte) error
	// flush writes what writeMessage buffered; called at the end of every
	// round and before the writer exits.
	flush() error
	// writeClose ends the connection after the queue: an orderly close
	// (code closeNormal or closeGoingAway) or an abort.
	writeClose(code uint16, reason string)
	// closeInBatch appends the close frame of an orderly close to what
	// writeMessage buffered, so that the next flush writes it with the
	// last messages in one write; false when the wire has no such frame
	// or does not batch (writeClose then writes it alone). After a true,
	// writeClose only closes the connection.
	closeInBatch(code uint16, reason string) bool
	// failed is called once after a write error, outside the queue's
	// lock: the transport records the cause and makes sure its reader sees
	// the connection end.
	failed(err error)
}

// peerCore is the part of a peer that WebSocket and RawSocket share: the
// bounded outbound queue, the writer goroutine's lifecycle (it runs only
// while there is work), the close state machine and the keepalive tick.
// It implements Peer; the transport embeds it and supplies a wire.
type peerCore struct {
	// Set before the reader starts; immutable afterwards.
	cfg    *peerConfig
	ser    serialize.Serializer
	info   Info
	nc     net.Conn        // for deadlines and a last-resort close
	w      wire            // the transport's framing
	dw     directWire      // the same wire's inline writes (peer_direct.go)
	sw     *sockWriter     // the plain socket's writer; nil: none (TLS, a wrapper)
	inline bool            // SendInline may write on the caller's goroutine (peer_direct.go)
	maxOut int             // largest encoded message this peer may send
	wg     *sync.WaitGroup // counts writer goroutines (server: and readers)

	acceptor Acceptor
	self     Peer    // the transport's peer, as given to the Acceptor
	h        Handler // set by accept under mu; the reader reads it freely, the writer under mu

	stale     atomic.Bool // a ping tick passed since the read deadline was extended
	stop      atomic.Bool // the writer abandons its batch; the reader discards
	congested atomic.Bool // pending is above the soft limit (flow.go)
	// wroteBytes counts the bytes the socket took, in chunks of at most
	// progressChunk (writeCounting): the stall watch's measure of progress.
	wroteBytes atomic.Uint64
	gate       peerGate // holds this peer's reader (flow.go)

	wdl writeDeadline // pushed out while bytes move (peer_writer.go)

	mu           sync.Mutex
	state        peerState
	writing      bool           // a writer goroutine is running
	parked       bool           // ... and lingering on wake
	wake         chan struct{}  // wakes a parked writer; cap 1, made when it parks, dropped when it exits
	queue        []wamp.Message // waiting for the writer
	spare        []wamp.Message // the last writer's batch slice, for reuse
	pending      int            // queued + in the writer's current batch
	pendingBytes int            // their estimated size (budget.go)
	queuedBytes  int            // of which still queued (not taken by the writer)
	overdrawn    int            // of pendingBytes, charged to the budget's overdraft (budget.go)
	heldIn       int            // ... and of those, past it: counted in the inbound budget
	pingDue      bool
	pongs        [][]byte           // ping payloads to echo, oldest first
	pongBytes    int                // their total size
	pongHeld     bool               // the reader is paused until the writer takes pongs
	refusedOnce  bool               // writer only: a refused message was logged at Warn
	accepted     bool               // Accept returned: Send may start the writer
	restDue      bool               // an inline write left a rest for the writer (peer_direct.go)
	restBytes    int                // the estimated size of its message, pending until the rest is written
	holding      map[*peerGate]bool // senders this congested peer holds; true: for EVENTs only (flow.go)
	stallMark    uint64             // wroteBytes when the stall watch last saw progress (flow.go)
	stallSince   time.Time          // ... and when
	stallTimer   *time.Timer        // the stall watch, made on first use (flow.go)
	eventStalled bool               // event holds let go; none taken until progress (flow.go)
	closeWatch   bool               // closed as a slow consumer: the stall watch ends a stuck write (flow.go)
	closeCode    uint16
	closeReason  string
	cause        error
	causeSet     bool
	timer        *time.Timer // keepalive tick, nil when disabled
}

// Send enqueues m without blocking. Safe for concurrent use. On a full queue
// the peer is closed as a slow consumer (see the package doc) and Send
// returns false.
func (q *peerCore) Send(m wamp.Message) bool { return q.send(m, sendModeQueued) }

// sendMode is how send hands m on.
type sendMode uint8

const (
	sendModeQueued sendMode = iota // queued; a writer is started or woken
	sendModeInline                 // written on the caller's goroutine when possible (SendInline, peer_direct.go)
	sendModeHeld                   // queued for the CloseInline that follows (peer_closeinline.go)
)

// send is Send, SendInline or SendHeld.
func (q *peerCore) send(m wamp.Message, how sendMode) bool {
	n := messageBytes(m)
	q.mu.Lock()
	if q.state != stateOpen {
		q.mu.Unlock()
		return false
	}
	if why := q.overBudgetLocked(n); why != "" {
		q.slowConsumerUnlock(why, "queue_max", q.cfg.queueMax, "queue_bytes_max", q.cfg.queueBytes)
		return false
	}
	q.chargeLocked(n) // before pending counts m
	q.queue = append(q.queue, m)
	q.pending++
	q.pendingBytes += n
	q.queuedBytes += n
	q.noteQueuedLocked()
	if how == sendModeInline && q.takeInlineLocked(n) {
		q.mu.Unlock()
		q.writeInline(m, n)
		return true
	}
	if how == sendModeHeld && !q.writing {
		q.mu.Unlock()
		return true
	}
	start := q.accepted && q.startWriterLocked()
	q.mu.Unlock()
	if start {
		go q.writeLoop()
	}
	return true
}

// slowConsumerUnlock closes q as a slow consumer for why: counted before
// anyone can see the close, the queue discarded, the writer told. Called
// with q.mu held; returns with it released. Logged at Debug: the Handler
// is told (ErrSlowConsumer) and the session owner logs the close at info,
// naming the session.
func (q *peerCore) slowConsumerUnlock(why string, attrs ...any) {
	pending, pendingBytes := q.pending, q.pendingBytes
	q.cfg.stats.SlowConsumers.Add(1)
	start := q.abortLocked(closePolicyViolation, "slow consumer", ErrSlowConsumer)
	q.watchCloseLocked()
	q.mu.Unlock()
	if start {
		go q.writeLoop()
	}
	q.cfg.logger.Debug("transport: closing slow consumer: "+why, append([]any{
		"transport", q.info.Transport, "peer", q.info.PeerAddr, "queued", pending, "queued_bytes", pendingBytes}, attrs...)...)
}

// Close flushes what is queued (bounded by WriteTimeout), then closes the
// connection (WebSocket: close 1000; RawSocket: half-close); Handler.Closed
// then receives nil. It does not wait. Idempotent; safe for concurrent use.
func (q *peerCore) Close() { q.shutdown(closeNormal, "", nil) }

// Info describes the connection. Safe for concurrent use.
func (q *peerCore) Info() Info { return q.info }

// shutdown starts an orderly close: flush, then close with code and reason.
// cause is what Handler.Closed will get unless a cause is already set.
func (q *peerCore) shutdown(code uint16, reason string, cause error) {
	q.mu.Lock()
	if q.state != stateOpen {
		q.mu.Unlock()
		return
	}
	q.state = stateFlushing
	q.leaveOpenLocked()
	q.setCauseLocked(cause)
	q.closeCode, q.closeReason = code, reason
	// One deadline for the whole flush: progress does not extend it.
	q.wdl.freeze()
	start := q.startWriterLocked()
	q.mu.Unlock()
	if start {
		go q.writeLoop()
	}
}

// abort closes without flushing: the queue is discarded and the writer
// closes after its in-flight write. Safe for concurrent use.
func (q *peerCore) abort(code uint16, reason string, cause error) {
	q.mu.Lock()
	start := q.abortLocked(code, reason, cause)
	q.mu.Unlock()
	if start {
		go q.writeLoop()
	}
}

// abortLocked is abort with q.mu held; it reports whether the caller must
// start a writer goroutine.
func (q *peerCore) abortLocked(code uint16, reason string, cause error) bool {
	if q.state == stateAborting || q.state == stateClosed {
		return false
	}
	q.state = stateAborting
	q.leaveOpenLocked()
	q.setCauseLocked(cause)
	q.closeCode, q.closeReason = code, reason
	q.stop.Store(true)
	q.dropQueueLocked()
	return q.startWriterLocked()
}

// setCauseLocked records the close cause; the first one wins.
func (q *peerCore) setCauseLocked(cause error) {
	if !q.causeSet {
		q.cause, q.causeSet = cause, true
	}
}

// startWriterLocked marks a writer as running and reports whether the caller
// must start it (it was not running).
func (q *peerCore) startWriterLocked() bool {
	if q.writing {
		q.wakeLocked()
		return false
	}
	q.writing = true
	q.wg.Add(1)
	return true
}

// wakeLocked wakes a parked writer. The channel holds one token: if one is
// already pending the writer wakes anyway, so nothing is lost by not sending
// a second.
func (q *peerCore) wakeLocked() {
	if !q.parked {
		return
	}
	q.parked = false
	select {
	case q.wake <- struct{}{}:
	default:
	}
}

// dropQueueLocked discards queued messages: the connection is going away
// (documented overflow / abort policy).
func (q *peerCore) dropQueueLocked() {
	clear(q.queue)
	q.queue = nil
	q.pending = 0
	q.releaseBytesLocked(q.pendingBytes)
	q.queuedBytes = 0
	q.restBytes = 0 // released with the rest; the wire may still finish its frame
	q.pingDue = false
	clear(q.pongs)
	q.pongs, q.pongBytes = nil, 0
}

// Pending pong bounds: past either, the reader is held until the writer
// has taken the pongs, so a peer that pings faster than it reads cannot
// make the router hold more than about one maximum-size frame for it.
const maxPendingPongs = 8

// queuePong has the writer answer a ping with payload (which the queue
// keeps: the caller must not reuse it). With coalesce (WebSocket: RFC 6455
// §5.5.3 allows answering only the latest ping) a pending pong is replaced;
// otherwise (RawSocket: every PING gets its PONG) pongs queue up, and the
// reader is held once maxPendingPongs or MaxMessageBytes of them wait.
// Reader goroutine.
func (q *peerCore) queuePong(payload []byte, coalesce bool) {
	q.mu.Lock()
	if q.state != stateOpen {
		q.mu.Unlock()
		return
	}
	if coalesce {
		clear(q.pongs)
		q.pongs, q.pongBytes = q.pongs[:0], 0
	}
	q.pongs = append(q.pongs, payload)
	q.pongBytes += len(payload)
	if !q.pongHeld && (len(q.pongs) >= maxPendingPongs || q.pongBytes >= q.cfg.maxMessageBytes) {
		q.pongHeld = true
		q.gate.pause()
	}
	start := q.startWriterLocked()
	q.mu.Unlock()
	if start {
		go q.writeLoop()
	}
}

// markClosed records that the reader saw the connection end and returns
// the cause for Handler.Closed: the first cause set, else classified.
// Reader goroutine, exactly once.
func (q *peerCore) markClosed(classified func() error) error {
	q.mu.Lock()
	defer q.mu.Unlock()
	q.state = stateClosed
	q.leaveOpenLocked()
	q.stop.Store(true)
	q.dropQueueLocked()
	if q.timer != nil {
		q.timer.Stop()
	}
	if q.stallTimer != nil {
		q.stallTimer.Stop()
	}
	q.wakeLocked() // a lingering writer exits now
	if !q.causeSet {
		q.cause, q.causeSet = classified(), true
	}
	return q.cause
}

// startKeepalive sets the first read deadline and arms the ping tick.
// Reader goroutine, before the first read. Under q.mu and only while open:
// the peer is accepted before this runs, so a Close may already have set
// the orderly close's short read deadline (writeClose), which must not be
// replaced by the keepalive's (a silent peer then held the close for
// PingInterval+PongTimeout).
func (q *peerCore) startKeepalive() {
	if !q.cfg.keepalive() {
		return
	}
	q.mu.Lock()
	if q.state == stateOpen {
		_ = q.nc.SetReadDeadline(time.Now().Add(q.cfg.pingInterval + q.cfg.pongTimeout))
		q.timer = time.AfterFunc(q.cfg.pingInterval, q.tick)
	}
	q.mu.Unlock()
}

// heard is called by the reader for every inbound frame. The first frame
// after a ping tick extends the read deadline to now+PingInterval+
// PongTimeout: one atomic load per frame, one deadline update per tick.
// Reader goroutine.
func (q *peerCore) heard() {
	if !q.stale.Load() || !q.stale.Swap(false) {
		return
	}
	q.mu.Lock() // orders this against a close that sets its own deadline
	if q.state == stateOpen {
		_ = q.nc.SetReadDeadline(time.Now().Add(q.cfg.pingInterval + q.cfg.pongTimeout))
	}
	q.mu.Unlock()
}

// tick runs every PingInterval on a timer goroutine: it has the writer
// send a ping and the reader extend its deadline on the next frame.
func (q *peerCore) tick() {
	q.mu.Lock()
	if q.state != stateOpen {
		q.mu.Unlock()
		return
	}
	q.stale.Store(true)
	q.wakeParkedReader(false) // a parked reader waits in no read: no deadline could end it
	q.pingDue = true
	start := q.startWriterLocked()
	q.timer.Reset(q.cfg.pingInterval)
	q.mu.Unlock()
	if start {
		go q.writeLoop()
	}
}
