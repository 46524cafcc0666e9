package transport

import (
	"sync"
	"sync/atomic"
	"time"

	"github.com/lxzan/gws"

	"github.com/switchboard-wamp/switchboard/core/serialize"
	"github.com/switchboard-wamp/switchboard/core/wamp"
)

// WebSocket close codes used by this package (RFC 6455 §7.4.1).
const (
	closeNormal          = 1000
	closeGoingAway       = 1001
	closePolicyViolation = 1008
	closeInternalError   = 1011
)

// peerState is the lifecycle of a wsPeer. Transitions (under wsPeer.mu):
// open -> flushing (Close, server shutdown), open|flushing -> aborting
// (slow consumer, encode error, handler panic), any -> closed (close frame
// written, write error, or the reader saw the connection end).
type peerState uint8

const (
	stateOpen     peerState = iota // Send accepted
	stateFlushing                  // write what is queued, then the close frame
	stateAborting                  // queue discarded; write the close frame next
	stateClosed                    // nothing more will be written
)

// maxIdleQueueCap is the largest queue capacity an idle peer keeps, so a
// burst does not pin a large slice on a connection that went quiet.
const maxIdleQueueCap = 64

// wsPeer is one WebSocket connection, server or client side. It implements
// Peer (safe for concurrent use) and, trivially, gws.SessionStorage: gws's
// NewSession hook hands the peer to the connection, so the event callbacks
// find it with one type assertion instead of a map lookup.
type wsPeer struct {
	// Set before the reader goroutine starts; immutable afterwards.
	conn     *gws.Conn
	ser      serialize.Serializer
	opcode   gws.Opcode
	cfg      *peerConfig
	info     Info
	acceptor Acceptor
	wg       *sync.WaitGroup // counts writer goroutines (server: and readers)
	onClosed func(*wsPeer)   // deregistration hook, may be nil

	h Handler // reader goroutine only; set by Accept in OnOpen

	activity atomic.Bool // an inbound frame arrived since the last ping tick
	stop     atomic.Bool // the writer abandons its current batch

	mu          sync.Mutex
	state       peerState
	writing     bool           // a writer goroutine is running
	parked      bool           // ... and lingering on wake
	wake        chan struct{}  // wakes a parked writer; cap 1, made on first park
	queue       []wamp.Message // waiting for the writer
	spare       []wamp.Message // the last writer's batch slice, for reuse
	pending     int            // queued + in the writer's current batch
	pingDue     bool
	pongDue     bool
	pong        []byte
	closeCode   uint16
	closeReason string
	cause       error
	causeSet    bool
	timer       *time.Timer // keepalive tick, nil when disabled
}

var _ Peer = (*wsPeer)(nil)

// Send enqueues m without blocking. Safe for concurrent use. On a full queue
// the peer is closed as a slow consumer (see the package doc) and Send
// returns false.
func (p *wsPeer) Send(m wamp.Message) bool {
	p.mu.Lock()
	if p.state != stateOpen {
		p.mu.Unlock()
		return false
	}
	if p.pending >= p.cfg.queueMax {
		start := p.abortLocked(closePolicyViolation, "slow consumer", ErrSlowConsumer)
		p.mu.Unlock()
		if start {
			go p.writeLoop()
		}
		p.cfg.stats.SlowConsumers.Add(1)
		p.cfg.logger.Warn("transport: closing slow consumer: outbound queue full",
			"peer", p.info.PeerAddr, "queue_max", p.cfg.queueMax)
		return false
	}
	p.queue = append(p.queue, m)
	p.pending++
	start := p.startWriterLocked()
	p.mu.Unlock()
	if start {
		go p.writeLoop()
	}
	return true
}

// Close flushes what is queued (bounded by WriteTimeout), sends close 1000
// and closes the socket; Handler.Closed then receives nil. It does not wait.
// Idempotent; safe for concurrent use.
func (p *wsPeer) Close() { p.shutdown(closeNormal, "", nil) }

// Info describes the connection. Safe for concurrent use.
func (p *wsPeer) Info() Info { return p.info }

// shutdown starts an orderly close: flush, then a close frame with code and
// reason. cause is what Handler.Closed will get unless a cause is already set.
func (p *wsPeer) shutdown(code uint16, reason string, cause error) {
	p.mu.Lock()
	if p.state != stateOpen {
		p.mu.Unlock()
		return
	}
	p.state = stateFlushing
	p.setCauseLocked(cause)
	p.closeCode, p.closeReason = code, reason
	// One deadline for the whole flush; the writer does not refresh it
	// outside stateOpen.
	_ = p.conn.NetConn().SetWriteDeadline(time.Now().Add(p.cfg.writeTimeout))
	start := p.startWriterLocked()
	p.mu.Unlock()
	if start {
		go p.writeLoop()
	}
}

// abort closes without flushing: the queue is discarded and the writer sends
// the close frame after its in-flight write. Safe for concurrent use.
func (p *wsPeer) abort(code uint16, reason string, cause error) {
	p.mu.Lock()
	start := p.abortLocked(code, reason, cause)
	p.mu.Unlock()
	if start {
		go p.writeLoop()
	}
}

// abortLocked is abort with p.mu held; it reports whether the caller must
// start a writer goroutine.
func (p *wsPeer) abortLocked(code uint16, reason string, cause error) bool {
	if p.state == stateAborting || p.state == stateClosed {
		return false
	}
	p.state = stateAborting
	p.setCauseLocked(cause)
	p.closeCode, p.closeReason = code, reason
	p.stop.Store(true)
	p.dropQueueLocked()
	return p.startWriterLocked()
}

// setCauseLocked records the close cause; the first one wins.
func (p *wsPeer) setCauseLocked(cause error) {
	if !p.causeSet {
		p.cause, p.causeSet = cause, true
	}
}

// startWriterLocked marks a writer as running and reports whether the caller
// must start it (it was not running).
func (p *wsPeer) startWriterLocked() bool {
	if p.writing {
		p.wakeLocked()
		return false
	}
	p.writing = true
	p.wg.Add(1)
	return true
}

// wakeLocked wakes a parked writer. The channel holds one token: if one is
// already pending the writer wakes anyway, so nothing is lost by not sending
// a second.
func (p *wsPeer) wakeLocked() {
	if !p.parked {
		return
	}
	p.parked = false
	select {
	case p.wake <- struct{}{}:
	default:
	}
}

// dropQueueLocked discards queued messages: the connection is going away
// (documented overflow / abort policy).
func (p *wsPeer) dropQueueLocked() {
	clear(p.queue)
	p.queue = nil
	p.pending = 0
	p.pingDue, p.pongDue, p.pong = false, false, nil
}

// The gws.SessionStorage methods: the peer stores nothing for gws.

func (p *wsPeer) Len() int                     { return 0 }
func (p *wsPeer) Load(string) (any, bool)      { return nil, false }
func (p *wsPeer) Store(string, any)            {}
func (p *wsPeer) Delete(string)                {}
func (p *wsPeer) Range(func(string, any) bool) {}
func (p *wsPeer) session() gws.SessionStorage  { return p }
func peerOf(c *gws.Conn) *wsPeer               { return c.Session().(*wsPeer) }
func opcodeFor(s serialize.Serializer) gws.Opcode {
	if s.Binary() {
		return gws.OpcodeBinary
	}
	return gws.OpcodeText
}
