package transport

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"runtime/debug"
	"sync"
	"sync/atomic"
	"time"

	"github.com/switchboard-wamp/switchboard/core/serialize/shared"
	"github.com/switchboard-wamp/switchboard/core/wamp"
)

// writerLinger is how long an idle writer waits for more work before its
// goroutine exits. Starting a writer per message costs a goroutine start and,
// with reflective encoders, repeated stack growth (measured: ~25% of CPU in
// a JSON echo benchmark); an idle connection still holds no writer after
// this long.
const writerLinger = time.Millisecond

// maxPooledBuf is the largest encode buffer returned to the pool.
const maxPooledBuf = 64 << 10

var encodeBufPool = sync.Pool{New: func() any { b := make([]byte, 0, 1024); return &b }}

// encodeError marks a writer failure that is ours (encoding, size), not the
// socket's: the connection is still healthy and gets an orderly close.
type encodeError struct{ err error }

func (e *encodeError) Error() string { return e.err.Error() }

// round is the work one writer iteration took from the queue.
type round struct {
	batch []wamp.Message
	bytes int  // the batch's estimated size (budget.go)
	rest  bool // finish what an inline write left first (peer_direct.go)
	ping  bool
	pongs [][]byte    // ping payloads to echo; the slice is reused
	timer *time.Timer // linger timer, created on first use
}

// writeLoop is the peer's writer goroutine: it runs while there is work and
// exits when the queue is drained, after closing, or when the connection
// is gone. It is the only goroutine that writes through this package
// (gws itself may echo a WebSocket close frame from the reader).
func (q *peerCore) writeLoop() {
	defer q.wg.Done()
	bp := encodeBufPool.Get().(*[]byte)
	defer func() {
		if cap(*bp) <= maxPooledBuf {
			*bp = (*bp)[:0]
			encodeBufPool.Put(bp)
		}
	}()
	defer q.recoverWriter()
	var r round
	for q.nextRound(&r) {
		err := q.writeRound(bp, &r)
		if err == nil {
			q.closeWithLastRound()
		}
		if ferr := q.w.flush(); err == nil {
			err = ferr
		}
		if err != nil {
			q.writeFailed(err)
		}
	}
}

// nextRound accounts for the previous round and takes the next one. It
// returns false when the writer must exit; on that path it has already
// closed the connection if that was due. When there is nothing to do it
// lingers (writerLinger) before exiting, so a busy connection keeps one
// writer with a warm stack instead of starting one per message.
func (q *peerCore) nextRound(r *round) bool {
	done := len(r.batch)
	clear(r.batch)
	r.batch = r.batch[:0]
	lingered := false
	clear(r.pongs)
	r.pongs = r.pongs[:0]
	q.mu.Lock()
	if q.state == stateOpen {
		if r.rest {
			done++
			r.bytes += q.restBytes
			q.restBytes = 0
		}
		q.pending -= done
		q.releaseBytesLocked(r.bytes)
		q.noteDrainedLocked()
	}
	r.bytes, r.rest = 0, false
	if r.batch == nil {
		r.batch, q.spare = q.spare, nil
	}
	for {
		switch q.state {
		case stateAborting:
			q.finishLocked(r)
			q.wdl.freeze()
			q.mu.Unlock()
			q.closeWire()
			return false
		case stateClosed:
			q.finishLocked(r)
			q.mu.Unlock()
			return false
		}
		r.ping, q.pingDue = q.pingDue, false
		if len(q.pongs) > 0 {
			r.pongs, q.pongs = q.pongs, r.pongs
			q.pongBytes = 0
			if q.pongHeld {
				q.pongHeld = false
				q.gate.resume()
			}
		}
		r.rest, q.restDue = q.restDue, false
		if len(q.queue) > 0 || r.ping || len(r.pongs) > 0 || r.rest {
			r.batch, q.queue = q.queue, r.batch
			r.bytes, q.queuedBytes = q.queuedBytes, 0
			if q.state == stateOpen {
				q.wdl.refresh()
			}
			q.mu.Unlock()
			return true
		}
		if q.state == stateFlushing {
			q.finishLocked(r)
			q.mu.Unlock()
			q.closeWire() // under the deadline set by shutdown
			return false
		}
		if lingered {
			q.idleLocked(r)
			q.mu.Unlock()
			return false
		}
		if q.wake == nil {
			q.wake = make(chan struct{}, 1)
		}
		q.parked = true
		wake := q.wake
		q.mu.Unlock()
		lingered = !r.linger(wake)
		q.mu.Lock()
		q.parked = false
	}
}

// linger waits for a wake-up or writerLinger; it reports whether it was woken.
func (r *round) linger(wake <-chan struct{}) bool {
	if r.timer == nil {
		r.timer = time.NewTimer(writerLinger)
	} else {
		r.timer.Reset(writerLinger)
	}
	select {
	case <-wake:
		r.timer.Stop()
		return true
	case <-r.timer.C:
		return false
	}
}

// writeDeadline is a peer's write deadline. WriteTimeout bounds a time
// without progress, not a write: every writer round, and every chunk the
// socket takes (writeCounting), pushes the deadline to now+WriteTimeout,
// so a slow peer that keeps reading a large batch is not closed, and one
// that takes nothing is closed after 7/8 to 1 WriteTimeout (the deadline
// is moved only when less than 7/8 of it is left: one clock read per
// chunk, one deadline update per eighth of WriteTimeout). Once the peer
// leaves the open state it is frozen: an orderly close has one deadline
// for its whole flush, an abort one for its last write.
type writeDeadline struct {
	sw      *sockWriter // writes a plain socket, nil: writeCounting writes in chunks
	nc      net.Conn
	timeout time.Duration
	at      atomic.Int64 // the deadline set, in Unix nanoseconds; 0: none
	frozen  atomic.Bool
}

// init sets the connection and WriteTimeout; before any write.
func (d *writeDeadline) init(nc net.Conn, timeout time.Duration) { d.nc, d.timeout = nc, timeout }

// refresh pushes the deadline out unless it is frozen or still at least
// 7/8 of WriteTimeout away. Called by whoever writes (one at a time).
func (d *writeDeadline) refresh() {
	if d.frozen.Load() {
		return
	}
	now := time.Now()
	if time.Duration(d.at.Load()-now.UnixNano()) >= d.timeout/8*7 {
		return
	}
	at := now.Add(d.timeout)
	d.at.Store(at.UnixNano())
	_ = d.nc.SetWriteDeadline(at)
}

// freeze sets the deadline to now+WriteTimeout for good: the peer is
// closing.
func (d *writeDeadline) freeze() {
	d.frozen.Store(true)
	at := time.Now().Add(d.timeout)
	d.at.Store(at.UnixNano())
	_ = d.nc.SetWriteDeadline(at)
}

// clear removes the deadline of an idle writer.
func (d *writeDeadline) clear() {
	if d.frozen.Load() {
		return
	}
	d.at.Store(0)
	_ = d.nc.SetWriteDeadline(time.Time{})
}

// idleLocked ends an idle writer. It clears the write deadline, so a close
// frame gws echoes from the reader is not failed by a stale one (the next
// ping tick starts a writer, which sets one again).
func (q *peerCore) idleLocked(r *round) {
	q.wdl.clear()
	q.writing = false
	q.wake = nil // an idle connection holds no channel; the next linger makes one
	if cap(r.batch) <= maxIdleQueueCap {
		q.spare = r.batch
	}
	r.batch = nil
	if cap(q.queue) > maxIdleQueueCap {
		q.queue = nil
	}
	if r.timer != nil {
		r.timer.Stop()
	}
}

// finishLocked ends the writer: the state becomes closed and nothing more is
// written by this package.
func (q *peerCore) finishLocked(r *round) {
	q.state = stateClosed
	q.leaveOpenLocked()
	q.stop.Store(true)
	q.writing = false
	q.dropQueueLocked()
	r.batch = nil
	if r.timer != nil {
		r.timer.Stop()
	}
}

// closeWithLastRound has the wire frame the close with this round's
// messages when the round is the last: the peer is flushing (nothing can
// be queued any more) and nothing else waits. The next round then only
// closes the connection. Writer goroutine, before the round's flush.
func (q *peerCore) closeWithLastRound() {
	q.mu.Lock()
	last := q.state == stateFlushing && len(q.queue) == 0 && !q.pingDue && len(q.pongs) == 0 && !q.restDue
	code, reason := q.closeCode, q.closeReason
	q.mu.Unlock()
	if last && q.w.closeInBatch(code, reason) {
		closesInBatch.Add(1)
	}
}

// closesInBatch counts close frames written together with the last
// messages (for tests).
var closesInBatch atomic.Int64

// closeWire hands the pending close to the transport.
func (q *peerCore) closeWire() {
	q.mu.Lock()
	code, reason := q.closeCode, q.closeReason
	q.mu.Unlock()
	q.w.writeClose(code, reason)
}

// writeRound writes what an inline write left, control frames, then the batch, stopping at the first
// error or when the peer is aborted meanwhile.
func (q *peerCore) writeRound(bp *[]byte, r *round) error {
	if r.rest {
		if err := q.dw.finishRest(); err != nil {
			return err
		}
	}
	for _, pong := range r.pongs {
		if err := q.w.writePong(pong); err != nil {
			return err
		}
	}
	if r.ping {
		if err := q.w.writePing(); err != nil {
			return err
		}
	}
	for _, m := range r.batch {
		if q.stop.Load() {
			return nil
		}
		if err := q.encodeAndWrite(bp, m); err != nil {
			var ee *encodeError
			if !errors.As(err, &ee) {
				return err
			}
			q.refuse(m, ee.err)
		}
	}
	return nil
}

// encodeAndWrite encodes m for this peer and hands it to the wire.
func (q *peerCore) encodeAndWrite(bp *[]byte, m wamp.Message) error {
	b, err := q.encodeFor(bp, m)
	if err != nil {
		return &encodeError{err}
	}
	q.cfg.stats.countOut(m, len(b))
	return q.w.writeMessage(b)
}

// encodeFor encodes m with the peer's serializer (or takes a
// shared.Message's cached encoding), using *bp as scratch space, and checks
// the size against the peer's limit: the error wraps ErrEncode or
// ErrMessageTooLarge.
func (q *peerCore) encodeFor(bp *[]byte, m wamp.Message) ([]byte, error) {
	var b []byte
	var err error
	if sm, ok := m.(*shared.Message); ok {
		b, err = sm.Encoded(q.ser, bp)
	} else {
		b, err = shared.Encode(q.ser, (*bp)[:0], m)
		*bp = b
	}
	if err != nil {
		return nil, err
	}
	if len(b) > q.maxOut {
		return nil, fmt.Errorf("%w: %v of %d bytes, limit %d", ErrMessageTooLarge, m.Type(), len(b), q.maxOut)
	}
	return b, nil
}

// refuse drops a message this peer cannot be sent (too large for the other
// end's limit, or holding a value its serializer cannot carry): the
// receiver is not punished for what a sender sent. The peer stays
// connected; the drop is counted, logged, and reported to the Handler when
// it is a Refuser, so the router can answer whoever sent it. Writer
// goroutine.
func (q *peerCore) refuse(m wamp.Message, err error) {
	q.cfg.stats.EncodeErrors.Add(1)
	level := slog.LevelDebug
	if !q.refusedOnce {
		q.refusedOnce = true
		level = slog.LevelWarn
	}
	q.cfg.logger.Log(context.Background(), level, "transport: outbound message not sent to this peer",
		"transport", q.info.Transport, "peer", q.info.PeerAddr, "serializer", q.ser.Name(), "type", fmt.Sprintf("%T", shared.Unwrap(m)), "err", err)
	q.mu.Lock()
	h, ok := q.h.(Refuser)
	q.mu.Unlock()
	if !ok {
		return
	}
	defer func() {
		if r := recover(); r != nil {
			q.cfg.logger.Error("transport: panic in Handler.Refused", "transport", q.info.Transport,
				"peer", q.info.PeerAddr, "panic", r, "stack", string(debug.Stack()))
		}
	}()
	h.Refused(shared.Unwrap(m), err)
}

// writeFailed handles a socket write error: it closes the queue and lets
// the transport end the connection.
func (q *peerCore) writeFailed(err error) {
	q.mu.Lock()
	q.state = stateClosed
	q.leaveOpenLocked()
	q.stop.Store(true)
	q.dropQueueLocked()
	q.mu.Unlock()
	q.w.failed(err)
}

// recoverWriter keeps a bug in the writer from killing the process: it logs,
// marks the peer closed and closes the socket.
func (q *peerCore) recoverWriter() {
	r := recover()
	if r == nil {
		return
	}
	q.cfg.logger.Error("transport: panic in writer; closing connection", "transport", q.info.Transport,
		"peer", q.info.PeerAddr, "panic", r, "stack", string(debug.Stack()))
	q.mu.Lock()
	q.setCauseLocked(fmt.Errorf("%w: writer: %v", ErrHandlerPanic, r))
	q.state = stateClosed
	q.leaveOpenLocked()
	q.stop.Store(true)
	q.writing = false
	q.dropQueueLocked()
	q.mu.Unlock()
	_ = q.nc.Close()
}
